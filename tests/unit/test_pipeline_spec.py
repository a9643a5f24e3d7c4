"""The shared definitions the stack and the local pipeline both build from."""

from __future__ import annotations

import json

import pytest

import pipeline_spec
from contract.config import parse_config
from contract.env import Env
from contract.ssm import Param, ssm_path
from contract.values import ResizeMode, parse_resize_mode, parse_target_size


def test_ssm_path_is_per_project_and_stack_with_trailing_slash() -> None:
    assert ssm_path("dev") == "/fargate-pipeline/dev/"


def test_ssm_parameters_hold_the_resources_and_the_config_as_the_contract_spells_them() -> None:
    config = parse_config({"maxTasks": "300", "useFargateSpot": "true", "assignPublicIp": "false"})
    built = pipeline_spec.ssm_parameters(
        config,
        queue_url="https://queue",
        dlq_url="https://dlq",
        cluster_name="cluster",
        task_definition_arn="arn:task:1",
        security_group_ids="sg-1",
        subnet_ids="subnet-1,subnet-2",
        source_bucket="source",
        dest_bucket="dest",
    )
    assert {name.value: value for name, value in built.items()} == {
        "PIPELINE_UNPROCESSED_SQS_URL": "https://queue",
        "PIPELINE_ECS_CLUSTER": "cluster",
        "PIPELINE_ECS_TASK_CONTAINER": "worker",
        "PIPELINE_ECS_TASK_DEFINITION": "arn:task:1",
        "PIPELINE_ECS_TASK_SECURITYGROUP": "sg-1",
        "PIPELINE_ECS_TASK_SUBNET": "subnet-1,subnet-2",
        "PIPELINE_S3_DEST_BUCKET": "dest",
        "PIPELINE_S3_DEST_PREFIX": "processed",
        "PIPELINE_ENABLED": "1",
        "PIPELINE_ECS_MAX_TASKS": "300",
        "PIPELINE_ECS_MAX_TASKS_PER_RUN": "10",
        "PIPELINE_MESSAGES_PER_TASK": "1",
        "PIPELINE_ECS_ASSIGN_PUBLIC_IP": "0",
        "PIPELINE_ECS_CAPACITY": "FARGATE_SPOT",
        "PIPELINE_DLQ_URL": "https://dlq",
        "PIPELINE_S3_SOURCE_BUCKET": "source",
        "PIPELINE_S3_SOURCE_PREFIX": "ecsproc/",
        "PIPELINE_S3_SOURCE_SUFFIXES": ".jpg,.jpeg,.png,.webp,.gif,.bmp,"
        ".JPG,.JPEG,.PNG,.WEBP,.GIF,.BMP",
    }
    assert set(built) == set(Param)


def test_an_empty_destination_prefix_is_left_out_of_the_parameters() -> None:
    built = pipeline_spec.ssm_parameters(
        parse_config({"destPrefix": ""}),
        queue_url="q",
        dlq_url="dlq",
        cluster_name="c",
        task_definition_arn="t",
        security_group_ids="g",
        subnet_ids="s",
        source_bucket="src",
        dest_bucket="d",
    )
    assert Param.S3_DEST_PREFIX not in built
    assert built[Param.S3_DEST_BUCKET] == "d"


def test_every_key_and_a_queue_brought_by_the_user_leave_their_parameters_out() -> None:
    # GIVEN no source prefix or suffix (every key) and no DLQ of the stack's
    built = pipeline_spec.ssm_parameters(
        parse_config({"sourcePrefix": "", "sourceSuffixes": "[]"}),
        queue_url="q",
        dlq_url=None,
        cluster_name="c",
        task_definition_arn="t",
        security_group_ids="g",
        subnet_ids="s",
        source_bucket="src",
        dest_bucket="d",
    )
    # THEN SSM (which holds no empty value) gets none of those three: absence is the meaning
    absent = {Param.S3_SOURCE_PREFIX, Param.S3_SOURCE_SUFFIXES, Param.DLQ_URL}
    assert set(built) == set(Param) - absent
    assert built[Param.S3_SOURCE_BUCKET] == "src"


