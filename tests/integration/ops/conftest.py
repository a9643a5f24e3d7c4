"""A stack's registry and resources in moto's in-process AWS, for the CLI's commands."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from contract.env import Env
from contract.ssm import Param, ssm_path
from ops.clients import Clients

STACK = "test"
SOURCE_BUCKET = "pipeline-source"
DEST_BUCKET = "pipeline-dest"
SOURCE_PREFIX = "ecsproc/"
DEST_PREFIX = "processed"


@dataclass(frozen=True)
class MotoStack:
    s3: Any
    sqs: Any
    ssm: Any
    ecs: Any
    queue_url: str
    dlq_url: str

    def put_source(self, key: str, body: bytes = b"image") -> None:
        self.s3.put_object(Bucket=SOURCE_BUCKET, Key=key, Body=body)

    def put_log(
        self, key: str, outcome: str, body: bytes = b"{}", metadata: dict[str, str] | None = None
    ) -> None:
        self.s3.put_object(
            Bucket=DEST_BUCKET,
            Key=f"{DEST_PREFIX}/logs/{key}.{outcome}",
            Body=body,
            Metadata=metadata or {},
        )

    def queued_bodies(self, url: str | None = None) -> list[str]:
        bodies = []
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=url or self.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=300
            ).get("Messages", [])
            if not messages:
                return bodies
            bodies.extend(message["Body"] for message in messages)


@pytest.fixture(scope="session")
def session() -> Any:
    """One boto3 session for every test: its loaded service models make each client cheap."""
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


@pytest.fixture
def clients(session: Any) -> Clients:
    return Clients(session)


def register_worker(ecs: Any, environment: dict[Env, str], **task: Any) -> str:
    """A revision of the worker task definition (1 vCPU, 2 GB, as the stack's default) with
    `environment` and `task`'s fields; its ARN."""
    definition = ecs.register_task_definition(
        **{"cpu": "1024", "memory": "2048", **task},
        family="worker",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        containerDefinitions=[
            {
                "name": "worker",
                "image": "worker:latest",
                "memory": 512,
                "environment": [
                    {"name": name, "value": value} for name, value in environment.items()
                ],
            }
        ],
    )
    return str(definition["taskDefinition"]["taskDefinitionArn"])


@pytest.fixture
def stack(mocked_aws: None, session: Any) -> Iterator[MotoStack]:
    s3, sqs, ssm, ecs = (session.client(name) for name in ("s3", "sqs", "ssm", "ecs"))
    ecs.create_cluster(clusterName="cluster")
    task_definition = register_worker(ecs, {Env.TARGET_SIZE: "224x224"})
    for bucket in (SOURCE_BUCKET, DEST_BUCKET):
        s3.create_bucket(Bucket=bucket)
    dlq_url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    queue_url = sqs.create_queue(QueueName="queue")["QueueUrl"]
    parameters = {
        Param.UNPROCESSED_SQS_URL: queue_url,
        Param.DLQ_URL: dlq_url,
        Param.S3_SOURCE_BUCKET: SOURCE_BUCKET,
        Param.S3_SOURCE_PREFIX: SOURCE_PREFIX,
        Param.S3_SOURCE_SUFFIXES: ".jpg,.png",
        Param.S3_DEST_BUCKET: DEST_BUCKET,
        Param.S3_DEST_PREFIX: DEST_PREFIX,
        Param.ENABLED: "1",
        Param.ECS_CLUSTER: "cluster",
        Param.ECS_TASK_DEFINITION: task_definition,
    }
    for name, value in parameters.items():
        ssm.put_parameter(Name=ssm_path(STACK) + name, Value=value, Type="String")
    yield MotoStack(s3=s3, sqs=sqs, ssm=ssm, ecs=ecs, queue_url=queue_url, dlq_url=dlq_url)
