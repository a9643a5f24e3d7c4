"""Program runs shared by the infra tests: each config runs once per test process."""

from __future__ import annotations

import importlib
import warnings

import pytest

from tests.unit.infra.mocks import AwsMocks
from tests.unit.infra.program import StackRun, run_program, stack_config

STACK_MODULES = ("cloudwatch", "ec2", "ecr", "ecs", "iam", "lambda_", "s3", "scheduler", "sqs")
"""The pulumi_aws modules the stack declares resources from."""


@pytest.fixture(scope="session", autouse=True)
def _pulumi_aws_loaded_quietly() -> None:
    """pulumi_aws's generated modules warn about their own deprecated resources when they load
    (lazily, on first use): load the ones the stack uses once, quietly, not inside a test.

    Before this directory's first test rather than at collection, which every test process
    does: loading them costs two seconds of CPU, paid only where these tests run."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for module in STACK_MODULES:
            # Any attribute but the introspection ones (__name__, __dict__...) loads the module.
            hasattr(importlib.import_module(f"pulumi_aws.{module}"), "__all__")


BYO_SOURCE = "my-raw-images"
BYO_DEST = "my-training-data"
BYO_QUEUE = "my-raw-images-events"


def byo_mocks() -> AwsMocks:
    """An account that already holds the user's buckets and queue."""
    return AwsMocks(
        existing_buckets=frozenset({BYO_SOURCE, BYO_DEST}), existing_queues=frozenset({BYO_QUEUE})
    )


@pytest.fixture(scope="session")
def default_run() -> StackRun:
    """The example stack (Pulumi.dev.yaml: only aws:region set), everything created."""
    return run_program(stack_config())


@pytest.fixture(scope="session")
def byo_run() -> StackRun:
    """The user's own buckets and queue."""
    return run_program(
        stack_config({"sourceBucket": BYO_SOURCE, "destBucket": BYO_DEST, "queueName": BYO_QUEUE}),
        mocks=byo_mocks(),
    )


@pytest.fixture(scope="session")
def own_queue_run() -> StackRun:
    """Created buckets, and the user's own queue (fed by a notification of their own)."""
    return run_program(stack_config({"queueName": BYO_QUEUE}), mocks=byo_mocks())


@pytest.fixture(scope="session")
def root_outputs_run() -> StackRun:
    """Outputs written at the destination bucket's root (an empty ``destPrefix``)."""
    return run_program(stack_config({"destPrefix": ""}))
