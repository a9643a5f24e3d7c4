"""IAM building blocks: where the stack runs, policy statements as plain dicts, service roles.

Policy documents are built from plain dicts and serialised with ``Output.json_dumps`` (never
hand-written JSON), so ARNs that are still outputs slot in and every document parses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pulumi
import pulumi_aws as aws

POLICY_VERSION: Final = "2012-10-17"

ECS_TASKS_SERVICE: Final = "ecs-tasks.amazonaws.com"
LAMBDA_SERVICE: Final = "lambda.amazonaws.com"
SCHEDULER_SERVICE: Final = "scheduler.amazonaws.com"
S3_SERVICE: Final = "s3.amazonaws.com"

Statement = dict[str, Any]


@dataclass(frozen=True)
class Account:
    """The partition, region and account the stack deploys into, for building ARNs."""

    partition: pulumi.Output[str]
    region: pulumi.Output[str]
    account_id: pulumi.Output[str]

    @staticmethod
    def current() -> Account:
        return Account(
            partition=aws.get_partition_output().partition,
            region=aws.get_region_output().region,
            account_id=aws.get_caller_identity_output().account_id,
        )

    def arn(self, service: str, resource: pulumi.Input[str]) -> pulumi.Output[str]:
        """A regional ARN in this account, e.g. ``arn("ecs", "task-definition/f:*")``."""
        return pulumi.Output.concat(
            "arn:", self.partition, ":", service, ":", self.region, ":", self.account_id, ":",
            resource,
        )  # fmt: skip


def allow(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[pulumi.Input[str]],
    condition: Mapping[str, Mapping[str, Any]] | None = None,
) -> Statement:
    """An Allow statement; actions are always named, never wildcards."""
    statement: Statement = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": list(actions),
        "Resource": list(resources),
    }
    if condition is not None:
        statement["Condition"] = dict(condition)
    return statement


def document(*statements: Statement) -> pulumi.Output[str]:
    return pulumi.Output.json_dumps({"Version": POLICY_VERSION, "Statement": list(statements)})


def service_trust_policy(service: str, account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """Lets one AWS service assume the role, only on behalf of this account (confused deputy)."""
    return document(
        {
            "Sid": "AssumedByService",
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }
    )


def service_role(
    name: str,
    *,
    service: str,
    description: str,
    account_id: pulumi.Input[str],
    policy: pulumi.Input[str],
    parent: pulumi.Resource,
) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
    """A role the service assumes, with one inline policy holding all it may do."""
    role = aws.iam.Role(
        name,
        description=description,
        assume_role_policy=service_trust_policy(service, account_id),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    role_policy = aws.iam.RolePolicy(
        f"{name}-policy",
        role=role.id,
        policy=policy,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return role, role_policy
