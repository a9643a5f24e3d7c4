"""The AWS clients the scaler uses, built once per Lambda container from the environment."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

CLIENT_CONFIG = Config(
    # "standard" retries throttling and transient errors with backoff, up to 3 attempts in all;
    # RunTask's clientToken makes its retries safe.
    retries={"mode": "standard", "max_attempts": 3},
    # Bounded so one hung call cannot use up the Lambda's timeout.
    connect_timeout=5,
    read_timeout=20,
)

# boto3 ships no type information: a client is Any, named for what it is.
BotoClient = Any

# What a client is built from. In Lambda these never change, so there is one set of clients per
# container; a process that points the scaler at a new emulator (AWS_ENDPOINT_URL) gets new ones.
_CLIENT_ENVIRONMENT = (
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_ACCESS_KEY_ID",
)


@dataclass(frozen=True)
class Clients:
    ssm: BotoClient
    sqs: BotoClient
    ecs: BotoClient


def default_clients() -> Clients:
    """The clients for the current environment, created on first use and reused after."""
    return _clients_for(tuple(os.environ.get(name) for name in _CLIENT_ENVIRONMENT))


@functools.cache
def _clients_for(environment: tuple[str | None, ...]) -> Clients:
    # boto3 reads the environment itself; `environment` is only the cache key.
    session = boto3.session.Session()
    return Clients(
        ssm=session.client("ssm", config=CLIENT_CONFIG),
        sqs=session.client("sqs", config=CLIENT_CONFIG),
        ecs=session.client("ecs", config=CLIENT_CONFIG),
    )
