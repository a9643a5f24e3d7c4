"""What ``python -m local`` does once its arguments are good: start the pipeline, upload or
serve, follow it to the end, and report every outcome (``local/cli.py`` reads the arguments)."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from rich.console import Console

import pipeline_spec
from contract.layout import Outcome, log_key
from local.contact_sheet import SheetEntry, write_contact_sheet
from local.display import ProgressDisplay, summary_table
from local.emulator import REGION
from local.pipeline import PROJECT_ROOT, LocalPipeline, Status
from local.settings import LocalSettings

OPS_COMMAND = (sys.executable, "-m", "ops")
TICK_SECONDS = 0.5
EXIT_INCOMPLETE = 1
EXIT_INTERRUPTED = 130


def run(
    args: argparse.Namespace,
    settings: LocalSettings,
    images: list[Path],
    preload: list[Path],
    console: Console,
) -> int:
    """Start the pipeline with ``settings``, do what ``args`` ask, report; the exit status."""
    log_directory = (
        args.out / "task-logs"
        if args.out
        else Path(tempfile.mkdtemp(prefix="fargate-pipeline-local-"))
    )
    _log_to(log_directory / "local.log")

    def stream(task_id: str, line: str) -> None:
        # Whole lines, never wrapped: each is one JSON object (a log line or an EMF document).
        console.print(f"{task_id[:8]} {line}", markup=False, highlight=False, soft_wrap=True)

    try:
        with (
            _sigterm_as_interrupt(),
            LocalPipeline(
                settings,
                log_directory=log_directory,
                sink=stream if args.verbose else None,
                preload=(preload, args.preload) if args.preload else None,
            ) as pipeline,
        ):
            _report_skipped(pipeline, console, pipeline.preload_skipped)
            if args.serve:
                return _serve(pipeline, console)
            if args.preload and _backfill(pipeline, console) != 0:
                return EXIT_INCOMPLETE
            return _run_batch(pipeline, console, args, images, log_directory)
    except KeyboardInterrupt:
        console.print("interrupted: workers stopped, emulator shut down")
        return EXIT_INTERRUPTED


def _suffixes(pipeline: LocalPipeline) -> str:
    suffixes = pipeline.settings.config.source_suffixes
    return " ".join(suffixes) if suffixes else "anything"


def _run_batch(
    pipeline: LocalPipeline,
    console: Console,
    args: argparse.Namespace,
    images: list[Path],
    log_directory: Path,
) -> int:
    if images:
        _report_skipped(pipeline, console, pipeline.upload(images, args.images))
        console.print(
            f"uploaded {len(images)} files to s3://{pipeline.deployment.source_bucket}/"
            f"{pipeline.settings.config.source_prefix}; the scaler runs every "
            f"{pipeline.settings.schedule_seconds:g} s"
        )
    deadline = time.monotonic() + args.timeout
    with ProgressDisplay(console, "files") as display:
        while True:
            status = pipeline.tick()
            display.update(status)
            if pipeline.settled(status) or time.monotonic() > deadline:
                break
            time.sleep(TICK_SECONDS)
    dead_lettered = pipeline.dead_lettered_keys() & pipeline.files
    console.print(summary_table(status, len(dead_lettered), _notes(pipeline, status)))
    for key in sorted(dead_lettered):
        console.print(f"[red]in the DLQ:[/] {key}")
    for key in sorted(pipeline.files - pipeline.ledger.outcomes.keys() - dead_lettered):
        console.print(f"[red]no outcome:[/] {key}")
    if args.out:
        _write_results(pipeline, console, args.out)
    console.print(f"task logs: {log_directory}")
    return 0 if status.unaccounted == 0 else EXIT_INCOMPLETE


def _report_skipped(pipeline: LocalPipeline, console: Console, skipped: list[Path]) -> None:
    for path in skipped:
        console.print(
            f"[yellow]skipped[/] {path.name}: the notification only picks up keys ending in "
            f"{_suffixes(pipeline)} (see --source-suffix)"
        )


def _preloaded_note(pipeline: LocalPipeline) -> str:
    return (
        f"{len(pipeline.files)} files were in s3://{pipeline.deployment.source_bucket}/"
        f"{pipeline.settings.config.source_prefix} before its notification existed: S3 sends no "
        "event for those, so nothing processes them until a backfill enqueues them"
    )


def _backfill(pipeline: LocalPipeline, console: Console) -> int:
    """Run the operations CLI's backfill as a user would, from another terminal."""
    console.print(_preloaded_note(pipeline), soft_wrap=True)
    command = [*OPS_COMMAND, "--stack", pipeline.settings.stack, "backfill"]
    console.print(f"$ python {shlex.join(command[1:])}", highlight=False)
    return subprocess.run(
        command, env=pipeline.environment, cwd=PROJECT_ROOT, check=False
    ).returncode


