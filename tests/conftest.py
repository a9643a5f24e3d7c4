"""Settings for every test process and for the processes the tests start (they inherit them).

Set on import, before any test module is collected and before xdist starts its workers.
"""

from __future__ import annotations

import gc
import os
import sys

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
