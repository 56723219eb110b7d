import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from helpers import pub  # noqa: E402,F401  (fixture)


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite the reference pictures in tests/golden/pages/ instead of comparing with them "
                          "(tests/test_golden_pages.py); look at them before committing")


@pytest.fixture(scope="session")
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


@pytest.fixture(autouse=True, scope="session")
def _ptgen_cache_dir(tmp_path_factory):
    """The check cache (ptgen.cache) of the tests' own, never the user's ~/.cache/ptgen."""
    os.environ["PTGEN_CACHE_DIR"] = str(tmp_path_factory.mktemp("ptgen-cache"))
