"""How many vCPUs and how much memory this task may use: its cgroup limits, not the host's.

On Fargate `os.cpu_count()` reports the host's CPUs (often far more than the task's), so sizing a
pool from it oversubscribes the task and slows every file down; the host's memory likewise says
nothing about the task's.
"""

from __future__ import annotations

import json
import logging
import math
import os
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

CGROUP_ROOT = Path("/sys/fs/cgroup")
ECS_METADATA_ENV = "ECS_CONTAINER_METADATA_URI_V4"
"""Set by the ECS agent in every task (Fargate platform 1.4+); `<uri>/task` describes the task."""
METADATA_TIMEOUT_SECONDS = 2.0

Fetch = Callable[[str], bytes]


def http_get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=METADATA_TIMEOUT_SECONDS) as response:
        body: bytes = response.read()
        return body


def cgroup_cpu_limit(root: Path = CGROUP_ROOT) -> float | None:
    """CPUs allowed by cgroup v2 `cpu.max` or v1 `cpu.cfs_quota_us`; None when unlimited."""
    v2 = root / "cpu.max"
    if v2.is_file():
        quota, _, period = v2.read_text().strip().partition(" ")
        return None if quota == "max" else _ratio(quota, period or "100000")
    for v1 in (root / "cpu", root / "cpu,cpuacct", root):
        quota_file, period_file = v1 / "cpu.cfs_quota_us", v1 / "cpu.cfs_period_us"
        if quota_file.is_file() and period_file.is_file():
            quota = quota_file.read_text().strip()
            return None if quota.startswith("-") else _ratio(quota, period_file.read_text())
    return None


def _ratio(quota: str, period: str) -> float | None:
    try:
        cpus = int(quota) / int(period)
    except (ValueError, ZeroDivisionError):
        return None
    return cpus if cpus > 0 else None


def ecs_task_metadata(environ: Mapping[str, str], fetch: Fetch = http_get) -> dict[str, Any] | None:
    """The ECS task metadata endpoint's description of this task, if there is one."""
    uri = environ.get(ECS_METADATA_ENV)
    if not uri:
        return None
    try:
        document = json.loads(fetch(f"{uri}/task"))
    except (OSError, ValueError) as error:
        logger.warning("task metadata unavailable: %s", error)
        return None
    return document if isinstance(document, dict) else None


def ecs_task_arn(environ: Mapping[str, str], fetch: Fetch = http_get) -> str | None:
    document = ecs_task_metadata(environ, fetch)
    arn = document.get("TaskARN") if document is not None else None
    return arn if isinstance(arn, str) and arn else None


def _ecs_task_limit(environ: Mapping[str, str], fetch: Fetch, name: str) -> float | None:
    """One of the task's `Limits` from the ECS task metadata endpoint, if there is one."""
    document = ecs_task_metadata(environ, fetch)
    limits = document.get("Limits") if document is not None else None
    value = limits.get(name) if isinstance(limits, dict) else None
    return float(value) if isinstance(value, int | float) and value > 0 else None


def ecs_task_cpu_limit(environ: Mapping[str, str], fetch: Fetch = http_get) -> float | None:
    """The task's CPU limit in vCPUs from the ECS task metadata endpoint, if there is one."""
    return _ecs_task_limit(environ, fetch, "CPU")


def available_cpus() -> int:
    """CPUs this process may be scheduled on (affinity), whatever the host has."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def task_vcpus(
    environ: Mapping[str, str], root: Path = CGROUP_ROOT, fetch: Fetch = http_get
) -> int:
    """Whole vCPUs to use: the cgroup quota, else the ECS task limit, else the CPUs we may run on.

    A fractional quota (0.25 or 0.5 vCPU) still gets one worker; the result never exceeds the
    CPUs the scheduler lets this process use.
    """
    limit = cgroup_cpu_limit(root)
    if limit is None:
        limit = ecs_task_cpu_limit(environ, fetch)
    cpus = available_cpus()
    return cpus if limit is None else max(1, min(cpus, math.ceil(limit - 1e-9)))


CGROUP_V1_UNLIMITED_BYTES = 1 << 62
"""cgroup v1 reports "no limit" as a huge number (2^63 rounded down to a page), not a word."""
MIB = 1024 * 1024


def cgroup_memory_limit(root: Path = CGROUP_ROOT) -> int | None:
    """Bytes allowed by cgroup v2 `memory.max` or v1 `memory.limit_in_bytes`; None: unlimited."""
    for path in (root / "memory.max", root / "memory" / "memory.limit_in_bytes"):
        if path.is_file():
            text = path.read_text().strip()
            if not text.isdigit():  # "max"
                return None
            limit = int(text)
            return limit if 0 < limit < CGROUP_V1_UNLIMITED_BYTES else None
    return None


def physical_memory() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def task_memory_bytes(
    environ: Mapping[str, str], root: Path = CGROUP_ROOT, fetch: Fetch = http_get
) -> int:
    """The task's memory: the cgroup limit, else the ECS task limit (MiB), else the machine's."""
    limit = cgroup_memory_limit(root)
    if limit is None:
        mib = _ecs_task_limit(environ, fetch, "Memory")
        limit = None if mib is None else int(mib * MIB)
    return min(physical_memory(), limit) if limit is not None else physical_memory()
