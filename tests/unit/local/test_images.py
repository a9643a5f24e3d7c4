"""Which files `python -m local --images DIR` uploads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from local.cli import _images


def test_a_folder_given_through_dot_dot_is_not_taken_for_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a folder of images beside the working directory, with a hidden file and folder in it
    images = tmp_path / "images"
    (images / ".cache").mkdir(parents=True)
    (images / "a.jpg").write_bytes(b"x")
    (images / ".hidden.jpg").write_bytes(b"x")
    (images / ".cache" / "b.jpg").write_bytes(b"x")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    # WHEN it is named as ../images
    found = _images(Path(os.pardir) / "images")
    # THEN its visible file is uploaded, and only that one
    assert [path.name for path in found] == ["a.jpg"]
