"""Documentation stays true to the code: generated tables must match what the code says."""

from __future__ import annotations

from compensation.allocation import methods_markdown
from compensation.data import ROOT
from compensation.horizontal import list_agreements


def test_readme_methods_table_is_current():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert methods_markdown().strip() in readme


def test_readme_starts_with_the_two_commands_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0].strip() for b in readme.split("```bash\n")[1:3]]
    assert "ecocomp run baseline_2023" in blocks[0]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert ci == blocks[1]


def test_every_agreement_is_documented():
    doc = (ROOT / "docs" / "horizontal.md").read_text(encoding="utf-8")
    for ag in list_agreements()["id"]:
        assert ag.split("_round")[0] in doc, ag
