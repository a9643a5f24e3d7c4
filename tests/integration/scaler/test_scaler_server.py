"""The handler as the local pipeline runs it: default clients pointed at moto's server only by
``AWS_ENDPOINT_URL``, and new clients when the endpoint changes within one process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.emulator import Emulator
from scaler.clients import default_clients
from scaler.handler import handler
from tests.integration.scaler.conftest import create_pipeline


@pytest.fixture
def endpoint(aws_environment: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with Emulator() as emulator:
        monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint_url)
        yield emulator.endpoint_url


def test_handler_runs_against_the_emulator_from_the_environment_alone(endpoint: str) -> None:
    # GIVEN the pipeline's resources on moto's server and two files waiting
    pipeline = create_pipeline(MESSAGES_PER_TASK="5")
    pipeline.upload(2)
    # WHEN the handler runs with nothing but the environment
    result = handler({}, None)
    # THEN it talked to the server: one task for two files at five per task
    assert (result["visible"], result["started"]) == (2, 1)
    assert len(pipeline.running_tasks()) == 1
    assert default_clients().ecs.meta.endpoint_url == endpoint


def test_clients_are_reused_per_environment_and_rebuilt_for_a_new_endpoint(
    endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = default_clients()
    assert default_clients() is first
    assert first.ecs.meta.config.retries["mode"] == "standard"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    assert default_clients() is not first
    assert default_clients().sqs.meta.endpoint_url == "http://127.0.0.1:9"
