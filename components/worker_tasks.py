"""Worker tasks: the cluster, the task definition and its roles, the network they run in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws

import pipeline_spec
from components.config import ConfigError
from components.iam import ECS_TASKS_SERVICE, Account, Statement, allow, document, service_role
from components.naming import StackNames
from contract.config import CpuArchitecture
from contract.env import Env
from contract.ssm import Param
from contract.values import Capacity

ECS_SERVICE: Final = "ecs.amazonaws.com"
ECS_SERVICE_LINKED_ROLE: Final = "AWSServiceRoleForECS"
ECS_SERVICE_LINKED_ROLE_PATH: Final = f"/aws-service-role/{ECS_SERVICE}/"
LOG_STREAM_PREFIX: Final = "worker"
HTTPS_PORT: Final = 443
"""Workers only call AWS APIs (SQS, S3, SSM, ECR, Logs), all over HTTPS."""


@dataclass(frozen=True)
class TaskSize:
    """The Fargate task size (a valid pair, checked with the config) and its architecture."""

    cpu: int
    memory: int
    cpu_architecture: CpuArchitecture


@dataclass(frozen=True)
class WorkerAccess:
    """What the worker's code reads and writes: the resources of its task role."""

    queue_arn: pulumi.Input[str]
    source_bucket_arn: pulumi.Input[str]
    source_prefix: str
    """Where uploads may be read (``PipelineConfig.upload_read_prefix``; empty: anywhere)."""
    dest_bucket_arn: pulumi.Input[str]
    dest_prefix: str
    kms_key_arns: tuple[str, ...] = ()
    """Keys encrypting a bucket or queue the user brought: decrypt and generate data keys."""


@dataclass(frozen=True)
class WorkerTasksArgs:
    account: Account
    """Where the stack runs, for ARNs."""
    names: StackNames
    """The cluster, task family, log group and SSM path names."""
    log_retention_days: int
    container_insights: bool
    """Per-task CloudWatch metrics (billed as custom metrics)."""
    image_digest: pulumi.Input[str]
    """The image the worker container runs, pinned by digest."""
    repository_arn: pulumi.Input[str]
    size: TaskSize
    capacity: Capacity
    """The cluster's default capacity provider."""
    access: WorkerAccess
    environment: Mapping[Env, pulumi.Input[str]]
    """The worker container's environment (``pipeline_spec.worker_environment``)."""
    subnet_ids: tuple[str, ...]
    """Empty: the default VPC's default subnets."""
    security_group_ids: tuple[str, ...]
    """Empty: a created egress-only group."""


@dataclass(frozen=True)
class _Roles:
    execution: aws.iam.Role
    task: aws.iam.Role
    policies: tuple[aws.iam.RolePolicy, ...]


