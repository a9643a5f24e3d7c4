"""Settings for every test process and for the processes the tests start (they inherit them).

Set on import, before any test module is collected and before xdist starts its workers.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

# Python's bytecode cache, even where the environment turns it off (PYTHONDONTWRITEBYTECODE, as
# some containers set): without it every test process rewrites every test module's asserts, and
# every worker, `local` and `ops` process a test starts compiles the project from source again,
# tens of seconds of CPU per run. The caches are ignored by git, the Lambda archive and the image.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

# moto builds some 2,600 EC2 AMIs into every EC2 backend it creates (after each reset, in each
# region used); nothing here launches an instance: Fargate tasks only need the default VPC.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

# The collector's first generation runs every 700 allocations by default; the test processes hold
# hundreds of thousands of long-lived objects (Pulumi's SDK, moto's backends, botocore's models),
# which each full pass walks again. Rarer passes cut the suite's CPU time by a fifth, and
# reference cycles are still collected.
gc.set_threshold(50_000, 50, 100)

# At exit a test process still holds most of them (700,000 to 900,000 objects), and the
# interpreter's finalization walks them in several full collections: the processes end together,
# after the last test, so those seconds (4 s of the suite's wall) are nobody's work. Freezing
# them at exit leaves the freeing to the OS. pytest has already collected once, after the last
# test, to report any exception a finalizer raised; nothing here needs one to run after it.
atexit.register(gc.freeze)


@pytest.fixture(autouse=True, scope="session")
def _temporary_files_under_pytests_directory(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The processes the tests start put their temporary files (``python -m local`` without
    ``--out`` keeps its task logs in one, for the user to read) under pytest's base directory,
    which pytest prunes, instead of leaving them in the system's."""
    os.environ["TMPDIR"] = str(tmp_path_factory.mktemp("tmp", numbered=False))


# -- how xdist shares the tests out (pyproject.toml: -n, --dist loadscope) -----------------------

INFRA_TESTS = "tests/unit/infra/"
"""The Pulumi program's tests: one unit of work, on one process. Each process that runs any of
them loads Pulumi's SDK and provider modules, seconds of CPU: one process pays that, not all."""
LONG_UNITS = ("tests/e2e/", INFRA_TESTS)
"""The units that take tens of seconds: handed out first, so that none starts near the end."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # xdist hands the units out in collection order (--no-loadscope-reorder); the sort is stable.
    items.sort(key=lambda item: not item.nodeid.startswith(LONG_UNITS))


class _ModulesAndTheInfraTests(LoadScopeScheduling):
    """``--dist loadscope``: each module is a unit, except that the infra tests are one."""

    def _split_scope(self, nodeid: str) -> str:
        if nodeid.startswith(INFRA_TESTS):
            return INFRA_TESTS
        return super()._split_scope(nodeid)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadScopeScheduling | None:
    if config.getoption("dist") != "loadscope":
        return None  # another --dist asked for on the command line: xdist's own
    return _ModulesAndTheInfraTests(config, log)
