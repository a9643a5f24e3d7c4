"""The operator's off switch: PIPELINE_ENABLED under the stack's SSM path."""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from contract.ssm import Param
from contract.values import encode_flag, parse_flag

logger = logging.getLogger(__name__)

POLL_SECONDS = 10.0
"""With the receive's long poll (at most 10 s) this stops intake within 20 s of the switch,
inside the contract's 30 s."""


class SwitchError(Exception):
    """The parameter cannot be read or holds something other than 1 or 0."""


class EnabledSwitch:
    """`<ssm_path>PIPELINE_ENABLED`, read with an injected SSM client at most every poll."""

    def __init__(self, ssm: Any, ssm_path: str, poll_seconds: float = POLL_SECONDS) -> None:
        self._ssm = ssm
        self._poll_seconds = poll_seconds
        self.name = f"{ssm_path}{Param.ENABLED.value}"
        self._enabled = True
        self._next_poll = float("-inf")

    def read(self) -> bool:
        """Read the parameter now; raises SwitchError naming the parameter and the problem."""
        try:
            value: str = self._ssm.get_parameter(Name=self.name)["Parameter"]["Value"].strip()
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            raise SwitchError(f"cannot read SSM parameter {self.name}: {code}") from None
        except BotoCoreError as error:
            raise SwitchError(f"cannot read SSM parameter {self.name}: {error}") from None
        try:
            return parse_flag(value)
        except ValueError as error:
            raise SwitchError(f"SSM parameter {self.name} is {value!r}: {error}") from None

    def enabled(self, now: float) -> bool:
        """The switch, re-read when a poll is due; a failed read keeps the last known value."""
        if now >= self._next_poll:
            self._next_poll = now + self._poll_seconds
            try:
                self._enabled = self.read()
            except SwitchError as error:
                logger.warning("%s; keeping %s", error, encode_flag(self._enabled))
        return self._enabled
