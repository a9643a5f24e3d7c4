"""The source files the stack ships: what goes into the Lambda archive and the image's tag."""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Sequence
from pathlib import Path

import pulumi

IGNORED_DIRECTORIES = frozenset({"__pycache__"})
"""Bytecode caches: rewritten by every local run, never part of what is shipped."""
IGNORED_SUFFIXES = frozenset({".pyc"})
# Keep these within what the root .dockerignore leaves out: pulumi-docker rebuilds when a file it
# sends changes, so a file the tag ignored would rebuild and push an image under an unchanged tag.


def source_files(root: Path, pattern: str = "*", packages: Sequence[str] = ()) -> list[Path]:
    """Files under ``root`` (only under its ``packages`` when given) matching ``pattern``,
    caches left out, in a stable order."""
    tops = [root / name for name in packages] if packages else [root]
    return sorted(
        path
        for top in tops
        for path in top.rglob(pattern)
        if path.is_file()
        and path.suffix not in IGNORED_SUFFIXES
        and not IGNORED_DIRECTORIES.intersection(path.relative_to(root).parts)
    )


def content_hash(root: Path, packages: Sequence[str] = ()) -> str:
    """SHA-256 over every file's path (relative to ``root``), permission bits and bytes.

    Paths are hashed, so renaming or moving a file changes the hash; so are permissions, because
    pulumi-docker's own context digest includes them (a checkout with another umask rebuilds).
    Lengths delimit each part, so no two different trees hash the same byte stream.
    """
    digest = hashlib.sha256()
    for path in source_files(root, packages=packages):
        name = path.relative_to(root).as_posix().encode()
        mode = oct(stat.S_IMODE(path.stat().st_mode)).encode()
        for part in (name, mode, path.read_bytes()):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
    return digest.hexdigest()


def python_packages_archive(root: Path, packages: Sequence[str]) -> pulumi.AssetArchive:
    """The ``.py`` sources of ``root``'s ``packages``, each under its own name, as a code
    archive's root expects."""
    return pulumi.AssetArchive(
        {
            path.relative_to(root).as_posix(): pulumi.FileAsset(path)
            for path in source_files(root, "*.py", packages)
        }
    )
