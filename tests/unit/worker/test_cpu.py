"""vCPUs and memory from the task's limits (cgroup v2, v1, ECS metadata), not the host's."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from worker.cpu import (
    ECS_METADATA_ENV,
    available_cpus,
    cgroup_cpu_limit,
    cgroup_memory_limit,
    ecs_task_cpu_limit,
    physical_memory,
    task_memory_bytes,
    task_vcpus,
)


def no_metadata(url: str) -> bytes:
    raise AssertionError(f"metadata must not be fetched when the cgroup has a quota ({url})")


def test_cgroup_v2_quota(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("200000 100000\n")
    assert cgroup_cpu_limit(tmp_path) == 2.0


def test_cgroup_v2_unlimited(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cgroup_cpu_limit(tmp_path) is None


def test_cgroup_v1_quota(tmp_path: Path) -> None:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("50000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_cpu_limit(tmp_path) == 0.5


def test_cgroup_v1_unlimited(tmp_path: Path) -> None:
    (tmp_path / "cpu.cfs_quota_us").write_text("-1\n")
    (tmp_path / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_cpu_limit(tmp_path) is None


def test_no_cgroup_files(tmp_path: Path) -> None:
    assert cgroup_cpu_limit(tmp_path) is None


def test_fractional_quota_still_gets_one_worker(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("25000 100000\n")
    assert task_vcpus({}, tmp_path, no_metadata) == 1


def test_quota_wins_over_the_host_count(tmp_path: Path) -> None:
    # GIVEN a 1-vCPU quota on a host with more CPUs than that
    (tmp_path / "cpu.max").write_text("100000 100000\n")
    assert task_vcpus({}, tmp_path, no_metadata) == 1


def test_never_more_than_the_cpus_the_process_may_run_on(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text(f"{1000 * 100000} 100000\n")
    assert task_vcpus({}, tmp_path, no_metadata) == available_cpus()


@pytest.fixture
def metadata_endpoint() -> Iterator[tuple[str, dict[str, object]]]:
    """A real HTTP server answering `<uri>/task` like the ECS agent; the dict is the document."""
    document: dict[str, object] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/v4/container/task":
                self.send_error(404)
                return
            body = json.dumps(document).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v4/container", document
    server.shutdown()
    server.server_close()


def test_ecs_task_limits_are_the_fallback(
    tmp_path: Path, metadata_endpoint: tuple[str, dict[str, object]]
) -> None:
    # GIVEN no cgroup quota (Fargate may set it on the task's cgroup, out of the container's view)
    uri, document = metadata_endpoint
    document.update({"Cluster": "c", "Limits": {"CPU": 1, "Memory": 2048}})
    # THEN the task's limit from the metadata endpoint is used
    assert ecs_task_cpu_limit({ECS_METADATA_ENV: uri}) == 1.0
    assert task_vcpus({ECS_METADATA_ENV: uri}, tmp_path) == 1


def test_metadata_without_limits_or_unreachable_falls_back_to_affinity(
    tmp_path: Path, metadata_endpoint: tuple[str, dict[str, object]]
) -> None:
    uri, _ = metadata_endpoint
    assert ecs_task_cpu_limit({ECS_METADATA_ENV: uri}) is None
    assert ecs_task_cpu_limit({ECS_METADATA_ENV: uri + "/nowhere"}) is None
    assert ecs_task_cpu_limit({}) is None
    assert task_vcpus({}, tmp_path) == available_cpus()


def test_cgroup_v2_memory_limit(tmp_path: Path) -> None:
    (tmp_path / "memory.max").write_text("2147483648\n")
    assert cgroup_memory_limit(tmp_path) == 2 * 1024**3
    (tmp_path / "memory.max").write_text("max\n")
    assert cgroup_memory_limit(tmp_path) is None


def test_cgroup_v1_memory_limit_and_its_unlimited_value(tmp_path: Path) -> None:
    (tmp_path / "memory").mkdir()
    limit = tmp_path / "memory" / "memory.limit_in_bytes"
    limit.write_text("1073741824\n")
    assert cgroup_memory_limit(tmp_path) == 1024**3
    limit.write_text("9223372036854771712\n")
    assert cgroup_memory_limit(tmp_path) is None


def test_task_memory_from_the_cgroup_else_the_task_metadata_else_the_machine(
    tmp_path: Path, metadata_endpoint: tuple[str, dict[str, object]]
) -> None:
    uri, document = metadata_endpoint
    document.update({"Limits": {"CPU": 1, "Memory": 1024}})
    assert task_memory_bytes({ECS_METADATA_ENV: uri}, tmp_path) == 1024**3
    assert task_memory_bytes({}, tmp_path) == physical_memory()
    (tmp_path / "memory.max").write_text(f"{512 * 1024**2}\n")
    assert task_memory_bytes({ECS_METADATA_ENV: uri}, tmp_path, no_metadata) == 512 * 1024**2
