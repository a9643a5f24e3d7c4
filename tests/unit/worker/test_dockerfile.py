"""The worker image runs what the tests run (it cannot be built here, so it must not drift)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from components.worker_image import DOCKERFILE as DOCKERFILE_PATH
from components.worker_image import PACKAGES
from tests.support.imports import imported_modules

ROOT = Path(__file__).resolve().parents[3]
WORKER = ROOT / "worker"
DOCKERFILE = ROOT / DOCKERFILE_PATH


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            pairs.append((keyword.upper(), arguments.strip()))
    return pairs


def arguments(keyword: str) -> list[str]:
    return [args for name, args in instructions() if name == keyword]


def test_base_is_a_pinned_slim_python_3_13_for_any_architecture() -> None:
    (base,) = arguments("FROM")
    assert re.fullmatch(r"python:3\.13\.\d+-slim-[a-z]+", base), base
    # The same steps build on both platforms: nothing names one (comments may).
    steps = " ".join(args for _, args in instructions()).lower()
    for arch in ("--platform", "amd64", "arm64", "x86_64", "aarch64"):
        assert arch not in steps


def test_it_installs_exactly_the_pinned_worker_requirements() -> None:
    copies = arguments("COPY")
    assert "worker/requirements.txt worker/requirements.txt" in copies
    (install,) = [run for run in arguments("RUN") if "pip install" in run]
    assert install.endswith("-r worker/requirements.txt")
    pins = [
        line
        for line in (WORKER / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert pins
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", pin) for pin in pins), pins


def test_it_runs_the_entry_point_the_tests_run_as_a_non_root_user() -> None:
    (command,) = arguments("CMD")
    assert json.loads(command) == ["python", "-m", "worker"]
    assert (WORKER / "__main__.py").is_file()
    (user,) = arguments("USER")
    assert user.split(":")[0] not in ("root", "0")
    names = [name for name, _ in instructions()]
    assert names.index("USER") > max(i for i, name in enumerate(names) if name == "RUN")
    assert arguments("STOPSIGNAL") == ["SIGTERM"]


def test_no_ssh_server_or_keys() -> None:
    text = DOCKERFILE.read_text().lower()
    for needle in ("ssh", "authorized_keys", "id_rsa", "aws_secret", "aws_access_key"):
        assert needle not in text
    assert arguments("ADD") == []


def _context_packages() -> set[str]:
    """The top-level folders the root .dockerignore lets through (it excludes all, then allows)."""
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "the .dockerignore must start by excluding everything"
    return {line[1:].strip("/") for line in lines if line.startswith("!")}


def test_the_build_context_sends_exactly_the_shipped_packages() -> None:
    assert _context_packages() == set(PACKAGES) == {"contract", "worker"}
    # Every COPY takes a folder the context sends, and each shipped package is copied.
    sources = {copy.split()[0].split("/")[0] for copy in arguments("COPY")}
    assert sources == set(PACKAGES)
    assert all((ROOT / package / "__init__.py").is_file() for package in PACKAGES)


@pytest.mark.parametrize(
    "module",
    sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py")),
    ids=lambda path: path.relative_to(ROOT).as_posix(),
)
def test_the_image_imports_nothing_it_lacks(module: Path) -> None:
    allowed = {*PACKAGES, "boto3", "botocore", "PIL", "__future__", *sys.stdlib_module_names}
    imported = imported_modules(module)
    assert imported <= allowed, f"{module} imports {imported - allowed}"
