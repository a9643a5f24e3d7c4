"""The worker image runs what the tests run (it cannot be built here, so it must not drift)."""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import pytest

WORKER = Path(__file__).resolve().parents[3] / "worker"
DOCKERFILE = WORKER / "Dockerfile"


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
    assert "requirements.txt worker/requirements.txt" in copies
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


def test_the_build_context_is_the_worker_package() -> None:
    # Everything copied exists in worker/, and nothing the package imports lives outside it.
    for copy in arguments("COPY"):
        source = copy.split()[0]
        assert (WORKER / source).exists(), source
    ignored = (WORKER / ".dockerignore").read_text()
    assert "__pycache__" in ignored


@pytest.mark.parametrize("module", sorted(WORKER.glob("*.py")), ids=lambda path: path.name)
def test_the_package_imports_nothing_the_image_lacks(module: Path) -> None:
    allowed = {"worker", "boto3", "botocore", "PIL", *sys.stdlib_module_names}
    tree = ast.parse(module.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots = [node.module.split(".")[0]]
        else:
            continue
        assert set(roots) <= allowed, f"{module.name} imports {roots}"
