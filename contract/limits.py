"""AWS API limits that more than one part of the pipeline works within, each with its source."""

from __future__ import annotations

from typing import Final

RUN_TASK_MAX_COUNT: Final = 10
"""RunTask count: "You can specify up to 10 tasks for each call." (ECS API reference, RunTask)."""
LIST_TASKS_PAGE_SIZE: Final = 100
"""ListTasks maxResults: "This value can be between 1 and 100" (ECS API reference, ListTasks)."""
AWSVPC_MAX_SUBNETS: Final = 16
"""awsvpcConfiguration.subnets: "You can specify up to 16 subnets." (ECS, AwsVpcConfiguration)."""
AWSVPC_MAX_SECURITY_GROUPS: Final = 5
"""awsvpcConfiguration.securityGroups: "You can specify up to 5 security groups." (same page)."""

SQS_BATCH_MAX_ENTRIES: Final = 10
"""ReceiveMessage's MaxNumberOfMessages, and the entries of SendMessageBatch, DeleteMessageBatch
and ChangeMessageVisibilityBatch: at most 10 (SQS quotas, "Message quotas")."""
SQS_MAX_WAIT_TIME_SECONDS: Final = 20
"""The longest long poll ReceiveMessage allows (WaitTimeSeconds)."""
SQS_MAX_VISIBILITY_TIMEOUT_SECONDS: Final = 12 * 3600
"""A message's visibility can be extended to at most 12 hours after its receipt."""
SQS_MAX_RECEIVE_COUNT: Final = 1000
"""The largest maxReceiveCount a redrive policy accepts."""
SQS_MAX_IN_FLIGHT: Final = 120_000
"""In-flight messages of a standard queue: past this, ReceiveMessage returns OverLimit."""

# Service Quotas codes of the account quotas a new account meets first (aws service-quotas
# get-service-quota --service-code <service> --quota-code <code>).
FARGATE_ON_DEMAND_VCPU_QUOTA: Final = "L-3032A538"
"""fargate: "Fargate On-Demand vCPU resource count", every running Fargate task's vCPUs."""
FARGATE_SPOT_VCPU_QUOTA: Final = "L-36FBB829"
"""fargate: "Fargate Spot vCPU resource count"."""
LAMBDA_CONCURRENCY_QUOTA: Final = "L-B99A9384"
"""lambda: "Concurrent executions"; AWS keeps 10 of them unreserved, so reserving one needs 11+."""

S3_LIST_PAGE_SIZE: Final = 1000
"""ListObjectsV2 returns at most 1,000 keys a page (MaxKeys)."""
