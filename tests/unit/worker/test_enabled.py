"""The PIPELINE_ENABLED switch, read from SSM with the scaler's parameter name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from tests.support.stubbed import stubbed_client
from worker.enabled import POLL_SECONDS, EnabledSwitch, SwitchError

PATH = "/fargate-pipeline/dev/"
NAME = f"{PATH}PIPELINE_ENABLED"


@pytest.fixture
def ssm() -> Iterator[tuple[Any, Stubber]]:
    with stubbed_client("ssm") as stubbed:
        yield stubbed


def parameter(value: str) -> dict[str, Any]:
    return {"Parameter": {"Name": NAME, "Type": "String", "Value": value}}


def test_reads_one_and_zero(ssm: tuple[Any, Stubber]) -> None:
    client, stubber = ssm
    stubber.add_response("get_parameter", parameter("1"), {"Name": NAME})
    stubber.add_response("get_parameter", parameter("0"), {"Name": NAME})
    switch = EnabledSwitch(client, PATH)
    assert switch.read() is True
    assert switch.read() is False


@pytest.mark.parametrize("value", ["yes", "true", ""])
def test_anything_but_one_or_zero_is_an_error_naming_the_parameter(
    ssm: tuple[Any, Stubber], value: str
) -> None:
    client, stubber = ssm
    stubber.add_response("get_parameter", parameter(value), {"Name": NAME})
    with pytest.raises(SwitchError, match=f"{NAME} is .*expected 1 or 0"):
        EnabledSwitch(client, PATH).read()


def test_missing_parameter_is_an_error_naming_it(ssm: tuple[Any, Stubber]) -> None:
    client, stubber = ssm
    stubber.add_client_error("get_parameter", "ParameterNotFound", expected_params={"Name": NAME})
    with pytest.raises(SwitchError, match=f"cannot read SSM parameter {NAME}: ParameterNotFound"):
        EnabledSwitch(client, PATH).read()


def test_polls_at_most_every_interval_and_keeps_the_last_value_on_errors(
    ssm: tuple[Any, Stubber],
) -> None:
    client, stubber = ssm
    switch = EnabledSwitch(client, PATH)
    stubber.add_response("get_parameter", parameter("1"), {"Name": NAME})
    assert switch.enabled(now=0.0) is True
    # Within the interval: no call (the Stubber would fail on an unexpected one).
    assert switch.enabled(now=POLL_SECONDS - 0.1) is True
    stubber.add_client_error("get_parameter", "ThrottlingException", expected_params={"Name": NAME})
    assert switch.enabled(now=POLL_SECONDS) is True
    stubber.add_response("get_parameter", parameter("0"), {"Name": NAME})
    assert switch.enabled(now=2 * POLL_SECONDS) is False
