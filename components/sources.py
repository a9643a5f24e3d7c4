"""The source files the stack ships: what goes into the Lambda archive and the image's tag."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pulumi

IGNORED_DIRECTORIES = frozenset({"__pycache__"})
"""Bytecode caches: rewritten by every local run, never part of what is shipped."""
IGNORED_SUFFIXES = frozenset({".pyc"})
# Keep these within what worker/.dockerignore leaves out: pulumi-docker rebuilds when a file it
# sends changes, and a rebuild under an unchanged tag is a push an IMMUTABLE repository refuses.


def source_files(root: Path, pattern: str = "*") -> list[Path]:
    """Files under ``root`` matching ``pattern``, caches left out, in a stable order."""
    return sorted(
        path
        for path in root.rglob(pattern)
        if path.is_file()
        and path.suffix not in IGNORED_SUFFIXES
        and not IGNORED_DIRECTORIES.intersection(path.relative_to(root).parts)
    )


def content_hash(root: Path) -> str:
    """SHA-256 over every file's path (relative to ``root``), permission bits and bytes.

    Paths are hashed, so renaming or moving a file changes the hash; so are permissions, because
    pulumi-docker's own context digest includes them (a checkout with another umask rebuilds).
    Lengths delimit each part, so no two different trees hash the same byte stream.
    """
    digest = hashlib.sha256()
    for path in source_files(root):
        name = path.relative_to(root).as_posix().encode()
        mode = oct(stat.S_IMODE(path.stat().st_mode)).encode()
        for part in (name, mode, path.read_bytes()):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
    return digest.hexdigest()


def python_package_archive(package: Path) -> pulumi.AssetArchive:
    """The package's ``.py`` sources under its own name, as a code archive's root expects."""
    return pulumi.AssetArchive(
        {
            (Path(package.name) / path.relative_to(package)).as_posix(): pulumi.FileAsset(path)
            for path in source_files(package, "*.py")
        }
    )