class WorkerTasks(pulumi.ComponentResource):
    """Everything a scaler needs to start a worker task."""

    cluster_name: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    task_definition_arn: pulumi.Output[str]
    """With its revision, as PIPELINE_ECS_TASK_DEFINITION holds it."""
    execution_role_arn: pulumi.Output[str]
    task_role_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    subnet_ids: pulumi.Output[list[str]]
    security_group_ids: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: WorkerTasksArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fargate-pipeline:index:WorkerTasks", name, None, opts)
        self._name = name
        self._args = args
        cluster = self._create_cluster()
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=args.names.worker_log_group,
            retention_in_days=args.log_retention_days,
            opts=self._child(),
        )
        roles = self._create_roles(log_group.arn)
        task_definition = self._create_task_definition(log_group.name, roles)
        self.subnet_ids, self.security_group_ids = self._network()
        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.task_definition_arn = task_definition.arn
        self.execution_role_arn = roles.execution.arn
        self.task_role_arn = roles.task.arn
        self.log_group_name = log_group.name
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_arn": self.cluster_arn,
                "task_definition_arn": self.task_definition_arn,
                "execution_role_arn": self.execution_role_arn,
                "task_role_arn": self.task_role_arn,
                "log_group_name": self.log_group_name,
                "subnet_ids": self.subnet_ids,
                "security_group_ids": self.security_group_ids,
            }
        )

    def _child(self, depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=list(depends_on))

    def _ecs_service_linked_role(self) -> list[pulumi.Resource]:
        """The ECS service-linked role, created first when the account has never used ECS.

        CreateCluster creates the role itself, but asynchronously, so on the account's first
        cluster the capacity providers written right after fail ("Unable to assume the service
        linked role"). Created here, before the cluster, there is no race. Looked up on every
        run: once it exists the stack stops declaring it, and retain_on_delete means that leaves
        the role in place (as it does on destroy: other ECS users in the account need it).
        """
        existing = aws.iam.get_roles(
            name_regex=f"^{ECS_SERVICE_LINKED_ROLE}$",
            path_prefix=ECS_SERVICE_LINKED_ROLE_PATH,
            opts=pulumi.InvokeOptions(parent=self),
        )
        if existing.names:
            return []
        role = aws.iam.ServiceLinkedRole(
            f"{self._name}-ecs-service-role",
            aws_service_name=ECS_SERVICE,
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        return [role]

    def _create_cluster(self) -> aws.ecs.Cluster:
        args = self._args
        service_linked_role = self._ecs_service_linked_role()
        cluster = aws.ecs.Cluster(
            f"{self._name}-cluster",
            name=args.names.cluster,
            settings=[
                aws.ecs.ClusterSettingArgs(
                    name="containerInsights",
                    value="enabled" if args.container_insights else "disabled",
                )
            ],
            opts=self._child(depends_on=service_linked_role),
        )
        # Both providers, so flipping useFargateSpot only changes the strategy the scaler asks for.
        aws.ecs.ClusterCapacityProviders(
            f"{self._name}-capacity",
            cluster_name=cluster.name,
            capacity_providers=[capacity.value for capacity in Capacity],
            default_capacity_provider_strategies=[
                aws.ecs.ClusterCapacityProvidersDefaultCapacityProviderStrategyArgs(
                    capacity_provider=args.capacity.value, weight=1
                )
            ],
            opts=self._child(),
        )
        return cluster

    def _create_roles(self, log_group_arn: pulumi.Output[str]) -> _Roles:
        # Two roles: what ECS needs to start the task, and what the worker's code may do.
        account_id = self._args.account.account_id
        execution, execution_policy = service_role(
            f"{self._name}-execution-role",
            service=ECS_TASKS_SERVICE,
            description="Pulls the worker image and writes its logs",
            account_id=account_id,
            policy=self._execution_policy(log_group_arn),
            parent=self,
        )
        task, task_policy = service_role(
            f"{self._name}-task-role",
            service=ECS_TASKS_SERVICE,
            description="What the worker may do: drain the queue, read uploads, write outputs",
            account_id=account_id,
            policy=self._task_policy(),
            parent=self,
        )
        return _Roles(execution, task, (execution_policy, task_policy))

    def _create_task_definition(
        self, log_group_name: pulumi.Output[str], roles: _Roles
    ) -> aws.ecs.TaskDefinition:
        args = self._args
        return aws.ecs.TaskDefinition(
            f"{self._name}-task",
            family=args.names.task_family,
            cpu=str(args.size.cpu),
            memory=str(args.size.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                operating_system_family="LINUX", cpu_architecture=args.size.cpu_architecture.value
            ),
            execution_role_arn=roles.execution.arn,
            task_role_arn=roles.task.arn,
            container_definitions=self._container_definitions(log_group_name),
            # A task started from this revision finds its roles' policies in place.
            opts=self._child(depends_on=roles.policies),
        )

    def _execution_policy(self, log_group_arn: pulumi.Output[str]) -> pulumi.Output[str]:
        args = self._args
        return document(
            allow(
                "PullWorkerImage",
                ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                [args.repository_arn],
            ),
            # GetAuthorizationToken has no resource-level permissions: AWS accepts only "*".
            allow("LogInToEcr", ["ecr:GetAuthorizationToken"], ["*"]),
            allow(
                "WriteWorkerLogs",
                ["logs:CreateLogStream", "logs:PutLogEvents"],
                [pulumi.Output.concat(log_group_arn, ":*")],
            ),
        )

    def _task_policy(self) -> pulumi.Output[str]:
        args = self._args
        access = args.access
        dest_root = f"{access.dest_prefix}/" if access.dest_prefix else ""
        return document(
            # GetQueueAttributes: the worker reads the visibility timeout at start, which is
            # also how it tells a missing queue from an empty one.
            allow(
                "DrainQueue",
                [
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueAttributes",
                ],
                [access.queue_arn],
            ),
            allow(
                "ReadUploads",
                ["s3:GetObject"],
                [pulumi.Output.concat(access.source_bucket_arn, "/", access.source_prefix, "*")],
            ),
            # Without ListBucket S3 answers a deleted upload with 403 instead of 404, and the
            # worker would retry it into the DLQ instead of recording it as gone. No s3:prefix
            # condition: GetObject's request carries no prefix, so one would never match.
            allow("SeeDeletedUploads", ["s3:ListBucket"], [access.source_bucket_arn]),
            allow(
                "WriteOutputs",
                ["s3:PutObject"],
                [pulumi.Output.concat(access.dest_bucket_arn, "/", dest_root, "*")],
            ),
            allow(
                "ReadPipelineSwitch",
                ["ssm:GetParameter"],
                [args.account.arn("ssm", f"parameter{args.names.ssm_path}{Param.ENABLED.value}")],
            ),
            *self._kms_statements(),
        )

    def _kms_statements(self) -> list[Statement]:
        keys = self._args.access.kms_key_arns
        if not keys:
            return []
        # Decrypt: receiving from an SSE-KMS queue and reading SSE-KMS objects. GenerateDataKey:
        # writing objects to a bucket whose default encryption is SSE-KMS.
        return [allow("UseKmsKeys", ["kms:Decrypt", "kms:GenerateDataKey"], list(keys))]

    def _container_definitions(self, log_group_name: pulumi.Output[str]) -> pulumi.Output[str]:
        args = self._args
        container = {
            "name": pipeline_spec.WORKER_CONTAINER_NAME,
            "image": args.image_digest,
            "essential": True,
            "stopTimeout": pipeline_spec.WORKER_STOP_TIMEOUT_SECONDS,
            "environment": [
                {"name": name.value, "value": value}
                for name, value in sorted(args.environment.items())
            ],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": log_group_name,
                    "awslogs-region": args.account.region,
                    "awslogs-stream-prefix": LOG_STREAM_PREFIX,
                },
            },
        }
        return pulumi.Output.json_dumps([container])

    def _network(self) -> tuple[pulumi.Output[list[str]], pulumi.Output[list[str]]]:
        args = self._args
        invoke_opts = pulumi.InvokeOutputOptions(parent=self)
        if args.subnet_ids:
            subnet_ids = pulumi.Output.from_input(list(args.subnet_ids))
            vpc_id = aws.ec2.get_subnet_output(id=args.subnet_ids[0], opts=invoke_opts).vpc_id
        else:
            vpc_id = aws.ec2.get_vpc_output(default=True, opts=invoke_opts).id
            subnet_ids = aws.ec2.get_subnets_output(
                filters=vpc_id.apply(_default_subnets_filter), opts=invoke_opts
            ).ids.apply(_require_subnets)
        if args.security_group_ids:
            return subnet_ids, pulumi.Output.from_input(list(args.security_group_ids))
        group = aws.ec2.SecurityGroup(
            f"{self._name}-security-group",
            description="fargate-pipeline workers: HTTPS out to AWS APIs, nothing in",
            vpc_id=vpc_id,
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    description="HTTPS to AWS APIs",
                    protocol="tcp",
                    from_port=HTTPS_PORT,
                    to_port=HTTPS_PORT,
                    cidr_blocks=["0.0.0.0/0"],
                    ipv6_cidr_blocks=["::/0"],
                )
            ],
            opts=self._child(),
        )
        return subnet_ids, group.id.apply(lambda group_id: [group_id])


def _default_subnets_filter(vpc_id: str) -> list[aws.ec2.GetSubnetsFilterArgs]:
    return [
        aws.ec2.GetSubnetsFilterArgs(name="vpc-id", values=[vpc_id]),
        aws.ec2.GetSubnetsFilterArgs(name="default-for-az", values=["true"]),
    ]


def _require_subnets(subnet_ids: list[str]) -> list[str]:
    if not subnet_ids:
        raise ConfigError(
            "The default VPC has no default subnets: set fargate-pipeline:subnetIds to the "
            "subnets worker tasks should run in."
        )
    return subnet_ids
