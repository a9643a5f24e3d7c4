"""The fargate-pipeline stack: S3 uploads -> SQS -> a scheduled scaler Lambda -> Fargate workers.

Reads the stack config, composes the components and exports what an operator needs. Resource
logic lives in ``components/``.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

import pipeline_spec
from components.config import load_config
from components.iam import Account
from components.naming import StackNames
from components.queue_scaler import QueueScaler, QueueScalerArgs, scaler_timeout_seconds
from components.storage import Storage, StorageArgs
from components.worker_image import WorkerImage, WorkerImageArgs
from components.worker_tasks import WorkerTasks, WorkerTasksArgs

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
        source_suffix=config.source_suffix,
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
        cluster_name=names.cluster,
        task_family=names.task_family,
        log_group_name=names.worker_log_group,
        log_retention_days=config.log_retention_days,
        container_insights=config.container_insights,
        ssm_path=names.ssm_path,
        image_digest=image.image_digest,
        repository_arn=image.repository_arn,
        cpu=config.task_cpu,
        memory=config.task_memory,
        cpu_architecture=config.cpu_architecture,
        capacity=config.capacity,
        queue_url=storage.queue_url,
        queue_arn=storage.queue_arn,
        source_bucket_arn=storage.source_bucket_arn,
        source_prefix=config.source_prefix,
        dest_bucket_name=storage.dest_bucket_name,
        dest_bucket_arn=storage.dest_bucket_arn,
        dest_prefix=config.dest_prefix,
        target_size=config.target_size,
        resize_mode=config.resize_mode.value,
        subnet_ids=config.subnet_ids,
        security_group_ids=config.security_group_ids,
        assign_public_ip=config.assign_public_ip,
        enabled=config.enabled,
        max_tasks=config.max_tasks,
        max_tasks_per_run=config.max_tasks_per_run,
        messages_per_task=config.messages_per_task,
    ),
)

scaler = QueueScaler(
    "scaler",
    QueueScalerArgs(
        account=account,
        source_root=PROJECT_DIR,
        ssm_path=names.ssm_path,
        schedule_expression=config.schedule_expression,
        timeout_seconds=scaler_timeout_seconds(config.max_tasks, config.max_tasks_per_run),
        log_group_name=names.scaler_log_group,
        log_retention_days=config.log_retention_days,
        queue_arn=storage.queue_arn,
        cluster_arn=workers.cluster_arn,
        task_family=names.task_family,
        execution_role_arn=workers.execution_role_arn,
        task_role_arn=workers.task_role_arn,
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
pulumi.export(
    "uploadCommand",
    storage.source_bucket_name.apply(
        lambda bucket: pipeline_spec.upload_command(
            bucket, config.source_prefix, config.source_suffix
        )
    ),
)
