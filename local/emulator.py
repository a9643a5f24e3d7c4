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
from moto.server import ThreadedMotoServer

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


class Emulator:
    """moto's threaded server, started on a free port for the life of a ``with`` block."""

    def __init__(self) -> None:
        self._server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
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
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.stop()

    def client(self, service: str) -> Any:
        """A client of this emulator, whatever AWS settings the calling process has."""
        with self._session_lock:
            return self._session.client(service, endpoint_url=self.endpoint_url)

    def environment(self, base: Mapping[str, str]) -> dict[str, str]:
        """The environment a process needs to use this emulator (see ``aws_environment``)."""
        return aws_environment(self.endpoint_url, base)
