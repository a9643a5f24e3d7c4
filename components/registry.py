"""The stack's registry: every SSM parameter under the stack's path.

The scaler reads these on every run, the worker reads the switch, and ``python -m ops`` finds the
whole stack from them; ``pipeline_spec.ssm_parameters`` says what they hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from contract.ssm import PROJECT_NAME, Param


@dataclass(frozen=True)
class StackRegistryArgs:
    ssm_path: str
    """The stack's parameter path, with its trailing ``/``."""
    parameters: Mapping[Param, pulumi.Input[str]]
    """Each parameter's value (``pipeline_spec.ssm_parameters``)."""


class StackRegistry(pulumi.ComponentResource):
    """One plain String parameter per entry, named ``<ssm_path><name>``."""

    parameter_names: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: StackRegistryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fargate-pipeline:index:StackRegistry", name, None, opts)
        parameters = [
            aws.ssm.Parameter(
                f"{name}-{param.value.lower().replace('_', '-')}",
                name=f"{args.ssm_path}{param.value}",
                type="String",
                value=value,
                description=f"{PROJECT_NAME}: {param.value} (from stack config)",
                opts=pulumi.ResourceOptions(parent=self),
            )
            for param, value in args.parameters.items()
        ]
        self.parameter_names = pulumi.Output.all(*(parameter.name for parameter in parameters))
        self.register_outputs({"parameter_names": self.parameter_names})
