"""Source objects from an S3 Inventory report (CSV) instead of a listing, for the largest buckets.

The manifest (``manifest.json``) names gzipped CSV data files with the columns of its
``fileSchema``. Keys in them are URL-encoded with ``+`` for spaces (decoded with ``unquote_plus``,
see cloud-custodian/cloud-custodian#1997). The report promises no order, and the join needs key
order: each data file is sorted on its own and spilled to a temporary file, and the sorted runs
are merged as a stream, so memory holds one data file's rows, never the bucket's.
"""

from __future__ import annotations

import csv
import gzip
import heapq
import io
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import unquote_plus

from ops.errors import InvalidInventory
from ops.join import SourceObject

S3_URL_SCHEME = "s3://"
SUPPORTED_FORMAT = "CSV"
BUCKET_ARN_PREFIX = "arn:aws:s3:::"
NO_TIME = datetime.min.replace(tzinfo=UTC)
"""An object's time when the report has no LastModifiedDate column: any log makes it done."""


@dataclass(frozen=True)
class Manifest:
    source_bucket: str
    data_bucket: str
    """Where the data files are (the report's destination bucket)."""
    data_keys: tuple[str, ...]
    columns: tuple[str, ...]


def split_s3_url(url: str) -> tuple[str, str]:
    bucket, _, key = url.removeprefix(S3_URL_SCHEME).partition("/")
    if not url.startswith(S3_URL_SCHEME) or not bucket or not key.endswith(".json"):
        raise InvalidInventory(
            f"--inventory {url!r}: expected the report's manifest, s3://BUCKET/…/manifest.json"
        )
    return bucket, key


def parse_manifest(text: str, where: str) -> Manifest:
    """The manifest's fields this reader needs; InvalidInventory naming what is wrong."""

    def bad(problem: str) -> InvalidInventory:
        return InvalidInventory(f"inventory manifest {where}: {problem}")

    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise bad(f"not JSON ({error.msg} at character {error.pos})") from None
    if not isinstance(document, dict):
        raise bad("not a JSON object")
    file_format = document.get("fileFormat")
    if file_format != SUPPORTED_FORMAT:
        raise bad(f"fileFormat is {file_format!r}: only CSV reports can be read")
    schema = document.get("fileSchema")
    columns = tuple(part.strip() for part in schema.split(",")) if isinstance(schema, str) else ()
    if "Bucket" not in columns or "Key" not in columns:
        raise bad("fileSchema must list the Bucket and Key columns")
    files = document.get("files")
    if (
        not isinstance(files, list)
        or not files
        or not all(isinstance(item, dict) and isinstance(item.get("key"), str) for item in files)
    ):
        raise bad("'files' must be a non-empty list of {\"key\": ...} data files")
    source, destination = document.get("sourceBucket"), document.get("destinationBucket")
    if not isinstance(source, str) or not isinstance(destination, str):
        raise bad("sourceBucket and destinationBucket must be given")
    return Manifest(
        source_bucket=source,
        data_bucket=destination.removeprefix(BUCKET_ARN_PREFIX),
        data_keys=tuple(item["key"] for item in files),
        columns=columns,
    )


def load_manifest(s3: Any, url: str) -> Manifest:
    bucket, key = split_s3_url(url)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return parse_manifest(body.decode("utf-8", errors="replace"), url)


def read_sources(
    s3: Any, manifest: Manifest, matches: Callable[[str], bool]
) -> Iterator[SourceObject]:
    """The report's objects of its source bucket that ``matches`` accepts, in key order."""
    with ExitStack() as stack:
        runs = []
        for key in manifest.data_keys:
            run = stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8"))
            _write_sorted_run(_rows(s3, manifest, key), matches, run)
            run.seek(0)
            runs.append(_read_run(run))
        previous: str | None = None
        for source in heapq.merge(*runs, key=lambda source: source.key):
            if source.key != previous:  # a key listed in two data files counts once
                yield source
            previous = source.key


def _rows(s3: Any, manifest: Manifest, key: str) -> Iterator[dict[str, str]]:
    body = s3.get_object(Bucket=manifest.data_bucket, Key=key)["Body"]
    text = io.TextIOWrapper(gzip.GzipFile(fileobj=body), encoding="utf-8")
    for number, row in enumerate(csv.reader(text), start=1):
        if len(row) != len(manifest.columns):
            raise InvalidInventory(
                f"inventory data file {key}: row {number} has {len(row)} fields, the manifest's "
                f"fileSchema {len(manifest.columns)}"
            )
        named = dict(zip(manifest.columns, row, strict=True))
        if named["Bucket"] == manifest.source_bucket:
            yield named


def _write_sorted_run(
    rows: Iterator[dict[str, str]], matches: Callable[[str], bool], run: IO[str]
) -> None:
    entries = []
    for row in rows:
        key = unquote_plus(row["Key"])
        # A versioned bucket's report lists every version: only the current object is processed.
        current = row.get("IsLatest", "true").lower() != "false"
        if current and matches(key) and row.get("IsDeleteMarker", "false").lower() != "true":
            entries.append((key, row.get("LastModifiedDate", ""), row.get("Size", "") or "0"))
    for entry in sorted(entries):
        run.write(json.dumps(entry, ensure_ascii=False) + "\n")


def _read_run(run: IO[str]) -> Iterator[SourceObject]:
    for line in run:
        key, modified, size = json.loads(line)
        yield SourceObject(key, _timestamp(modified), int(size) if size.isdigit() else 0)


def _timestamp(text: str) -> datetime:
    if not text:
        return NO_TIME
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInventory(f"inventory LastModifiedDate {text!r} is not a timestamp") from None
