"""moto's server behind a WSGI middleware that delays every S3 request, and the worker run
through it exactly as `python -m worker` builds itself (real boto3 clients, their pools).

The server runs in its own process, pinned to the other CPU, so its Python does not share the
worker's CPU or GIL; the middleware also counts the S3 requests that reach it and notes when the
last PUT arrived, which is when the drain's work ended.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import boto3

from worker.__main__ import build_worker
from worker.config import WorkerConfig

SERVE_FLAG = "--serve"
ADMIN_PATH = "/_bench/requests"
"""Answered by the middleware itself: the S3 requests counted so far, as JSON."""

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Latency:
    """WSGI middleware: sleep before each S3 request, count them by method."""

    def __init__(self, app: WsgiApp, seconds: float) -> None:
        self._app = app
        self._seconds = seconds
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._last_put = 0.0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") == ADMIN_PATH:
            with self._lock:
                body = json.dumps({"counts": self._counts, "last_put": self._last_put}).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        # SigV4's credential scope names the service: `Credential=<key>/<date>/<region>/s3/...`.
        if "/s3/aws4_request" not in environ.get("HTTP_AUTHORIZATION", ""):
            return self._app(environ, start_response)
        time.sleep(self._seconds)
        try:
            return self._app(environ, start_response)
        finally:
            method = environ.get("REQUEST_METHOD", "")
            with self._lock:
                self._counts[method] += 1
                if method == "PUT":
                    self._last_put = time.time()


def serve(delay_ms: float) -> None:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = Latency(DomainDispatcherApplication(create_backend_app), delay_ms / 1000)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


class Server:
    """The delaying moto server in a child process pinned to `cpu`."""

    def __init__(self, delay_ms: float, cpu: int) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.latent_moto", SERVE_FLAG, str(delay_ms)],
            stdout=subprocess.PIPE,
            text=True,
        )
        os.sched_setaffinity(self._process.pid, {cpu})
        assert self._process.stdout is not None
        self.endpoint = f"http://127.0.0.1:{int(self._process.stdout.readline())}"

    def requests(self) -> tuple[Counter[str], float]:
        import urllib.request

        with urllib.request.urlopen(self.endpoint + ADMIN_PATH) as response:
            answer = json.loads(response.read())
        return Counter(answer["counts"]), float(answer["last_put"])

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait()


class _PoolWarnings(logging.Handler):
    """Counts urllib3's "Connection pool is full" warnings: a pool smaller than the files."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "Connection pool is full" in record.getMessage():
            self.count += 1


def drain(
    settings: WorkerConfig, source: str, datas: list[bytes], files: int, delay_ms: float
) -> tuple[float, Counter[str], int]:
    """(files/s, S3 requests by method, pool-full warnings) of one drain on one CPU."""
    every_cpu = sorted(os.sched_getaffinity(0))
    server = Server(delay_ms, cpu=every_cpu[1])
    try:
        environ = {
            "AWS_ENDPOINT_URL": server.endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
        }
        os.environ.update(environ)
        s3, sqs = boto3.client("s3"), boto3.client("sqs")
        s3.create_bucket(Bucket=source)
        s3.create_bucket(Bucket=settings.dest_bucket)
        queue_url = sqs.create_queue(QueueName="bench")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        # The uploads' own notifications fill the queue, as in the deployed pipeline.
        s3.put_bucket_notification_configuration(
            Bucket=source,
            NotificationConfiguration={
                "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]
            },
        )
        for number in range(files):
            key = f"{number:05}.jpg"
            s3.put_object(Bucket=source, Key=key, Body=datas[number % len(datas)])
        before, _ = server.requests()
        worker = build_worker(dataclasses.replace(settings, queue_url=queue_url), environ)
        warnings = _PoolWarnings()
        logging.getLogger("urllib3.connectionpool").addHandler(warnings)
        os.sched_setaffinity(0, {every_cpu[0]})
        started = time.time()
        try:
            worker.run()
        finally:
            os.sched_setaffinity(0, set(every_cpu))
            logging.getLogger("urllib3.connectionpool").removeHandler(warnings)
        after, last_put = server.requests()
        return files / (last_put - started), after - before, warnings.count
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(SERVE_FLAG, type=float, metavar="DELAY_MS", required=True)
    serve(parser.parse_args().serve)


if __name__ == "__main__":
    main()
