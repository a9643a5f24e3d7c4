"""The worker image, cluster, task definition, network and SSM parameters."""

from __future__ import annotations

import json
from typing import Any

import pytest

import pipeline_spec
from components.worker_image import KEPT_IMAGES, image_tag
from contract.config import CpuArchitecture
from contract.env import Env
from contract.ssm import Param
from tests.unit.infra import types as t
from tests.unit.infra.mocks import (
    ACCOUNT_ID,
    DEFAULT_SUBNET_IDS,
    DEFAULT_VPC_ID,
    IMAGE_DIGEST,
    REGION,
    repository_url,
    role_arn,
    security_group_id,
)
from tests.unit.infra.program import ROOT, StackRun, run_program, stack_config

SSM_PATH = "/fargate-pipeline/dev/"


def _container(run: StackRun) -> dict[str, Any]:
    [container] = json.loads(run.one(t.TASK_DEFINITION).inputs["containerDefinitions"])
    assert isinstance(container, dict)
    return container


def _environment(run: StackRun) -> dict[str, str]:
    return {item["name"]: item["value"] for item in _container(run)["environment"]}


def _parameters(run: StackRun) -> dict[str, str]:
    return {p.inputs["name"]: p.inputs["value"] for p in run.of_type(t.PARAMETER)}


def test_repository_is_mutable_scanned_destroyable_and_pruned(default_run: StackRun) -> None:
    repository = default_run.one(t.REPOSITORY).inputs
    assert repository["name"] == "ecs-pipeline"
    assert repository["forceDelete"] is True
    # mutable so a rollback can push under its old tag (test_image_rollback.py)
    assert repository["imageTagMutability"] == "MUTABLE"
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}

    lifecycle = default_run.one(t.LIFECYCLE_POLICY).inputs
    [rule] = json.loads(lifecycle["policy"])["rules"]
    assert rule["selection"]["countType"] == "imageCountMoreThan"
    assert rule["selection"]["countNumber"] == KEPT_IMAGES
    assert rule["action"] == {"type": "expire"}


def test_image_is_built_from_the_project_for_the_platform_and_tagged_by_content(
    default_run: StackRun,
) -> None:
    image = default_run.one(t.IMAGE)
    tag = image_tag(ROOT, CpuArchitecture.X86_64)

    assert image.inputs["imageName"] == f"{repository_url('ecs-pipeline')}:{tag}"
    assert image.inputs["build"] == {
        "context": ".",
        "dockerfile": "worker/Dockerfile",
        "platform": "linux/amd64",
    }
    # preview builds nothing (the provider still needs a running Docker daemon)
    assert image.inputs["buildOnPreview"] is False


def test_image_is_pushed_with_an_ecr_token_kept_secret(default_run: StackRun) -> None:
    image = default_run.one(t.IMAGE)

    assert image.inputs["registry"] == {
        "server": repository_url("ecs-pipeline"),
        "username": "AWS",
        "password": "secret-token",
    }
    # A secret inside an object makes the whole object secret on the wire.
    assert "registry" in image.secret_paths
    assert "aws:ecr/getAuthorizationToken:getAuthorizationToken" in {
        call.token for call in default_run.mocks.calls
    }


def test_task_definition_runs_the_pushed_digest_on_fargate(default_run: StackRun) -> None:
    task = default_run.one(t.TASK_DEFINITION).inputs
    container = _container(default_run)

    assert task["family"] == "fargate-pipeline-dev-worker"
    assert (task["cpu"], task["memory"]) == ("1024", "2048")
    assert task["networkMode"] == "awsvpc"
    assert task["requiresCompatibilities"] == ["FARGATE"]
    assert task["runtimePlatform"] == {
        "operatingSystemFamily": "LINUX",
        "cpuArchitecture": "X86_64",
    }
    assert container["name"] == pipeline_spec.WORKER_CONTAINER_NAME
    assert container["image"] == f"{repository_url('ecs-pipeline')}@{IMAGE_DIGEST}"
    assert container["image"] == default_run.outputs["workerImage"]
    assert container["stopTimeout"] == pipeline_spec.WORKER_STOP_TIMEOUT_SECONDS
    assert container["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": "/fargate-pipeline/dev/worker",
            "awslogs-region": REGION,
            "awslogs-stream-prefix": "worker",
        },
    }


