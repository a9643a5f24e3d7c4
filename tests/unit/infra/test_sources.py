"""The worker image's content tag and the files the stack ships."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from components.sources import IGNORED_DIRECTORIES, IGNORED_SUFFIXES, content_hash, source_files
from components.worker_image import image_tag
from contract.config import CpuArchitecture

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def context(tmp_path: Path) -> Path:
    """GIVEN a project with the image's packages (the worker holding the Dockerfile and a
    subpackage, the contract) and a package the image does not ship."""
    for package in ("worker/pkg", "contract", "components"):
        (tmp_path / package).mkdir(parents=True)
    (tmp_path / "worker" / "Dockerfile").write_text("FROM python:3.13-slim\n")
    (tmp_path / "worker" / "pkg" / "__init__.py").write_text("")
    (tmp_path / "worker" / "pkg" / "main.py").write_text("print('hi')\n")
    (tmp_path / "contract" / "ssm.py").write_text("NAME = 'PIPELINE_X'\n")
    (tmp_path / "components" / "stack.py").write_text("")
    return tmp_path


def test_the_same_content_anywhere_has_the_same_tag(context: Path, tmp_path: Path) -> None:
    # GIVEN a byte-for-byte copy of the project, permissions included, somewhere else
    copy = shutil.copytree(context, tmp_path.parent / f"{tmp_path.name}-copy")
    # THEN it is tagged alike: the tag depends on content, not on where the checkout is
    assert image_tag(copy, CpuArchitecture.X86_64) == image_tag(context, CpuArchitecture.X86_64)


def test_bytecode_caches_do_not_change_the_tag(context: Path) -> None:
    before = content_hash(context)
    (context / "worker" / "pkg" / "__pycache__").mkdir()
    (context / "worker" / "pkg" / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"\x00c")
    (context / "worker" / "stray.pyc").write_bytes(b"\x00")

    assert content_hash(context) == before


@pytest.mark.parametrize(
    "change",
    [
        lambda root: (root / "worker" / "pkg" / "main.py").write_text("print('bye')\n"),
        lambda root: (root / "worker" / "pkg" / "main.py").rename(root / "worker" / "entry.py"),
        lambda root: (root / "worker" / "pkg" / "extra.py").write_text(""),
        lambda root: (root / "worker" / "Dockerfile").write_text("FROM python:3.12-slim\n"),
        # pulumi-docker's digest includes modes: a rebuild must come with a new tag
        lambda root: (root / "worker" / "pkg" / "main.py").chmod(0o600),
        # the contract ships in the image too
        lambda root: (root / "contract" / "ssm.py").write_text("NAME = 'PIPELINE_Y'\n"),
    ],
    ids=["edit", "rename", "add", "dockerfile", "mode", "contract"],
)
def test_any_change_to_the_context_gives_a_new_tag(context: Path, change: object) -> None:
    before = image_tag(context, CpuArchitecture.X86_64)
    change(context)  # type: ignore[operator]

    assert image_tag(context, CpuArchitecture.X86_64) != before


def test_a_change_outside_the_shipped_packages_keeps_the_tag(context: Path) -> None:
    before = image_tag(context, CpuArchitecture.X86_64)
    (context / "components" / "stack.py").write_text("changed = True\n")
    (context / "README.md").write_text("docs\n")

    assert image_tag(context, CpuArchitecture.X86_64) == before


def test_moving_bytes_between_files_changes_the_hash(tmp_path: Path) -> None:
    # "ab" + "" and "a" + "b" must not hash alike.
    first, second = tmp_path / "one", tmp_path / "two"
    for root, (a, b) in ((first, ("ab", "")), (second, ("a", "b"))):
        root.mkdir()
        (root / "a").write_text(a)
        (root / "b").write_text(b)

    assert content_hash(first) != content_hash(second)


def test_each_architecture_gets_its_own_tag(context: Path) -> None:
    # Each build has its own tag: the arm64 image never replaces the amd64 one under its tag.
    x86, arm = (image_tag(context, arch) for arch in CpuArchitecture)

    assert x86.startswith("amd64-")
    assert arm.startswith("arm64-")
    assert x86.split("-")[1] == arm.split("-")[1]


def test_tag_is_a_valid_docker_tag(context: Path) -> None:
    tag = image_tag(context, CpuArchitecture.ARM64)

    assert len(tag) <= 128
    assert tag.replace("-", "").isalnum()


def test_source_files_are_sorted_and_skip_caches(context: Path) -> None:
    (context / "worker" / "pkg" / "__pycache__").mkdir()
    (context / "worker" / "pkg" / "__pycache__" / "x.py").write_text("")

    files = [
        path.relative_to(context).as_posix()
        for path in source_files(context, "*.py", ("worker", "contract"))
    ]
    assert files == ["contract/ssm.py", "worker/pkg/__init__.py", "worker/pkg/main.py"]


def test_what_the_tag_ignores_docker_ignores_too() -> None:
    # pulumi-docker rebuilds when a file in the build context changes; if the tag ignored a
    # file Docker sends, an unchanged tag would be rebuilt and pushed again, naming new bytes.
    dockerignore = ROOT / ".dockerignore"
    patterns = {line.strip() for line in dockerignore.read_text().splitlines()}
    for directory in IGNORED_DIRECTORIES:
        assert f"**/{directory}" in patterns
    for suffix in IGNORED_SUFFIXES:
        assert f"**/*{suffix}" in patterns
