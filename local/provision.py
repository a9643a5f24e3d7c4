"""Create in the emulator what the stack creates in AWS, from the same definitions.

Buckets, the queue with its DLQ and redrive policy, the bucket notification, the ECS cluster and
worker task definition, the worker security group, and every SSM parameter of the contract under
``/fargate-pipeline/local/``. Names, parameter values and the worker's environment come from
``pipeline_spec`` and ``contract``, which the Pulumi components use too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pipeline_spec
from contract.env import Env
from contract.values import encode_list
from local.settings import LocalSettings

WORKER_IMAGE = "fargate-pipeline/worker:local"
"""Never pulled: the Fargate stand-in runs the worker package from this checkout."""


@dataclass(frozen=True)
class Deployment:
    """What provisioning created: the names and addresses the runner and the tests need."""

    source_bucket: str
    dest_bucket: str
    queue_url: str
    dlq_url: str
    cluster: str
    task_family: str
    task_definition_arn: str
    ssm_path: str


@dataclass(frozen=True)
class Clients:
    """The boto3 clients provisioning needs, all pointed at the emulator."""

    s3: Any
    sqs: Any
    ecs: Any
    ec2: Any
    ssm: Any


def provision(
    clients: Clients,
    settings: LocalSettings,
    before_notification: Callable[[str], None] = lambda source_bucket: None,
) -> Deployment:
    """``before_notification`` is given the source bucket while S3 would still send no event
    for what is put in it: how a dataset that predates the stack looks (``--preload``)."""
    source_bucket = _create_bucket(clients.s3, settings.resource_name("source"))
    dest_bucket = _create_bucket(clients.s3, settings.resource_name("dest"))
    before_notification(source_bucket)
    queue_url, queue_arn, dlq_url = _create_queue(clients.sqs, settings)
    _create_notification(clients.s3, source_bucket, queue_arn, settings)
    cluster = settings.resource_name("cluster")
    clients.ecs.create_cluster(clusterName=cluster)
    task_definition_arn = _register_task_definition(
        clients.ecs, settings, queue_url=queue_url, dest_bucket=dest_bucket
    )
    subnets, security_group = _network(clients.ec2, settings)
    parameters = pipeline_spec.ssm_parameters(
        settings.config,
        queue_url=queue_url,
        dlq_url=dlq_url,
        cluster_name=cluster,
        task_definition_arn=task_definition_arn,
        security_group_ids=security_group,
        subnet_ids=encode_list(subnets),
        source_bucket=source_bucket,
        dest_bucket=dest_bucket,
    )
    for name, value in parameters.items():
        clients.ssm.put_parameter(
            Name=settings.ssm_path + name, Value=value, Type="String", Overwrite=True
        )
    return Deployment(
        source_bucket=source_bucket,
        dest_bucket=dest_bucket,
        queue_url=queue_url,
        dlq_url=dlq_url,
        cluster=cluster,
        task_family=settings.resource_name("worker"),
        task_definition_arn=task_definition_arn,
        ssm_path=settings.ssm_path,
    )


def _create_bucket(s3: Any, name: str) -> str:
    s3.create_bucket(Bucket=name)
    return name


def _create_queue(sqs: Any, settings: LocalSettings) -> tuple[str, str, str]:
    dlq_url = sqs.create_queue(
        QueueName=settings.resource_name("dlq"),
        Attributes={"MessageRetentionPeriod": str(pipeline_spec.DLQ_RETENTION_SECONDS)},
    )["QueueUrl"]
    dlq_arn = _queue_arn(sqs, dlq_url)
    queue_url = sqs.create_queue(
        QueueName=settings.resource_name("queue"),
        Attributes={
            "VisibilityTimeout": str(settings.visibility_timeout),
            "MessageRetentionPeriod": str(pipeline_spec.QUEUE_RETENTION_SECONDS),
            "MaximumMessageSize": str(pipeline_spec.QUEUE_MAX_MESSAGE_BYTES),
            "RedrivePolicy": pipeline_spec.redrive_policy(
                dlq_arn, settings.config.max_receive_count
            ),
        },
    )["QueueUrl"]
    return queue_url, _queue_arn(sqs, queue_url), dlq_url


def _queue_arn(sqs: Any, queue_url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    arn: str = attributes["Attributes"]["QueueArn"]
    return arn


def _create_notification(s3: Any, bucket: str, queue_arn: str, settings: LocalSettings) -> None:
    key_filters = pipeline_spec.notification_filters(
        settings.config.source_prefix, settings.config.source_suffixes
    )
    configurations = []
    for key_filter in key_filters:
        # pipeline_spec names the parts like the Pulumi argument (filter_prefix); S3 says prefix.
        rules = [
            {"Name": part.removeprefix("filter_"), "Value": value}
            for part, value in key_filter.items()
        ]
        configuration: dict[str, Any] = {
            "QueueArn": queue_arn,
            "Events": list(pipeline_spec.NOTIFICATION_EVENTS),
        }
        if rules:
            configuration["Filter"] = {"Key": {"FilterRules": rules}}
        configurations.append(configuration)
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"QueueConfigurations": configurations}
    )


def _register_task_definition(
    ecs: Any, settings: LocalSettings, *, queue_url: str, dest_bucket: str
) -> str:
    environment = pipeline_spec.worker_environment(
        settings.config,
        queue_url=queue_url,
        dest_bucket=dest_bucket,
        ssm_path=settings.ssm_path,
        extra={Env.IDLE_SECONDS: str(settings.idle_seconds)},
    )
    task_definition = ecs.register_task_definition(
        family=settings.resource_name("worker"),
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu=str(settings.config.task_cpu),
        memory=str(settings.config.task_memory),
        containerDefinitions=[
            {
                "name": pipeline_spec.WORKER_CONTAINER_NAME,
                "image": WORKER_IMAGE,
                "essential": True,
                # moto sizes tasks from the containers' memory; Fargate takes the task's.
                "memory": settings.config.task_memory,
                "stopTimeout": pipeline_spec.WORKER_STOP_TIMEOUT_SECONDS,
                "environment": [
                    {"name": name.value, "value": value} for name, value in environment.items()
                ],
            }
        ],
    )["taskDefinition"]
    arn: str = task_definition["taskDefinitionArn"]
    return arn


def _network(ec2: Any, settings: LocalSettings) -> tuple[list[str], str]:
    """The default VPC's subnets and a created egress-only security group, as the stack defaults."""
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])
    group = ec2.create_security_group(
        GroupName=settings.resource_name("worker"),
        Description="fargate-pipeline workers: egress only",
        VpcId=vpc["VpcId"],
    )
    return [subnet["SubnetId"] for subnet in subnets["Subnets"]], group["GroupId"]
