"""Test-wide settings. In CI, hypothesis runs derandomized: the same examples every run, so a red build can
be reproduced; locally it keeps exploring new examples."""

import atexit
import os
import shutil
import tempfile

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")

# The synthetic-table cache (compensation/cache.py) of the test run is a temporary folder, also for the CLI
# processes tests start (they inherit the environment): tests never read or fill the user's ~/.cache/ecocomp.
_CACHE = tempfile.mkdtemp(prefix="ecocomp-test-cache-")
os.environ["ECOCOMP_CACHE_DIR"] = _CACHE
os.environ.pop("ECOCOMP_CACHE", None)
atexit.register(shutil.rmtree, _CACHE, True)
