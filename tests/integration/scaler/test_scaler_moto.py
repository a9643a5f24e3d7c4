"""The scaler's Lambda handler against real SSM, SQS and ECS resources (moto), default clients."""

from __future__ import annotations

import pytest

from contract.ssm import Param
from scaler.handler import handler
from scaler.parameters import ParameterError
from tests.integration.scaler.conftest import Pipeline
from tests.unit.scaler.factories import CLUSTER


def test_backlog_starts_tasks_as_the_contract_describes(pipeline: Pipeline) -> None:
    # GIVEN three files waiting and nothing running
    pipeline.upload(3)
    # WHEN the scheduled handler runs
    result = handler({}, None)
    # THEN three worker tasks of the pipeline's task definition run, started by its scaler
    assert (result["visible"], result["running"], result["started"]) == (3, 0, 3)
    tasks = pipeline.running_tasks()
    assert len(tasks) == 3
    for task in tasks:
        assert task["taskDefinitionArn"] == pipeline.task_definition_arn
        assert task["startedBy"] == "fargate-pipeline/test/scaler"
        assert task["capacityProviderName"] == "FARGATE"
        subnet = next(
            detail["value"]
            for detail in task["attachments"][0]["details"]
            if detail["name"] == "subnetId"
        )
        assert subnet in pipeline.subnets


def test_tasks_already_starting_are_counted_so_the_next_run_adds_none(
    pipeline: Pipeline,
) -> None:
    pipeline.upload(3)
    handler({}, None)
    second = handler({}, None)
    assert (second["running"], second["started"]) == (3, 0)
    assert len(pipeline.running_tasks()) == 3


def test_in_flight_messages_are_read_and_count_against_running_tasks(
    pipeline: Pipeline,
) -> None:
    # GIVEN two tasks, both busy with a message, and two more files waiting
    pipeline.upload(4)
    pipeline.set(Param.ECS_MAX_TASKS_PER_RUN, "2")
    handler({}, None)
    pipeline.take(2)
    pipeline.set(Param.ECS_MAX_TASKS_PER_RUN, "10")
    # WHEN the scaler runs
    result = handler({}, None)
    # THEN the busy tasks do not take the waiting files: two more start
    assert (result["visible"], result["in_flight"], result["running"]) == (2, 2, 2)
    assert result["started"] == 2


def test_fargate_spot_capacity_comes_from_the_parameter(pipeline: Pipeline) -> None:
    pipeline.set(Param.ECS_CAPACITY, "FARGATE_SPOT")
    pipeline.upload(1)
    handler({}, None)
    assert [task["capacityProviderName"] for task in pipeline.running_tasks()] == ["FARGATE_SPOT"]


def test_an_operators_flip_of_enabled_takes_effect_at_the_next_run(pipeline: Pipeline) -> None:
    # GIVEN files waiting and the pipeline disabled by an operator
    pipeline.upload(5)
    pipeline.set(Param.ENABLED, "0")
    disabled = handler({}, None)
    assert (disabled["enabled"], disabled["visible"], disabled["started"]) == (False, 5, 0)
    assert pipeline.running_tasks() == []
    # WHEN the operator enables it again
    pipeline.set(Param.ENABLED, "1")
    # THEN the very next run starts tasks (parameter values are never cached)
    assert handler({}, None)["started"] == 5


def test_an_operators_lower_max_tasks_takes_effect_at_the_next_run(pipeline: Pipeline) -> None:
    pipeline.upload(8)
    pipeline.set(Param.ECS_MAX_TASKS, "2")
    assert handler({}, None)["started"] == 2
    pipeline.set(Param.ECS_MAX_TASKS, "5")
    assert handler({}, None)["started"] == 3


def test_empty_queue_starts_nothing(pipeline: Pipeline) -> None:
    result = handler({}, None)
    assert (result["visible"], result["started"], result["limited_by"]) == (0, 0, "no_backlog")
    assert pipeline.running_tasks() == []


def test_only_the_pipelines_running_tasks_count(pipeline: Pipeline) -> None:
    # GIVEN another family's task in the cluster and a stopped task of the pipeline
    other = pipeline.ecs.register_task_definition(
        family="someone-else",
        containerDefinitions=[{"name": "x", "image": "x", "memory": 128}],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
    )["taskDefinition"]["taskDefinitionArn"]
    group = pipeline.ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]
    network = {
        "awsvpcConfiguration": {"subnets": pipeline.subnets, "securityGroups": [group["GroupId"]]}
    }
    pipeline.ecs.run_task(
        cluster=CLUSTER, taskDefinition=other, launchType="FARGATE", networkConfiguration=network
    )
    stopped = pipeline.ecs.run_task(
        cluster=CLUSTER,
        taskDefinition=pipeline.task_definition_arn,
        launchType="FARGATE",
        networkConfiguration=network,
    )["tasks"][0]["taskArn"]
    pipeline.ecs.stop_task(cluster=CLUSTER, task=stopped)
    pipeline.upload(1)
    # WHEN the scaler runs THEN neither counts
    result = handler({}, None)
    assert (result["running"], result["started"]) == (0, 1)


@pytest.mark.parametrize(
    ("param", "value"),
    [(Param.ECS_MAX_TASKS, "ten"), (Param.ECS_MAX_TASKS, "12.5"), (Param.ECS_CLUSTER, None)],
)
def test_a_missing_or_malformed_parameter_fails_the_run_and_starts_nothing(
    pipeline: Pipeline, param: Param, value: str | None
) -> None:
    pipeline.upload(3)
    if value is None:
        pipeline.delete(param)
    else:
        pipeline.set(param, value)
    with pytest.raises(ParameterError) as raised:
        handler({}, None)
    assert raised.value.names == (param.value,)
    assert param.value in str(raised.value)
    assert pipeline.running_tasks() == []


def test_a_wrong_ssm_path_names_every_missing_parameter(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPELINE_SSM_PATH", "/fargate-pipeline/no-such-stack/")
    with pytest.raises(ParameterError, match="/fargate-pipeline/no-such-stack/") as raised:
        handler({}, None)
    assert Param.ECS_MAX_TASKS.value in raised.value.names
