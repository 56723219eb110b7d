import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from helpers import pub  # noqa: E402,F401  (fixture)


@pytest.fixture(autouse=True, scope="session")
def _ptgen_cache_dir(tmp_path_factory):
    """The check cache (ptgen.cache) of the tests' own, never the user's ~/.cache/ptgen."""
    os.environ["PTGEN_CACHE_DIR"] = str(tmp_path_factory.mktemp("ptgen-cache"))
