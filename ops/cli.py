"""``python -m ops --stack STACK COMMAND``: arguments, output, and exit codes.

Exit 0 on success; 2 for bad usage or a stack that cannot be operated (one line naming what is
wrong, nothing sent); 1 for an AWS error (one line).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.live import Live

from ops.backfill import BackfillOptions, backfill
from ops.clients import Clients
from ops.display import BackfillProgress, Counts
from ops.errors import OpsError, SendFailed
from ops.report import build_report
from ops.retry import retry
from ops.stack import Stack, load_stack
from ops.status import snapshot
from ops.switch import set_enabled

EXIT_OK = 0
EXIT_AWS_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
STACK_NAME = re.compile(r"[A-Za-z0-9_.-]+")
"""Pulumi stack names: letters, digits, ``-``, ``_`` and ``.``."""
WATCH_SECONDS = 5.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ops",
        description="Operate a fargate-pipeline stack (deployed, or `python -m local --serve` as "
        "stack `local`): everything is found from its SSM parameters.",
    )
    parser.add_argument("--stack", required=True, help="the Pulumi stack's name, e.g. dev")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fill = commands.add_parser(
        "backfill", help="enqueue every object under the prefix that has no outcome yet"
    )
    fill.add_argument("--prefix", help="only keys under this prefix (within the pipeline's)")
    fill.add_argument(
        "--all",
        dest="everything",
        action="store_true",
        help="enqueue every object, done or not (to reprocess after a settings change)",
    )
    fill.add_argument("--dry-run", action="store_true", help="count only; send nothing")
    fill.add_argument(
        "--inventory",
        metavar="S3_URL",
        help="read the objects from an S3 Inventory report (CSV) instead of listing: "
        "s3://BUCKET/.../manifest.json",
    )

    again = commands.add_parser(
        "retry", help="enqueue the failed files again and move the DLQ back to the queue"
    )
    again.add_argument("--reason", help="only failures with this error reason, e.g. corrupt")

    look = commands.add_parser("status", help="queue, DLQ and tasks, in one screen")
    look.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    look.add_argument("--watch", action="store_true", help="refresh until Ctrl-C")

    report = commands.add_parser("report", help="outcomes from the logs, and a cost estimate")
    report.add_argument("--out", type=Path, help="also write one CSV row per file here")

    commands.add_parser("pause", help="set PIPELINE_ENABLED to 0")
    commands.add_parser("resume", help="set PIPELINE_ENABLED to 1")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, clients: Clients | None = None) -> int:
    args = parse_args(argv)
    console = Console(highlight=False)
    errors = Console(stderr=True, highlight=False)
    try:
        if not STACK_NAME.fullmatch(args.stack):
            raise OpsError(
                f"--stack {args.stack!r} is not a stack name (letters, digits, '-', '_', '.')"
            )
        clients = clients or Clients()
        stack = load_stack(clients.ssm, args.stack)
        _COMMANDS[args.command](clients, stack, args, console)
    except OpsError as error:
        errors.print(f"error: {error}", markup=False, soft_wrap=True)
        return EXIT_USAGE
    except ClientError as error:
        details = error.response.get("Error", {})
        errors.print(
            f"AWS error: {error.operation_name}: {details.get('Code', 'Unknown')}: "
            f"{details.get('Message', '')}",
            markup=False,
            soft_wrap=True,
        )
        return EXIT_AWS_ERROR
    except (BotoCoreError, SendFailed) as error:
        errors.print(f"AWS error: {error}", markup=False, soft_wrap=True)
        return EXIT_AWS_ERROR
    except KeyboardInterrupt:
        # Whatever was sent stays sent; a backfill run again enqueues what has no outcome yet.
        errors.print("interrupted")
        return EXIT_INTERRUPTED
    return EXIT_OK


def _backfill(clients: Clients, stack: Stack, args: argparse.Namespace, console: Console) -> None:
    options = BackfillOptions(
        prefix=args.prefix,
        everything=args.everything,
        dry_run=args.dry_run,
        inventory=args.inventory,
    )
    counts = Counts()
    with BackfillProgress(console, counts, dry_run=options.dry_run):
        result = backfill(clients, stack, options, counts)
    console.print(result.summary())


def _retry(clients: Clients, stack: Stack, args: argparse.Namespace, console: Console) -> None:
    console.print(retry(clients, stack, args.reason).summary())


def _status(clients: Clients, stack: Stack, args: argparse.Namespace, console: Console) -> None:
    try:
        _show_status(clients, stack, args, console)
    except KeyboardInterrupt:
        if not args.watch:
            raise
        # Ctrl-C is how --watch ends.


def _show_status(
    clients: Clients, stack: Stack, args: argparse.Namespace, console: Console
) -> None:
    if args.json:
        while True:
            console.print_json(json.dumps(snapshot(clients, stack).to_json()))
            if not args.watch:
                return
            time.sleep(WATCH_SECONDS)
    if not args.watch:
        console.print(snapshot(clients, stack).table())
        return
    with Live(snapshot(clients, stack).table(), console=console) as live:
        while True:
            time.sleep(WATCH_SECONDS)
            live.update(snapshot(clients, stack).table())


def _report(clients: Clients, stack: Stack, args: argparse.Namespace, console: Console) -> None:
    if args.out is None:
        report = build_report(clients, stack)
    else:
        try:
            out = args.out.open("w", newline="", encoding="utf-8")
        except OSError as error:
            raise OpsError(f"--out {str(args.out)!r}: {error.strerror}") from None
        with out:
            report = build_report(clients, stack, out)
    console.print(report.table(stack.name))
    if args.out is not None:
        console.print(f"one row per file: {args.out}")


def _pause(clients: Clients, stack: Stack, args: argparse.Namespace, console: Console) -> None:
    console.print(set_enabled(clients, stack, enabled=False))


def _resume(clients: Clients, stack: Stack, args: argparse.Namespace, console: Console) -> None:
    console.print(set_enabled(clients, stack, enabled=True))


_COMMANDS: dict[str, Callable[[Clients, Stack, argparse.Namespace, Console], None]] = {
    "backfill": _backfill,
    "retry": _retry,
    "status": _status,
    "report": _report,
    "pause": _pause,
    "resume": _resume,
}

if __name__ == "__main__":
    sys.exit(main())
