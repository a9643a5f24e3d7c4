"""The stack config as Pulumi holds it, read into the contract's one validated object.

Every key, default and rule is in ``contract.config``; this module only asks ``pulumi.Config``
for the keys that are set (unit-test mocks do not apply ``Pulumi.yaml``'s defaults, so the
contract owns them) and turns a rejection into an error Pulumi prints without a stack trace.
"""

from __future__ import annotations

import pulumi

from contract.config import DEFAULTS, InvalidConfig, PipelineConfig, parse_config
from contract.ssm import PROJECT_NAME


class ConfigError(pulumi.RunError):
    """Bad stack config. A RunError, so Pulumi prints the message alone, without a stack trace."""


def load_config(config: pulumi.Config | None = None) -> PipelineConfig:
    """Read and validate the stack config, or raise ConfigError listing every bad key."""
    reader = config if config is not None else pulumi.Config(PROJECT_NAME)
    values = {key: value for key in DEFAULTS if (value := reader.get(key)) is not None}
    try:
        return parse_config(values)
    except InvalidConfig as error:
        raise ConfigError(str(error)) from None
