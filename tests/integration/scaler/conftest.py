"""A pipeline's scaler-facing resources in moto: SSM parameters, queue, cluster, task definition."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

import pipeline_spec
from contract.config import parse_config
from contract.env import Env
from contract.ssm import Param
from tests.unit.scaler.factories import CLUSTER, FAMILY, REGION, SSM_PATH

AWS_TEST_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


@functools.cache
def session() -> boto3.session.Session:
    """One session for every test of the process: a new one would read each service's model
    from disk again, a large part of a test's time (clients of one session are independent)."""
    return boto3.session.Session(
        aws_access_key_id=AWS_TEST_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS_TEST_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )


@dataclass
class Pipeline:
    """The resources the scaler reads and acts on, with the clients that made them."""

    ssm: Any
    sqs: Any
    ecs: Any
    ec2: Any
    queue_url: str
    task_definition_arn: str
    subnets: list[str]

    def set(self, param: Param, value: str) -> None:
        """What an operator does with ``aws ssm put-parameter --overwrite``."""
        self.ssm.put_parameter(
            Name=f"{SSM_PATH}{param}", Value=value, Type="String", Overwrite=True
        )

    def delete(self, param: Param) -> None:
        self.ssm.delete_parameter(Name=f"{SSM_PATH}{param}")

    def upload(self, count: int) -> None:
        """``count`` S3-event messages on the queue (their bodies do not matter to the scaler)."""
        for number in range(count):
            self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=f'{{"n": {number}}}')

    def take(self, count: int) -> None:
        """A worker receiving ``count`` messages: they become in flight."""
        taken = 0
        while taken < count:
            response = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=min(10, count - taken)
            )
            taken += len(response.get("Messages", []))

    def running_tasks(self, family: str = FAMILY) -> list[dict[str, Any]]:
        arns = self.ecs.list_tasks(cluster=CLUSTER, family=family, desiredStatus="RUNNING")
        if not arns["taskArns"]:
            return []
        described = self.ecs.describe_tasks(cluster=CLUSTER, tasks=arns["taskArns"])
        tasks: list[dict[str, Any]] = described["tasks"]
        return tasks


def create_pipeline(**overrides: str) -> Pipeline:
    """Everything the stack creates that the scaler touches, with the stack's parameter names."""
    ssm, sqs, ecs, ec2 = (session().client(name) for name in ("ssm", "sqs", "ecs", "ec2"))
    queue_url = sqs.create_queue(QueueName="fargate-pipeline-test-queue")["QueueUrl"]
    ecs.create_cluster(clusterName=CLUSTER, capacityProviders=["FARGATE", "FARGATE_SPOT"])
    task_definition_arn = ecs.register_task_definition(
        family=FAMILY,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="1024",
        memory="2048",
        # moto sizes tasks from the containers' memory; Fargate uses the task's.
        containerDefinitions=[{"name": "worker", "image": "worker:latest", "memory": 2048}],
    )["taskDefinition"]["taskDefinitionArn"]
    # The default VPC's subnets, as the stack's default (moto's other VPCs lack DNS hostnames).
    subnets = [subnet["SubnetId"] for subnet in ec2.describe_subnets()["Subnets"]][:3]
    group = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]
    # What a default stack writes.
    values = pipeline_spec.ssm_parameters(
        parse_config({}),
        queue_url=queue_url,
        dlq_url=None,
        cluster_name=CLUSTER,
        task_definition_arn=task_definition_arn,
        security_group_ids=group,
        subnet_ids=",".join(subnets),
        source_bucket="fargate-pipeline-test-source",
        dest_bucket="fargate-pipeline-test-dest",
    )
    for param, value in values.items():
        ssm.put_parameter(
            Name=f"{SSM_PATH}{param}", Value=overrides.get(param.name, value), Type="String"
        )
    return Pipeline(ssm, sqs, ecs, ec2, queue_url, task_definition_arn, subnets)


@pytest.fixture
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Throwaway credentials and the stack's SSM path; nothing from the user's AWS setup."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in AWS_TEST_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv(Env.SSM_PATH, SSM_PATH)


@pytest.fixture
def pipeline(aws_environment: None) -> Iterator[Pipeline]:
    with mock_aws():
        yield create_pipeline()