def test_task_definition_uses_separate_execution_and_task_roles(default_run: StackRun) -> None:
    task = default_run.one(t.TASK_DEFINITION).inputs

    assert task["executionRoleArn"] == role_arn("worker-execution-role")
    assert task["taskRoleArn"] == role_arn("worker-task-role")


def test_container_env_carries_exactly_the_contract_variables(default_run: StackRun) -> None:
    assert _environment(default_run) == {
        Env.QUEUE_URL: default_run.outputs["queueUrl"],
        Env.DEST_BUCKET: default_run.outputs["destBucket"],
        Env.DEST_PREFIX: "processed",
        Env.TARGET_SIZE: "224x224",
        Env.RESIZE_MODE: "stretch",
        Env.OUTPUT_FORMAT: "source",
        Env.SSM_PATH: SSM_PATH,
    }


def test_container_env_follows_config() -> None:
    run = run_program(
        stack_config(
            {
                "targetSize": "640X480, 224x224",
                "resizeMode": "CROP",
                "outputFormat": "WEBP",
                "destPrefix": "training",
            }
        )
    )

    environment = _environment(run)
    assert environment[Env.TARGET_SIZE] == "640x480,224x224"
    assert environment[Env.RESIZE_MODE] == "crop"
    assert environment[Env.OUTPUT_FORMAT] == "webp"
    assert environment[Env.DEST_PREFIX] == "training"


def test_cluster_offers_fargate_and_spot_and_container_insights_follows_config(
    default_run: StackRun,
) -> None:
    cluster = default_run.one(t.CLUSTER).inputs
    assert cluster["name"] == "fargate-pipeline-dev-cluster"
    assert cluster["settings"] == [{"name": "containerInsights", "value": "disabled"}]
    providers = default_run.one(t.CAPACITY_PROVIDERS).inputs
    assert providers["clusterName"] == "fargate-pipeline-dev-cluster"
    assert providers["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    [strategy] = providers["defaultCapacityProviderStrategies"]
    assert strategy["capacityProvider"] == "FARGATE"

    insights = run_program(stack_config({"containerInsights": True}))
    assert insights.one(t.CLUSTER).inputs["settings"] == [
        {"name": "containerInsights", "value": "enabled"}
    ]


def test_log_groups_keep_logs_for_the_configured_retention(default_run: StackRun) -> None:
    groups = {
        g.inputs["name"]: g.inputs["retentionInDays"] for g in default_run.of_type(t.LOG_GROUP)
    }
    assert groups == {"/fargate-pipeline/dev/worker": 14, "/fargate-pipeline/dev/scaler": 14}

    run = run_program(stack_config({"logRetentionDays": 90}))
    assert {g.inputs["retentionInDays"] for g in run.of_type(t.LOG_GROUP)} == {90}


def test_default_network_is_the_default_vpc_with_an_egress_only_group(
    default_run: StackRun,
) -> None:
    group = default_run.one(t.SECURITY_GROUP).inputs

    assert group["vpcId"] == DEFAULT_VPC_ID
    assert group.get("ingress", []) == []
    [egress] = group["egress"]
    assert (egress["protocol"], egress["fromPort"], egress["toPort"]) == ("tcp", 443, 443)
    assert egress["cidrBlocks"] == ["0.0.0.0/0"]


def test_ssm_parameters_hold_every_contract_name_under_the_stack_path(
    default_run: StackRun,
) -> None:
    parameters = _parameters(default_run)

    assert set(parameters) == {f"{SSM_PATH}{name.value}" for name in Param}
    assert {p.inputs["type"] for p in default_run.of_type(t.PARAMETER)} == {"String"}
    values = {name.removeprefix(SSM_PATH): value for name, value in parameters.items()}
    assert values == {
        Param.UNPROCESSED_SQS_URL: default_run.outputs["queueUrl"],
        Param.ECS_CLUSTER: "fargate-pipeline-dev-cluster",
        Param.ECS_TASK_CONTAINER: "worker",
        Param.ECS_TASK_DEFINITION: (
            f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}:task-definition/fargate-pipeline-dev-worker:1"
        ),
        Param.ECS_TASK_SECURITYGROUP: security_group_id("worker-security-group"),
        Param.ECS_TASK_SUBNET: ",".join(DEFAULT_SUBNET_IDS),
        Param.S3_DEST_BUCKET: default_run.outputs["destBucket"],
        Param.S3_DEST_PREFIX: "processed",
        Param.ENABLED: "1",
        Param.ECS_MAX_TASKS: "10",
        Param.ECS_MAX_TASKS_PER_RUN: "10",
        Param.MESSAGES_PER_TASK: "1",
        Param.ECS_ASSIGN_PUBLIC_IP: "1",
        Param.ECS_CAPACITY: "FARGATE",
        Param.DLQ_URL: default_run.outputs["dlqUrl"],
        Param.S3_SOURCE_BUCKET: default_run.outputs["sourceBucket"],
        Param.S3_SOURCE_PREFIX: "ecsproc/",
        Param.S3_SOURCE_SUFFIXES: ".jpg,.jpeg,.png,.webp,.gif,.bmp,.JPG,.JPEG,.PNG,.WEBP,.GIF,.BMP",
    }
    assert values[Param.ECS_TASK_DEFINITION] == default_run.outputs["taskDefinitionArn"]


