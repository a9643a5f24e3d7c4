"""The embedded AWS: moto's server on a free loopback port, and the environment that points at it.

Every client of the local pipeline — the runner's, the scaler's and each worker process's — reaches
the emulator only through the standard ``AWS_ENDPOINT_URL``, with throwaway credentials. The user's
real AWS configuration is shut out (credentials, profile and config files), so nothing the local
pipeline does can touch a real account.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import boto3
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

REGION = "us-east-1"
LOOPBACK = "127.0.0.1"

# Throwaway credentials: moto accepts any; these cannot be mistaken for a real key.
_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local-pipeline", "AWS_SECRET_ACCESS_KEY": "local-pipeline"}


def aws_environment(endpoint_url: str, base: Mapping[str, str]) -> dict[str, str]:
    """``base`` with every ``AWS_*`` variable replaced by ones that reach only the emulator."""
    environment = {name: value for name, value in base.items() if not name.startswith("AWS_")}
    environment.update(_CREDENTIALS)
    environment.update(
        AWS_ENDPOINT_URL=endpoint_url,
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        # Never read ~/.aws: a profile there could carry a role or SSO session for a real account.
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return environment


class _Dispatcher(DomainDispatcherApplication):
    """moto's request router (the app of its threaded server), remembering which backend serves
    each host.

    moto 5.2's router looks a request's host up by listing its own package directory, a stat for
    each of some 200 services, on every request: a third of the emulator's CPU per request
    (3 ms of 9 for a GetQueueAttributes). What serves a host does not change while it runs."""

    def __init__(self) -> None:
        super().__init__(create_backend_app)
        self._backend_by_host: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        # moto calls this under its dispatcher's lock.
        if host not in self._backend_by_host:
            self._backend_by_host[host] = super().get_backend_for_host(host)
        return self._backend_by_host[host]


class Emulator:
    """moto's server, on a free loopback port and a thread of its own (a thread per connection
    besides), for the life of a ``with`` block."""

    def __init__(self) -> None:
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.endpoint_url = ""
        # One session for every client: a session reads its files (endpoints, retry rules, each
        # service's model) once, so a pipeline's five clients cost half as much and the next
        # pipeline's on the same emulator next to nothing. A session is not thread-safe.
        self._session = boto3.session.Session(
            aws_access_key_id=_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=REGION,
        )
        self._session_lock = threading.Lock()

    def __enter__(self) -> Emulator:
        # werkzeug logs every request at INFO; the pipeline's own display says what matters.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = make_server(
            LOOPBACK, 0, _Dispatcher(), threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="emulator", daemon=True
        )
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.endpoint_url = f"http://{host!s}:{port}"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._server.server_close()

    def client(self, service: str) -> Any:
        """A client of this emulator, whatever AWS settings the calling process has."""
        with self._session_lock:
            return self._session.client(service, endpoint_url=self.endpoint_url)

    def environment(self, base: Mapping[str, str]) -> dict[str, str]:
        """The environment a process needs to use this emulator (see ``aws_environment``)."""
        return aws_environment(self.endpoint_url, base)
