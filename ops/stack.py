"""The stack's registry: every resource a command needs, from the SSM parameters of the stack."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contract.config import upload_matches
from contract.ssm import Param, ssm_path
from contract.values import parse_flag, parse_list
from ops.errors import MissingParameter, OpsError, StackNotFound
from scaler.parameters import task_family
from scaler.ssm import read_parameters


@dataclass(frozen=True)
class Stack:
    """The parameters under ``/fargate-pipeline/<name>/``, by name within the path."""

    name: str
    parameters: Mapping[str, str]

    @property
    def path(self) -> str:
        return ssm_path(self.name)

    def require(self, param: Param) -> str:
        try:
            return self.parameters[param.value]
        except KeyError:
            raise MissingParameter(
                f"stack {self.name!r} has no {param.value} under {self.path} (deployed by an "
                "older version? run pulumi up)"
            ) from None

    def optional(self, param: Param) -> str | None:
        return self.parameters.get(param.value)

    @property
    def queue_url(self) -> str:
        return self.require(Param.UNPROCESSED_SQS_URL)

    @property
    def dlq_url(self) -> str | None:
        """None when the user brought the queue: its dead letters are theirs to manage."""
        return self.optional(Param.DLQ_URL)

    @property
    def source_bucket(self) -> str:
        return self.require(Param.S3_SOURCE_BUCKET)

    @property
    def source_prefix(self) -> str:
        # SSM cannot hold an empty value: the parameter's absence means every key.
        return self.optional(Param.S3_SOURCE_PREFIX) or ""

    @property
    def source_suffixes(self) -> tuple[str, ...]:
        """Empty: every key under the prefix."""
        return parse_list(self.optional(Param.S3_SOURCE_SUFFIXES) or "")

    @property
    def dest_bucket(self) -> str:
        return self.require(Param.S3_DEST_BUCKET)

    @property
    def dest_prefix(self) -> str:
        # Absent: outputs at the bucket root (SSM cannot hold an empty value).
        return self.optional(Param.S3_DEST_PREFIX) or ""

    @property
    def cluster(self) -> str:
        return self.require(Param.ECS_CLUSTER)

    @property
    def task_family(self) -> str:
        arn = self.require(Param.ECS_TASK_DEFINITION)
        try:
            return task_family(arn)
        except ValueError as error:
            raise OpsError(
                f"stack {self.name!r}: {Param.ECS_TASK_DEFINITION.value} {error}"
            ) from None

    @property
    def enabled(self) -> bool:
        text = self.require(Param.ENABLED)
        try:
            return parse_flag(text)
        except ValueError as error:
            raise OpsError(
                f"stack {self.name!r}: {Param.ENABLED.value} is {text!r}: {error}"
            ) from None

    def matches(self, key: str) -> bool:
        """Whether the notification would pick up ``key``: under the prefix, with a suffix."""
        return upload_matches(key, self.source_prefix, self.source_suffixes)


def load_stack(ssm: Any, name: str) -> Stack:
    """Read the stack's parameters; StackNotFound when there are none under its path."""
    path = ssm_path(name)
    parameters = read_parameters(ssm, path)
    if not parameters:
        raise StackNotFound(
            f"no stack {name!r}: no SSM parameters under {path} in this account and region "
            "(check --stack, AWS_REGION and your credentials)"
        )
    return Stack(name=name, parameters=parameters)
