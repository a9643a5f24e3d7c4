"""ECS API limits the scaler works within. Dependency-free: the stack sizes the Lambda by them."""

from __future__ import annotations

RUN_TASK_MAX_COUNT = 10
"""RunTask count: "You can specify up to 10 tasks for each call." (ECS API reference, RunTask)."""
LIST_TASKS_PAGE_SIZE = 100
"""ListTasks maxResults: "This value can be between 1 and 100" (ECS API reference, ListTasks)."""