def test_contract_parameter_names() -> None:
    assert {name.value for name in Param} == {
        "PIPELINE_UNPROCESSED_SQS_URL",
        "PIPELINE_ECS_CLUSTER",
        "PIPELINE_ECS_TASK_CONTAINER",
        "PIPELINE_ECS_TASK_DEFINITION",
        "PIPELINE_ECS_TASK_SECURITYGROUP",
        "PIPELINE_ECS_TASK_SUBNET",
        "PIPELINE_S3_DEST_BUCKET",
        "PIPELINE_S3_DEST_PREFIX",
        "PIPELINE_ENABLED",
        "PIPELINE_ECS_MAX_TASKS",
        "PIPELINE_ECS_MAX_TASKS_PER_RUN",
        "PIPELINE_MESSAGES_PER_TASK",
        "PIPELINE_ECS_ASSIGN_PUBLIC_IP",
        "PIPELINE_ECS_CAPACITY",
        "PIPELINE_S3_SOURCE_BUCKET",
        "PIPELINE_S3_SOURCE_PREFIX",
        "PIPELINE_S3_SOURCE_SUFFIXES",
        "PIPELINE_DLQ_URL",
    }


def test_worker_environment_holds_required_and_tuning_variables() -> None:
    env = pipeline_spec.worker_environment(
        parse_config({"destPrefix": "p", "targetSize": "299X299", "resizeMode": "crop"}),
        queue_url="q",
        dest_bucket="b",
        ssm_path="/fargate-pipeline/dev/",
        extra={Env.JPEG_QUALITY: "85"},
    )
    assert env == {
        Env.QUEUE_URL: "q",
        Env.DEST_BUCKET: "b",
        Env.DEST_PREFIX: "p",
        Env.TARGET_SIZE: "299x299",
        Env.RESIZE_MODE: "crop",
        Env.OUTPUT_FORMAT: "source",
        Env.SSM_PATH: "/fargate-pipeline/dev/",
        Env.JPEG_QUALITY: "85",
    }


def test_redrive_policy_names_the_dlq_and_receive_count() -> None:
    policy = json.loads(pipeline_spec.redrive_policy("arn:aws:sqs:us-east-1:1:dlq", 5))
    assert policy == {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:1:dlq", "maxReceiveCount": 5}


def test_dlq_keeps_messages_longer_than_the_queue() -> None:
    assert pipeline_spec.DLQ_RETENTION_SECONDS > pipeline_spec.QUEUE_RETENTION_SECONDS


@pytest.mark.parametrize(
    ("prefix", "suffixes", "expected"),
    [
        ("ecsproc/", (".jpg",), [{"filter_prefix": "ecsproc/", "filter_suffix": ".jpg"}]),
        (
            "in/",
            (".jpg", ".JPG"),
            [
                {"filter_prefix": "in/", "filter_suffix": ".jpg"},
                {"filter_prefix": "in/", "filter_suffix": ".JPG"},
            ],
        ),
        ("", (".jpg",), [{"filter_suffix": ".jpg"}]),
        ("in/", (), [{"filter_prefix": "in/"}]),
        ("", (), [{}]),
    ],
)
def test_notification_filters_one_per_suffix_leaving_out_empty_parts(
    prefix: str, suffixes: tuple[str, ...], expected: list[dict[str, str]]
) -> None:
    assert pipeline_spec.notification_filters(prefix, suffixes) == expected


@pytest.mark.parametrize(
    ("text", "size"), [("224x224", (224, 224)), ("640X480", (640, 480)), (" 1x1 ", (1, 1))]
)
def test_target_size_parses_width_by_height(text: str, size: tuple[int, int]) -> None:
    assert parse_target_size(text) == size


@pytest.mark.parametrize("text", ["0x224", "224", "224x", "x224", "-1x5", "2.5x3", "99999x1", ""])
def test_bad_target_size_is_rejected_with_the_expected_form(text: str) -> None:
    with pytest.raises(ValueError, match="expected WxH"):
        parse_target_size(text)


def test_resize_modes_parse_and_unknown_mode_lists_the_allowed_ones() -> None:
    assert parse_resize_mode("PAD") is ResizeMode.PAD
    with pytest.raises(ValueError, match="stretch, crop, pad"):
        parse_resize_mode("squash")
