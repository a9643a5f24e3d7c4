"""``pause`` / ``resume``: flip ``PIPELINE_ENABLED`` for an immediate effect."""

from __future__ import annotations

from contract.ssm import Param
from contract.values import encode_flag
from ops.clients import Clients
from ops.stack import Stack


def set_enabled(clients: Clients, stack: Stack, enabled: bool) -> str:
    """Overwrite the parameter; return what it means, in a sentence."""
    clients.ssm.put_parameter(
        Name=stack.path + Param.ENABLED.value,
        Value=encode_flag(enabled),
        Type="String",
        Overwrite=True,
    )
    effect = (
        "the scaler starts tasks again on its next run"
        if enabled
        else "the scaler starts no tasks, and running workers stop taking messages within 30 s"
    )
    return (
        f"{Param.ENABLED.value} = {encode_flag(enabled)} for stack {stack.name!r}: {effect}. "
        "The next pulumi up restores the stack config's value (enabled)."
    )
