"""What a command imports: heavy optional libraries are imported by the functions that use them, so the
command line starts fast (benchmarks/bench_run.py measures it). Each check runs in a fresh interpreter and
reads ``sys.modules``: a module-level ``import scipy`` anywhere on the path makes it fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pulp", "highspy", "scipy", "dask", "distributed", "streamlit", "altair")


def _imported(code: str, *args: str) -> set[str]:
    """Top-level names of the modules loaded after running ``code`` in a fresh interpreter."""
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, env=env, cwd=ROOT,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return set(json.loads(r.stdout.strip().splitlines()[-1]))


def test_the_command_line_module_imports_no_solver_no_scientific_stack_no_front_end():
    loaded = _imported("import compensation.cli.main")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_building_the_parser_imports_not_even_pandas():
    # every command group registered, as for `ecocomp --help`: no pandas, numpy or yaml yet
    loaded = _imported("import sys, compensation.cli.main\nsys.modules['compensation.cli.main'].build_parser()")
    assert not loaded & {*HEAVY, "pandas", "numpy", "yaml", "pyarrow"}, sorted(loaded & {*HEAVY, "pandas"})


def test_a_csv_run_imports_no_spreadsheet_writer_no_optimiser_library_no_cluster_no_front_end(tmp_path):
    code = ("import sys\nfrom compensation.cli.main import main\n"
            "assert main(['run', 'county_2023', '--out', sys.argv[1], '--formats', 'csv', '--quiet']) == 0")
    loaded = _imported(code, str(tmp_path))
    assert any(tmp_path.iterdir()), "the run wrote nothing"
    # county_2023 (proportional objective, floors and caps) is solved in closed form: no solver library loads
    # (compensation/allocation/solver_libs.py)
    unwanted = {"scipy", "dask", "distributed", "streamlit", "altair", "xlsxwriter", "openpyxl", "pulp", "highspy"}
    assert not loaded & unwanted, sorted(loaded & unwanted)


def _freeze_count_after(call: str) -> int:
    code = ("import gc, sys\nfrom compensation.cli.main import main\nsys.argv = ['ecocomp', 'validate', 'county_2023']\n"
            f"assert {call} == 0\nprint(gc.get_freeze_count())")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    return int(r.stdout.strip().splitlines()[-1])


def test_a_console_invocation_freezes_the_heap_and_a_call_with_arguments_does_not():
    # `ecocomp …` (argv from sys.argv): the imported modules go to the permanent generation (cli.main._freeze_heap)
    assert _freeze_count_after("main()") > 10_000
    # tests and scripts pass argv: their process's collector is left as it is
    assert _freeze_count_after("main(['validate', 'county_2023'])") == 0


def _blas_threads_after(call: str, argv: list[str], preset: str | None = None) -> str:
    code = ("import os, sys\nfrom compensation.cli.main import main\n"
            f"sys.argv = {['ecocomp', *argv]!r}\nassert {call} == 0\n"
            "import numpy\nprint(os.environ.get('OPENBLAS_NUM_THREADS', 'unset'))")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env["PYTHONPATH"] = str(ROOT)
    if preset is not None:
        env["OPENBLAS_NUM_THREADS"] = preset
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()[-1]


def test_a_console_command_asks_openblas_for_one_thread_unless_it_multiplies_matrices_or_the_user_chose():
    # cli.main._single_thread_blas: set before numpy's first import, so OpenBLAS starts no thread pool
    assert _blas_threads_after("main()", ["validate", "county_2023"]) == "1"
    assert _blas_threads_after("main()", ["validate", "county_2023"], preset="4") == "4"  # the user's choice
    assert _blas_threads_after("main(['validate', 'county_2023'])", []) == "unset"  # argv given: a caller's process
    # the sweep's chunk statistics multiply matrices (x.T @ y) and measured faster with OpenBLAS's threads
    code = ("import os, sys\nfrom compensation.cli.main import _single_thread_blas\n"
            "_single_thread_blas(True, 'sweep')\na = os.environ.get('OPENBLAS_NUM_THREADS', 'unset')\n"
            "_single_thread_blas(True, 'run')\nprint(a, os.environ.get('OPENBLAS_NUM_THREADS', 'unset'))")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env["PYTHONPATH"] = str(ROOT)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["unset", "1"]


def test_the_blas_setting_comes_before_numpy_even_when_argument_types_import_the_core(tmp_path):
    # --formats, --years (and --year, --scale) are checked while the arguments are parsed; --years imports the
    # scenario module and with it numpy, so cli.main asks for one BLAS thread before parsing. The probe records
    # whether numpy was already loaded when the setting was made (it would then be too late: OpenBLAS starts its
    # threads when numpy loads).
    code = ("import os, sys\nimport compensation.cli.main\nM = sys.modules['compensation.cli.main']\n"
            "seen = []\norig = M._single_thread_blas\n"
            "M._single_thread_blas = lambda c, cmd: (seen.append((cmd, 'numpy' in sys.modules)), orig(c, cmd))\n"
            f"sys.argv = ['ecocomp', 'run', 'county_2023', '--years', '2023', '--formats', 'csv,xlsx', '--out', "
            f"{str(tmp_path)!r}, '--quiet']\n"
            "assert M.main() == 0\nprint(seen, os.environ.get('OPENBLAS_NUM_THREADS', 'unset'))")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env["PYTHONPATH"] = str(ROOT)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[('run', False)] 1"
    assert any(tmp_path.iterdir()), "the run wrote nothing"


def test_checking_the_output_formats_imports_no_scientific_stack():
    loaded = _imported("from compensation.cli.args import formats\nassert formats('csv,notice') == ('csv', 'notice')")
    assert not loaded & {"numpy", "pandas", "pyarrow", "yaml"}, sorted(loaded & {"numpy", "pandas"})


def test_versions_in_the_manifest_are_the_installed_metadata_without_importlib_metadata():
    # cache.installed_version reads METADATA beside the package (importlib.metadata costs ~10 ms of a run)
    from importlib.metadata import version

    from compensation.cache import installed_version
    from compensation.run import versions

    for name in ("pulp", "highspy", "pandas", "numpy", "pyarrow", "PyYAML"):
        assert installed_version(name) == version(name), name
    assert installed_version("no_such_distribution_ecocomp") == "unknown"
    v = versions()
    assert v["pulp"] == version("pulp") and v["highspy"] == version("highspy")
    modules = _submodules_loaded("import compensation.run as R\nR.versions()")
    assert not modules & {"importlib.metadata", "pulp", "highspy"}, sorted(modules & {"importlib.metadata"})


def _submodules_loaded(code: str) -> set[str]:
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    return set(json.loads(r.stdout.strip().splitlines()[-1]))


def test_a_run_with_the_documents_cached_does_not_import_pyyaml(tmp_path):
    # io.read_yaml keeps each parsed model and scenario document in the cache (cache.cached_document): the
    # second run reads them back and PyYAML (~15 ms to import) is not loaded
    code = ("import sys\nfrom compensation.cli.main import main\n"
            "assert main(['run', 'county_2023', '--out', sys.argv[1], '--formats', 'csv', '--quiet']) == 0")
    env_cache = tmp_path / "cache"
    first = _imported_with(code, {"ECOCOMP_CACHE_DIR": str(env_cache)}, str(tmp_path / "a"))
    second = _imported_with(code, {"ECOCOMP_CACHE_DIR": str(env_cache)}, str(tmp_path / "b"))
    assert "yaml" in first and "yaml" not in second
    assert (tmp_path / "b").exists()


def _imported_with(code: str, extra_env: dict, *args: str) -> set[str]:
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    env = dict(os.environ, PYTHONPATH=str(ROOT), **extra_env)
    env.pop("ECOCOMP_CACHE", None)
    r = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, env=env, cwd=ROOT,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return set(json.loads(r.stdout.strip().splitlines()[-1]))


def test_a_run_with_every_format_imports_no_spreadsheet_library(tmp_path):
    # results.xlsx by compensation/xlsx.py, notice.xlsx by compensation/notice_book.py (xlsxwriter's bytes)
    code = ("import sys\nfrom compensation.cli.main import main\n"
            "assert main(['run', 'county_2023', '--out', sys.argv[1], '--formats', 'csv,xlsx,parquet,notice', "
            "'--quiet']) == 0")
    loaded = _imported(code, str(tmp_path))
    (folder,) = tmp_path.iterdir()
    assert (folder / "notice.xlsx").exists() and (folder / "results.xlsx").exists()
    assert not loaded & {"xlsxwriter", "openpyxl", "pulp", "highspy", "scipy"}, sorted(loaded & {"xlsxwriter"})


def _collections_while_importing(call: str) -> int:
    """Collections of the cyclic garbage collector that ran while numpy or pandas was being imported (a module
    whose ``__spec__._initializing`` is set), in a fresh interpreter running ``call``."""
    code = ("import gc, sys\nfrom compensation.cli.main import main\nsys.argv = ['ecocomp', 'validate', 'county_2023']\n"
            "seen = []\n"
            "def during(phase, info):\n"
            "    mods = [sys.modules.get(m) for m in ('numpy', 'pandas')]\n"
            "    if phase == 'start' and any(getattr(getattr(m, '__spec__', None), '_initializing', False) for m in mods):\n"
            "        seen.append(info['generation'])\n"
            "gc.callbacks.append(during)\n"
            f"assert {call} == 0\nprint(len(seen), gc.isenabled())")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    count, enabled = r.stdout.strip().splitlines()[-1].split()
    assert enabled == "True"  # the collector runs again once the stack is loaded
    return int(count)


def test_a_console_invocation_imports_numpy_and_pandas_with_the_collector_paused():
    # cli.main._load_stack: no collection walks the objects of numpy and pandas while they are being made
    assert _collections_while_importing("main()") == 0
    # a call with argv (a test, a script) imports them as it comes: the collector runs meanwhile (~150 times)
    assert _collections_while_importing("main(['validate', 'county_2023'])") > 10
