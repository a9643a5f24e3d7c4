"""``python -m local``: its arguments and settings, checked before anything starts (``local/run.py``
runs the pipeline and shows what it did)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from local.settings import LocalSettings

SAMPLES = Path(__file__).resolve().parent / "samples"
EXIT_USAGE = 2


def parse_args(argv: Sequence[str] | None, defaults: LocalSettings) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local",
        description="Run the fargate-pipeline on this machine against an embedded AWS emulator: "
        "upload images, let the real scaler start worker processes, and report every outcome.",
    )
    parser.add_argument(
        "--images",
        type=Path,
        help="folder of files to upload (default: the bundled sample photos, unless --preload)",
    )
    parser.add_argument(
        "--preload",
        type=Path,
        metavar="DIR",
        help="put these files in the bucket before its notification exists, as a dataset "
        "already in S3 is, then process them with `python -m ops --stack local backfill`",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="download outputs and logs here, with a contact sheet (contact-sheet.png)",
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="keep running and process uploads from another terminal until Ctrl-C",
    )
    parser.add_argument("--max-tasks", type=int, default=defaults.config.max_tasks)
    parser.add_argument("--max-tasks-per-run", type=int, default=defaults.config.max_tasks_per_run)
    parser.add_argument("--messages-per-task", type=int, default=defaults.config.messages_per_task)
    parser.add_argument(
        "--schedule-seconds",
        type=float,
        default=defaults.schedule_seconds,
        help="how often the scaler runs (the stack: every few minutes)",
    )
    parser.add_argument(
        "--target-size",
        default=defaults.config.target_size,
        help="output size WxH, or several comma-separated (224x224,299x299) from one decode",
    )
    parser.add_argument("--resize-mode", default=defaults.config.resize_mode.value)
    parser.add_argument(
        "--output-format",
        default=defaults.config.output_format.value,
        help="source (PNG for .png keys, JPEG otherwise), jpeg, png or webp",
    )
    parser.add_argument(
        "--source-suffix",
        action="append",
        help="notification suffix filter, once per suffix (case-sensitive, as on S3); "
        'default: every suffix the worker decodes, in lower and upper case; "" takes every file',
    )
    parser.add_argument("--visibility-timeout", type=int, default=defaults.visibility_timeout)
    parser.add_argument("--max-receive-count", type=int, default=defaults.config.max_receive_count)
    parser.add_argument(
        "--idle-seconds",
        type=int,
        default=defaults.idle_seconds,
        help="a worker exits after the queue gave nothing for this long",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        help="give up after this many seconds (not with --serve)",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="stream the workers' output and the scaler's metrics (EMF lines)",
    )
    return parser.parse_args(argv)


def suffix_changes(given: list[str] | None) -> dict[str, tuple[str, ...]]:
    """``--source-suffix`` as a config change: none given keeps the default, ``""`` among them
    takes every key (no suffix filter), as ``sourceSuffixes: []`` does."""
    if given is None:
        return {}
    return {"source_suffixes": () if "" in given else tuple(given)}


def main(argv: Sequence[str] | None = None) -> int:
    defaults = LocalSettings()
    args = parse_args(argv, defaults)
    console = Console(highlight=False)
    try:
        settings = defaults.replace(
            max_tasks=args.max_tasks,
            max_tasks_per_run=args.max_tasks_per_run,
            messages_per_task=args.messages_per_task,
            schedule_seconds=args.schedule_seconds,
            target_size=args.target_size,
            resize_mode=args.resize_mode,
            output_format=args.output_format,
            **suffix_changes(args.source_suffix),
            visibility_timeout=args.visibility_timeout,
            max_receive_count=args.max_receive_count,
            idle_seconds=args.idle_seconds,
        )
    except ValueError as error:
        console.print(f"[red]error:[/] {error}")
        return EXIT_USAGE
    if args.images is None and not args.preload:
        args.images = SAMPLES
    images = _images(args.images) if args.images and not args.serve else []
    preload = _images(args.preload) if args.preload else []
    for flag, folder, found in (
        ("--images", args.images, images),
        ("--preload", args.preload, preload),
    ):
        if folder is not None and not found and not (flag == "--images" and args.serve):
            console.print(f"[red]error:[/] no files to upload in {folder} ({flag})")
            return EXIT_USAGE

    # Imported once the arguments are known to be good: the pipeline's modules load moto and
    # boto3 (a second of CPU), and a mistyped option should be answered at once.
    from local.run import run

    return run(args, settings, images, preload, console)


def _images(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(
        path
        for path in directory.rglob("*")
        if path.is_file()
        # Hidden files and folders inside it only: a path given as ../images is not hidden.
        and not any(part.startswith(".") for part in path.relative_to(directory).parts)
        and path.name != "README.md"
    )