def _serve(pipeline: LocalPipeline, console: Console) -> int:
    deployment = pipeline.deployment
    upload_to = f"s3://{deployment.source_bucket}/{pipeline.settings.config.source_prefix}"
    environment = (
        f"AWS_ENDPOINT_URL={pipeline.endpoint_url} AWS_ACCESS_KEY_ID=local "
        f"AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION={REGION}"
    )
    aws_upload = pipeline_spec.upload_command(
        deployment.source_bucket,
        pipeline.settings.config.source_prefix,
        pipeline.settings.config.source_suffixes,
        source_dir="./my-photos",
        endpoint_url=pipeline.endpoint_url,
    )
    boto3_upload = (
        "python -c \"import boto3; boto3.client('s3').upload_file('photo.jpg', "
        f"'{deployment.source_bucket}', '{pipeline.settings.config.source_prefix}photo.jpg')\""
    )
    console.print(
        f"""[bold]The pipeline is up.[/] Upload from another terminal; Ctrl-C stops everything.

  endpoint      {pipeline.endpoint_url}
  source        {upload_to}  (keys ending in {_suffixes(pipeline)})
  destination   s3://{deployment.dest_bucket}/{pipeline.settings.config.dest_prefix}

  In another terminal:
    export {environment}
    {aws_upload}
  or, with boto3:
    {boto3_upload}
  and operate it (backfill, retry, status, report, pause, resume):
    python -m ops --stack {pipeline.settings.stack} status
""",
        highlight=False,
        soft_wrap=True,
    )
    if pipeline.files:
        console.print(
            f"{_preloaded_note(pipeline)}: in the other terminal, run\n"
            f"    python -m ops --stack {pipeline.settings.stack} backfill\n",
            highlight=False,
            soft_wrap=True,
        )
    with ProgressDisplay(console, "files") as display:
        try:
            while True:
                pipeline.discover_uploads()
                display.update(pipeline.tick())
                time.sleep(TICK_SECONDS)
        except KeyboardInterrupt:
            pass
    console.print("stopping: workers get SIGTERM, as on Fargate")
    return 0


def _write_results(pipeline: LocalPipeline, console: Console, out: Path) -> None:
    pipeline.download(out)
    entries = []
    prefix = pipeline.settings.config.dest_prefix
    for key in sorted(pipeline.files):
        outcome = pipeline.ledger.outcomes.get(key)
        succeeded = outcome is Outcome.SUCCESS
        entries.append(
            SheetEntry(
                key=key,
                source=pipeline.source_bytes(key),
                outputs=_outputs(out, log_key(prefix, key, Outcome.SUCCESS)) if succeeded else [],
                succeeded=succeeded,
                note="" if succeeded else _failure_note(out / log_key(prefix, key, Outcome.FAILED)),
            )
        )
    sheet = write_contact_sheet(entries, out / "contact-sheet.png")
    console.print(f"outputs and logs: {out}/   contact sheet: {sheet}")


def _outputs(out: Path, success_log: str) -> list[tuple[str, bytes]]:
    """Every output a ``.success`` log lists (one per size), labelled by size, as downloaded."""
    try:
        listed = json.loads((out / success_log).read_text())["outputs"]
        return [
            ("x".join(map(str, output["size"])), (out / output["key"]).read_bytes())
            for output in listed
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return []  # not the worker's log (another worker wrote it): nothing to show


def _failure_note(log_path: Path) -> str:
    """The reason a file failed, from its ``.failed`` log; or why there is no log."""
    if not log_path.exists():
        return "no outcome recorded (see the DLQ)"
    text = log_path.read_text(errors="replace").strip()
    try:
        error = json.loads(text)["error"]
        return f"{error['reason']}: {error['detail']}"
    except (ValueError, KeyError, TypeError):
        # Not the worker's JSON log (another worker wrote it): show its first line.
        return text.splitlines()[0] if text else "failed"


def _notes(pipeline: LocalPipeline, status: Status) -> list[str]:
    notes = [f"scaler error: {error}" for error in sorted(set(pipeline.scaler_errors))]
    if status.unaccounted and not pipeline.settled(status):
        notes.append("timed out before every file had an outcome")
    return notes


def _log_to(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM shuts the pipeline down like Ctrl-C, so no worker process is left behind."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
