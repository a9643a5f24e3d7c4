"""Names the stack gives its resources, derived from the project and stack names.

Two stacks in one account never collide: every fixed name carries the stack's name, and the
rest are auto-named by Pulumi. Names follow the local pipeline's ``<project>-<stack>-<role>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from contract.ssm import ssm_path

# ECS cluster and task family names allow letters, digits, '-' and '_'; stack names may also
# hold '.', which becomes '-'.
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class StackNames:
    project: str
    stack: str

    @property
    def prefix(self) -> str:
        return _UNSAFE.sub("-", f"{self.project}-{self.stack}")

    @property
    def ssm_path(self) -> str:
        """``/<project>/<stack>/``, the path every pipeline parameter lives under."""
        return ssm_path(self.stack, self.project)

    @property
    def cluster(self) -> str:
        return f"{self.prefix}-cluster"

    @property
    def task_family(self) -> str:
        return f"{self.prefix}-worker"

    @property
    def worker_log_group(self) -> str:
        return f"/{self.project}/{self.stack}/worker"

    @property
    def scaler_log_group(self) -> str:
        return f"/{self.project}/{self.stack}/scaler"