def test_ssm_parameters_follow_config() -> None:
    subnets = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
    groups = ["sg-0123456789abcdef0", "sg-0aaaabbbbccccdddd"]
    run = run_program(
        stack_config(
            {
                "enabled": False,
                "assignPublicIp": False,
                "maxTasks": 1000,
                "maxTasksPerRun": 50,
                "messagesPerTask": 40,
                "subnetIds": subnets,
                "securityGroupIds": groups,
            }
        )
    )

    values = {k.removeprefix(SSM_PATH): v for k, v in _parameters(run).items()}
    assert values[Param.ENABLED] == "0"
    assert values[Param.ECS_ASSIGN_PUBLIC_IP] == "0"
    assert values[Param.ECS_MAX_TASKS] == "1000"
    assert values[Param.ECS_MAX_TASKS_PER_RUN] == "50"
    assert values[Param.MESSAGES_PER_TASK] == "40"
    assert values[Param.ECS_TASK_SUBNET] == ",".join(subnets)
    assert values[Param.ECS_TASK_SECURITYGROUP] == ",".join(groups)
    # the user's groups: none created
    assert run.of_type(t.SECURITY_GROUP) == []


def test_own_subnets_get_a_created_group_in_their_vpc() -> None:
    run = run_program(stack_config({"subnetIds": ["subnet-0123456789abcdef0"]}))

    assert run.one(t.SECURITY_GROUP).inputs["vpcId"] == "vpc-0fedcba9876543210"
    assert "aws:ec2/getVpc:getVpc" not in {call.token for call in run.mocks.calls}


@pytest.mark.parametrize(
    ("settings", "architecture", "platform", "capacity"),
    [
        ({"cpuArchitecture": "ARM64"}, "ARM64", "linux/arm64", "FARGATE"),
        ({"useFargateSpot": True}, "X86_64", "linux/amd64", "FARGATE_SPOT"),
    ],
)
def test_graviton_and_spot_variants(
    settings: dict[str, object], architecture: str, platform: str, capacity: str
) -> None:
    run = run_program(stack_config(settings))

    task = run.one(t.TASK_DEFINITION).inputs
    assert task["runtimePlatform"]["cpuArchitecture"] == architecture
    image = run.one(t.IMAGE).inputs
    assert image["build"]["platform"] == platform
    assert image["imageName"].rsplit(":", 1)[1] == image_tag(ROOT, CpuArchitecture(architecture))
    [strategy] = run.one(t.CAPACITY_PROVIDERS).inputs["defaultCapacityProviderStrategies"]
    assert strategy["capacityProvider"] == capacity
    assert _parameters(run)[f"{SSM_PATH}{Param.ECS_CAPACITY.value}"] == capacity


def test_empty_destination_prefix_writes_at_the_root_and_leaves_its_parameter_out(
    root_outputs_run: StackRun,
) -> None:
    run = root_outputs_run

    assert _environment(run)[Env.DEST_PREFIX] == ""
    # SSM holds no empty value: the parameter is absent, the rest are there
    assert set(_parameters(run)) == {
        f"{SSM_PATH}{name.value}" for name in Param if name is not Param.S3_DEST_PREFIX
    }
