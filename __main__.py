"""The fargate-pipeline stack: S3 uploads -> SQS -> a scheduled scaler Lambda -> Fargate workers.

Reads the stack config, composes the components and exports what an operator needs. Resource
logic lives in ``components/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pulumi

import pipeline_spec
from components.config import load_config
from components.iam import Account
from components.naming import StackNames
from components.observability import Observability, ObservabilityArgs, queue_name_of
from components.queue_scaler import QueueScaler, QueueScalerArgs
from components.registry import StackRegistry, StackRegistryArgs
from components.storage import Storage, StorageArgs
from components.worker_image import WorkerImage, WorkerImageArgs
from components.worker_tasks import TaskSize, WorkerAccess, WorkerTasks, WorkerTasksArgs
from contract.metrics import stack_of
from contract.values import encode_list

PROJECT_DIR = Path(__file__).resolve().parent

config = load_config()
names = StackNames(project=pulumi.get_project(), stack=pulumi.get_stack())
account = Account.current()

storage = Storage(
    "pipeline",
    StorageArgs(
        source_bucket=config.source_bucket,
        dest_bucket=config.dest_bucket,
        queue_name=config.queue_name,
        source_prefix=config.source_prefix,
        source_suffixes=config.source_suffixes,
        max_receive_count=config.max_receive_count,
        account_id=account.account_id,
    ),
)

image = WorkerImage(
    "worker-image",
    WorkerImageArgs(
        repository_name=config.repository_name,
        context=PROJECT_DIR,
        cpu_architecture=config.cpu_architecture,
    ),
)

workers = WorkerTasks(
    "worker",
    WorkerTasksArgs(
        account=account,
        names=names,
        log_retention_days=config.log_retention_days,
        container_insights=config.container_insights,
        image_digest=image.image_digest,
        repository_arn=image.repository_arn,
        size=TaskSize(config.task_cpu, config.task_memory, config.cpu_architecture),
        capacity=config.capacity,
        access=WorkerAccess(
            queue_arn=storage.queue_arn,
            source_bucket_arn=storage.source_bucket_arn,
            source_prefix=config.upload_read_prefix,
            dest_bucket_arn=storage.dest_bucket_arn,
            dest_prefix=config.dest_prefix,
            kms_key_arns=config.kms_key_arns,
        ),
        environment=pipeline_spec.worker_environment(
            config,
            queue_url=storage.queue_url,
            dest_bucket=storage.dest_bucket_name,
            ssm_path=names.ssm_path,
        ),
        subnet_ids=config.subnet_ids,
        security_group_ids=config.security_group_ids,
    ),
)

scaler = QueueScaler(
    "scaler",
    QueueScalerArgs(
        account=account,
        source_root=PROJECT_DIR,
        ssm_path=names.ssm_path,
        schedule_expression=config.schedule_expression,
        max_tasks=config.max_tasks,
        max_tasks_per_run=config.max_tasks_per_run,
        reserved_concurrency=config.scaler_reserved_concurrency,
        log_group_name=names.scaler_log_group,
        log_retention_days=config.log_retention_days,
        queue_arn=storage.queue_arn,
        cluster_arn=workers.cluster_arn,
        task_family=names.task_family,
        execution_role_arn=workers.execution_role_arn,
        task_role_arn=workers.task_role_arn,
    ),
)

observability = Observability(
    "observability",
    ObservabilityArgs(
        prefix=names.prefix,
        stack=stack_of(names.ssm_path),
        region=account.region,
        queue_name=queue_name_of(storage.queue_url),
        # A queue the user brought has no DLQ of the stack's to watch.
        dlq_name=queue_name_of(storage.dlq_url) if config.queue_name is None else None,
        scaler_function_name=scaler.function_name,
        worker_log_group_name=workers.log_group_name,
        schedule_expression=config.schedule_expression,
        alarm_email=config.alarm_email,
    ),
)

# Last: the registry describes everything above.
registry = StackRegistry(
    "registry",
    StackRegistryArgs(
        ssm_path=names.ssm_path,
        parameters=pipeline_spec.ssm_parameters(
            config,
            queue_url=storage.queue_url,
            # A queue the user brought: its DLQ, if any, is not the stack's to redrive. Otherwise
            # the stack created the DLQ, so its URL is never None.
            dlq_url=cast("pulumi.Output[str]", storage.dlq_url)
            if config.queue_name is None
            else None,
            cluster_name=workers.cluster_name,
            task_definition_arn=workers.task_definition_arn,
            security_group_ids=workers.security_group_ids.apply(encode_list),
            subnet_ids=workers.subnet_ids.apply(encode_list),
            source_bucket=storage.source_bucket_name,
            dest_bucket=storage.dest_bucket_name,
        ),
    ),
)

pulumi.export("sourceBucket", storage.source_bucket_name)
pulumi.export("uploadPrefix", config.source_prefix)
pulumi.export("destBucket", storage.dest_bucket_name)
pulumi.export("destPrefix", config.dest_prefix)
pulumi.export("queueUrl", storage.queue_url)
pulumi.export("dlqUrl", storage.dlq_url)
pulumi.export("clusterName", workers.cluster_name)
pulumi.export("taskDefinitionArn", workers.task_definition_arn)
pulumi.export("workerImage", image.image_digest)
pulumi.export("scalerFunctionName", scaler.function_name)
pulumi.export("workerLogGroup", workers.log_group_name)
pulumi.export("scalerLogGroup", scaler.log_group_name)
pulumi.export("ssmPath", names.ssm_path)
pulumi.export("dashboardUrl", observability.dashboard_url)
pulumi.export(
    "uploadCommand",
    storage.source_bucket_name.apply(
        lambda bucket: pipeline_spec.upload_command(
            bucket, config.source_prefix, config.source_suffixes
        )
    ),
)
