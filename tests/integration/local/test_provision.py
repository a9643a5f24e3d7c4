"""Provisioning creates in the emulator what the stack creates, from the shared definitions."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

import pipeline_spec
from contract.env import Env
from contract.ssm import Param
from local.provision import Clients, Deployment, provision
from local.settings import LocalSettings


@pytest.fixture
def clients(mocked_aws: None) -> Clients:
    return Clients(*(boto3.client(service) for service in ("s3", "sqs", "ecs", "ec2", "ssm")))


@pytest.fixture
def settings() -> LocalSettings:
    return LocalSettings().replace(max_tasks=7, visibility_timeout=9, max_receive_count=3)


@pytest.fixture
def deployment(clients: Clients, settings: LocalSettings) -> Deployment:
    return provision(clients, settings)


def _parameters(clients: Clients, path: str) -> dict[str, str]:
    pages = clients.ssm.get_paginator("get_parameters_by_path").paginate(Path=path)
    return {
        parameter["Name"].removeprefix(path): parameter["Value"]
        for page in pages
        for parameter in page["Parameters"]
    }


def test_every_contract_parameter_is_written_under_the_local_stack_path(
    clients: Clients, deployment: Deployment, settings: LocalSettings
) -> None:
    parameters = _parameters(clients, "/fargate-pipeline/local/")
    assert set(parameters) == {name.value for name in Param}
    assert parameters[Param.UNPROCESSED_SQS_URL] == deployment.queue_url
    assert parameters[Param.ECS_CLUSTER] == deployment.cluster
    assert parameters[Param.ECS_TASK_DEFINITION] == deployment.task_definition_arn
    assert deployment.task_definition_arn.endswith(f"task-definition/{deployment.task_family}:1")
    assert parameters[Param.ECS_TASK_CONTAINER] == pipeline_spec.WORKER_CONTAINER_NAME
    assert parameters[Param.S3_DEST_BUCKET] == deployment.dest_bucket
    assert parameters[Param.S3_DEST_PREFIX] == "processed"
    assert parameters[Param.DLQ_URL] == deployment.dlq_url
    assert parameters[Param.S3_SOURCE_BUCKET] == deployment.source_bucket
    assert parameters[Param.S3_SOURCE_PREFIX] == "ecsproc/"
    assert parameters[Param.S3_SOURCE_SUFFIXES] == (
        ".jpg,.jpeg,.png,.webp,.gif,.bmp,.JPG,.JPEG,.PNG,.WEBP,.GIF,.BMP"
    )
    assert parameters[Param.ENABLED] == "1"
    assert parameters[Param.ECS_MAX_TASKS] == "7"
    assert parameters[Param.ECS_CAPACITY] == "FARGATE"
    subnets = parameters[Param.ECS_TASK_SUBNET].split(",")
    described = clients.ec2.describe_subnets(SubnetIds=subnets)["Subnets"]
    assert len(described) == len(subnets) >= 1
    groups = clients.ec2.describe_security_groups(
        GroupIds=parameters[Param.ECS_TASK_SECURITYGROUP].split(",")
    )["SecurityGroups"]
    assert [group["GroupName"] for group in groups] == ["fargate-pipeline-local-worker"]


def test_queue_has_the_stacks_redrive_and_timeouts(
    clients: Clients, deployment: Deployment
) -> None:
    attributes = clients.sqs.get_queue_attributes(
        QueueUrl=deployment.queue_url, AttributeNames=["All"]
    )["Attributes"]
    dlq_arn = clients.sqs.get_queue_attributes(
        QueueUrl=deployment.dlq_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": 3,
    }
    assert attributes["VisibilityTimeout"] == "9"


def test_worker_task_definition_carries_the_contract_environment(
    clients: Clients, deployment: Deployment, settings: LocalSettings
) -> None:
    definition = clients.ecs.describe_task_definition(
        taskDefinition=deployment.task_definition_arn
    )["taskDefinition"]
    [container] = definition["containerDefinitions"]
    environment: dict[str, Any] = {item["name"]: item["value"] for item in container["environment"]}
    assert container["name"] == pipeline_spec.WORKER_CONTAINER_NAME
    assert environment[Env.QUEUE_URL] == deployment.queue_url
    assert environment[Env.DEST_BUCKET] == deployment.dest_bucket
    assert environment[Env.DEST_PREFIX] == "processed"
    assert environment[Env.TARGET_SIZE] == "224x224"
    assert environment[Env.RESIZE_MODE] == "stretch"
    assert environment[Env.OUTPUT_FORMAT] == "source"
    assert environment[Env.SSM_PATH] == "/fargate-pipeline/local/"
    assert container["stopTimeout"] == pipeline_spec.WORKER_STOP_TIMEOUT_SECONDS


def test_uploads_matching_the_filter_are_queued_and_others_are_not(
    clients: Clients, deployment: Deployment
) -> None:
    for key in ("ecsproc/a cat+dog.jpg", "ecsproc/readme.txt", "elsewhere/b.jpg"):
        clients.s3.put_object(Bucket=deployment.source_bucket, Key=key, Body=b"x")
    bodies = [
        json.loads(message["Body"])
        for message in clients.sqs.receive_message(
            QueueUrl=deployment.queue_url, MaxNumberOfMessages=10
        ).get("Messages", [])
    ]
    keys = [record["s3"]["object"]["key"] for body in bodies for record in body.get("Records", [])]
    assert len(keys) == 1
    assert "cat" in keys[0] and "dog" in keys[0]
    assert any(body.get("Event") == "s3:TestEvent" for body in bodies)
