"""`python -m local` as a user runs it: every kind of file, the summary, the exit code."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from local.pipeline import PROJECT_ROOT
from tests.e2e.conftest import write_files
from tests.support import emf, images

# Keys a user really has: spaces, a plus sign (S3 events encode spaces as '+'), non-ASCII.
AWKWARD_NAMES = {
    "holiday photos/beach day.jpg": lambda: images.jpeg(seed=1),
    "a+b=c.jpg": lambda: images.jpeg(seed=2),
    "müsli und crème brûlée.jpg": lambda: images.jpeg(seed=3),
    # A camera's and a dataset's spellings: S3's suffix filter is case-sensitive.
    "DCIM/IMG_0001.JPG": lambda: images.jpeg(seed=4),
    "dataset/0001.jpeg": lambda: images.jpeg(seed=5),
}


def _run_local(*arguments: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "local", *arguments],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_every_kind_of_file_gets_its_outcome_and_the_run_exits_0(tmp_path: Path) -> None:
    # GIVEN a folder with every good kind of image, awkward names, and broken files
    good = {name: make() for name, make in {**images.GOOD_FILES, **AWKWARD_NAMES}.items()}
    bad = {name: make() for name, make in images.BAD_FILES.items()}
    write_files(tmp_path / "in", {**good, **bad})
    out = tmp_path / "out"
    # WHEN the local pipeline runs on it with the default filter: every suffix the worker
    # decodes, in both cases, so the PNGs, a camera's .JPG and a .jpeg are all taken (by three
    # tasks: more worker processes would only share the same two CPUs)
    result = _run_local(
        "--images", str(tmp_path / "in"), "--out", str(out),
        "--schedule-seconds", "1", "--messages-per-task", "4", "--max-tasks", "3",
        "--idle-seconds", "2", "--verbose",
    )  # fmt: skip
    # THEN it exits 0, with a .success and an exact-size RGB output per good file
    assert result.returncode == 0, result.stdout + result.stderr
    for name in good:
        with Image.open(out / "processed" / "ecsproc" / name) as output:
            assert (output.size, output.mode) == ((224, 224), "RGB"), name
        assert (out / "processed" / "logs" / "ecsproc" / f"{name}.success").exists(), name
    # AND a .failed log and no output per bad file
    for name in bad:
        assert (out / "processed" / "logs" / "ecsproc" / f"{name}.failed").exists(), name
        assert not (out / "processed" / "ecsproc" / name).exists(), name
    # AND the summary accounts for every file with nothing left behind, beside a contact sheet
    summary = dict(re.findall(r"│ ([a-z ]+?) +│ +([^│]+?) │", result.stdout))
    assert summary["files"] == str(len(good) + len(bad)), result.stdout
    assert summary["succeeded"] == str(len(good)), result.stdout
    assert summary["failed"] == str(len(bad)), result.stdout
    assert summary["left in the queue"] == "0", result.stdout
    # AND --verbose streamed each worker's JSON log lines, one per file
    assert result.stdout.count('"event": "file"') >= len(good) + len(bad), result.stdout
    # AND the EMF lines of the workers and the scaler, valid, adding up to the summary's counts
    streamed = [line.partition(" ")[2] for line in result.stdout.splitlines()]
    documents = emf.documents(streamed)
    for document in documents:
        emf.validate(document)
    sums = emf.totals(documents, frozenset({"Stack"}))
    # One metric per processing of a file, as its log line: SQS delivers at least once, so a
    # file may be processed twice (moto's server too, now and then, hands one message to two
    # receivers at once), which the summary's per-file counts do not show.
    processed = Counter(re.findall(r'"event": "file", .*?"outcome": "([a-z]+)"', result.stdout))
    assert sums["FilesSucceeded"] == processed["success"] >= int(summary["succeeded"])
    assert sums["FilesFailed"] == processed["failed"] >= int(summary["failed"])
    assert sums["TasksStarted"] == int(summary["tasks started"]), result.stdout
    assert any(
        line.startswith("scaler ") and '"_aws"' in line for line in result.stdout.splitlines()
    )
    with Image.open(out / "contact-sheet.png") as sheet:
        assert sheet.format == "PNG"


def test_a_run_that_ends_with_files_unaccounted_for_exits_non_zero(tmp_path: Path) -> None:
    write_files(tmp_path / "in", {"a.jpg": images.jpeg(), "b.jpg": images.jpeg(seed=1)})
    # No time at all: the run gives up before its worker has finished.
    result = _run_local("--images", str(tmp_path / "in"), "--timeout", "0", "--max-tasks", "1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no outcome: ecsproc/a.jpg" in result.stdout
    assert "timed out" in result.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--target-size", "0x224"), "expected WxH"),
        (("--resize-mode", "squash"), "stretch, crop, pad"),
        (("--images", "/nonexistent/folder"), "no files to upload"),
    ],
)
def test_bad_options_are_one_clear_line(arguments: tuple[str, ...], message: str) -> None:
    result = _run_local(*arguments, timeout=60)
    assert result.returncode == 2
    assert message in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
