"""What a pipeline is made of, shared by the Pulumi components and the local pipeline.

The stack (``components/``) and ``python -m local`` build the same queue, notification, SSM
parameters and worker environment from these definitions, so the pipeline run on one machine is the
one that deploys. Plain Python with no dependencies: the local pipeline imports it without the
Pulumi SDK. Builders are generic in the value type, so the components pass Pulumi outputs where
the local pipeline passes strings.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from typing import TypeVar

from contract.config import PipelineConfig
from contract.env import Env
from contract.ssm import Param
from contract.values import encode_flag, encode_list

WORKER_CONTAINER_NAME = "worker"
WORKER_STOP_TIMEOUT_SECONDS = 30
"""ECS sends SIGKILL this long after SIGTERM; the worker hands back its messages well before."""

# S3 events that mean "a new object exists"; one SQS message each.
NOTIFICATION_EVENTS = (
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
)

QUEUE_VISIBILITY_TIMEOUT_SECONDS = 120
"""How long a received message stays hidden. The worker extends it for a file still in hand
and sizes its prefetch to finish within it, so it only sets the redelivery delay after a crash."""
QUEUE_RETENTION_SECONDS = 4 * 24 * 3600
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
"""The SQS maximum, and longer than the queue's: a message's age carries over into the DLQ."""
QUEUE_MAX_MESSAGE_BYTES = 262_144
"""S3 event messages are a few KB; 256 KiB is ample and accepted by every SQS region."""

V = TypeVar("V")


def redrive_policy(dead_letter_queue_arn: str, max_receive_count: int) -> str:
    """The queue's RedrivePolicy attribute."""
    return json.dumps(
        {"deadLetterTargetArn": dead_letter_queue_arn, "maxReceiveCount": max_receive_count}
    )


def notification_filters(prefix: str, suffixes: Sequence[str]) -> list[dict[str, str]]:
    """The key filter of each of the bucket notification's queue configurations: one per suffix
    (S3 takes one suffix per configuration), or one with the prefix alone when there are none.
    Empty parts are left out, as S3 requires."""
    return [
        {
            name: value
            for name, value in (("filter_prefix", prefix), ("filter_suffix", suffix))
            if value
        }
        for suffix in (suffixes or ("",))
    ]


def ssm_parameters(
    config: PipelineConfig,
    *,
    queue_url: V,
    dlq_url: V | None,
    cluster_name: V,
    task_definition_arn: V,
    security_group_ids: V,
    subnet_ids: V,
    source_bucket: V,
    dest_bucket: V,
) -> dict[Param, V | str]:
    """Every parameter of the stack's registry, by name: the resources' names and addresses,
    and the config the scaler, the worker and ``python -m ops`` act on, encoded as the contract
    spells it.

    ``security_group_ids`` and ``subnet_ids`` are comma-separated (``values.encode_list``), as
    are the source suffixes. ``dlq_url`` is None for a queue the user brought (its DLQ, if any,
    is not the stack's). Empty values are left out, since SSM cannot hold one: no destination
    prefix means the bucket root, no source prefix or suffixes every key.
    """
    parameters: dict[Param, V | str] = {
        Param.UNPROCESSED_SQS_URL: queue_url,
        Param.ECS_CLUSTER: cluster_name,
        Param.ECS_TASK_CONTAINER: WORKER_CONTAINER_NAME,
        Param.ECS_TASK_DEFINITION: task_definition_arn,
        Param.ECS_TASK_SECURITYGROUP: security_group_ids,
        Param.ECS_TASK_SUBNET: subnet_ids,
        Param.S3_SOURCE_BUCKET: source_bucket,
        Param.S3_DEST_BUCKET: dest_bucket,
        Param.ENABLED: encode_flag(config.enabled),
        Param.ECS_MAX_TASKS: str(config.max_tasks),
        Param.ECS_MAX_TASKS_PER_RUN: str(config.max_tasks_per_run),
        Param.MESSAGES_PER_TASK: str(config.messages_per_task),
        Param.ECS_ASSIGN_PUBLIC_IP: encode_flag(config.assign_public_ip),
        Param.ECS_CAPACITY: config.capacity.value,
    }
    if dlq_url is not None:
        parameters[Param.DLQ_URL] = dlq_url
    optional_text = (
        (Param.S3_SOURCE_PREFIX, config.source_prefix),
        (Param.S3_SOURCE_SUFFIXES, encode_list(config.source_suffixes)),
        (Param.S3_DEST_PREFIX, config.dest_prefix),
    )
    parameters.update({param: text for param, text in optional_text if text})
    return parameters


def worker_environment(
    config: PipelineConfig,
    *,
    queue_url: V,
    dest_bucket: V,
    ssm_path: str,
    extra: Mapping[Env, str] | None = None,
) -> dict[Env, V | str]:
    """The worker container's environment: where it works, and the config's output settings;
    ``extra`` carries optional tuning (quality, idle)."""
    return {
        Env.QUEUE_URL: queue_url,
        Env.DEST_BUCKET: dest_bucket,
        Env.DEST_PREFIX: config.dest_prefix,
        Env.TARGET_SIZE: config.target_size,
        Env.RESIZE_MODE: config.resize_mode.value,
        Env.OUTPUT_FORMAT: config.output_format.value,
        Env.SSM_PATH: ssm_path,
        **(extra or {}),
    }


def upload_command(
    bucket: str,
    prefix: str,
    suffixes: Sequence[str],
    *,
    source_dir: str = "./images",
    endpoint_url: str | None = None,
) -> str:
    """A ready-to-paste ``aws s3 cp`` that uploads a directory's matching files under the prefix.

    The include filters are the notification's suffixes, so every file it uploads becomes one
    message; with no suffixes every file is uploaded.
    """
    command = ["aws", "s3", "cp", source_dir, f"s3://{bucket}/{prefix}", "--recursive"]
    if suffixes:
        command += ["--exclude", "*"]
        for suffix in suffixes:
            command += ["--include", f"*{suffix}"]
    if endpoint_url is not None:
        command += ["--endpoint-url", endpoint_url]
    return shlex.join(command)
