"""Storage and event source: the source and destination buckets, the queue and its DLQ.

Each of the two buckets and the queue is either the user's (named in config: looked up, never
modified or deleted) or created here. With a created queue the stack also owns the queue policy
and the source bucket's notification that feed it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

import pipeline_spec
from components.iam import S3_SERVICE, document

SSE_ALGORITHM = "AES256"
"""SSE-S3: encrypted at rest with no key policy for the worker's role to need."""


@dataclass(frozen=True)
class StorageArgs:
    source_bucket: str | None
    """An existing source bucket's name; None creates one."""
    dest_bucket: str | None
    """An existing destination bucket's name; None creates one."""
    queue_name: str | None
    """An existing queue's name (fed by the user's own notification); None creates one."""
    source_prefix: str
    """Notification filter prefix."""
    source_suffixes: tuple[str, ...]
    """Notification filter suffixes, one queue configuration each; empty: every key."""
    max_receive_count: int
    """Receives before a message moves to the DLQ."""
    account_id: pulumi.Input[str]
    """This account, the only one whose buckets may send to the queue."""


@dataclass(frozen=True)
class _Bucket:
    name: pulumi.Output[str]
    arn: pulumi.Output[str]


class Storage(pulumi.ComponentResource):
    """The buckets and the queue between them and the workers."""

    source_bucket_name: pulumi.Output[str]
    source_bucket_arn: pulumi.Output[str]
    dest_bucket_name: pulumi.Output[str]
    dest_bucket_arn: pulumi.Output[str]
    queue_url: pulumi.Output[str]
    queue_arn: pulumi.Output[str]
    dlq_url: pulumi.Output[str | None]
    """None when the queue is the user's."""

    def __init__(
        self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fargate-pipeline:index:Storage", name, None, opts)
        self._name = name
        self._args = args
        source = self._bucket("source", args.source_bucket)
        dest = self._bucket("dest", args.dest_bucket)
        self.source_bucket_name, self.source_bucket_arn = source.name, source.arn
        self.dest_bucket_name, self.dest_bucket_arn = dest.name, dest.arn
        if args.queue_name is None:
            self._create_event_source(source)
        else:
            if args.source_bucket is None:
                pulumi.log.warn(
                    f"queueName {args.queue_name} is set but sourceBucket is not: the stack "
                    "creates the source bucket without a notification, so uploads reach your "
                    "queue only once you add one to it (or unset queueName).",
                    resource=self,
                )
            existing = aws.sqs.get_queue_output(name=args.queue_name, opts=self._invoke_opts())
            self.queue_url, self.queue_arn = existing.url, existing.arn
            self.dlq_url = pulumi.Output.from_input(None)
        self.register_outputs(
            {
                "source_bucket_name": self.source_bucket_name,
                "source_bucket_arn": self.source_bucket_arn,
                "dest_bucket_name": self.dest_bucket_name,
                "dest_bucket_arn": self.dest_bucket_arn,
                "queue_url": self.queue_url,
                "queue_arn": self.queue_arn,
                "dlq_url": self.dlq_url,
            }
        )

    def _invoke_opts(self) -> pulumi.InvokeOutputOptions:
        return pulumi.InvokeOutputOptions(parent=self)

    def _child(self, depends_on: list[pulumi.Resource] | None = None) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=depends_on)

    def _bucket(self, role: str, existing: str | None) -> _Bucket:
        if existing is not None:
            # Looked up rather than assumed, so a typo fails at preview, not in the first task.
            found = aws.s3.get_bucket_output(bucket=existing, opts=self._invoke_opts())
            return _Bucket(name=found.bucket, arn=found.arn)
        return self._create_bucket(role)

    def _create_bucket(self, role: str) -> _Bucket:
        name = f"{self._name}-{role}"
        # force_destroy: `pulumi destroy` removes a bucket the stack created, objects included.
        bucket = aws.s3.Bucket(name, force_destroy=True, opts=self._child())
        public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=self._child(),
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm=SSE_ALGORITHM
                    )
                )
            ],
            opts=self._child(),
        )
        # After the public access block: S3 rejects policy writes racing a block change.
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=_deny_insecure_transport(bucket.arn),
            opts=self._child(depends_on=[public_access_block]),
        )
        return _Bucket(name=bucket.bucket, arn=bucket.arn)

    def _create_event_source(self, source: _Bucket) -> None:
        args = self._args
        dlq = aws.sqs.Queue(
            f"{self._name}-dlq",
            message_retention_seconds=pipeline_spec.DLQ_RETENTION_SECONDS,
            sqs_managed_sse_enabled=True,
            opts=self._child(),
        )
        queue = aws.sqs.Queue(
            f"{self._name}-queue",
            visibility_timeout_seconds=pipeline_spec.QUEUE_VISIBILITY_TIMEOUT_SECONDS,
            message_retention_seconds=pipeline_spec.QUEUE_RETENTION_SECONDS,
            max_message_size=pipeline_spec.QUEUE_MAX_MESSAGE_BYTES,
            sqs_managed_sse_enabled=True,
            redrive_policy=dlq.arn.apply(
                lambda arn: pipeline_spec.redrive_policy(arn, args.max_receive_count)
            ),
            opts=self._child(),
        )
        queue_policy = aws.sqs.QueuePolicy(
            f"{self._name}-queue-policy",
            queue_url=queue.url,
            policy=_allow_bucket_notifications(queue.arn, source.arn, args.account_id),
            opts=self._child(),
        )
        if args.source_bucket is not None:
            pulumi.log.warn(
                f"The stack manages the event notifications of your bucket {args.source_bucket}: "
                "S3 keeps one notification configuration per bucket, so any existing one is "
                "replaced (and removed by `pulumi destroy`). Set queueName to keep your own.",
                resource=self,
            )
        key_filters = pipeline_spec.notification_filters(args.source_prefix, args.source_suffixes)
        # S3 checks it may send to the queue when the notification is written: policy first.
        aws.s3.BucketNotification(
            f"{self._name}-notification",
            bucket=source.name,
            queues=[
                aws.s3.BucketNotificationQueueArgs(
                    queue_arn=queue.arn,
                    events=list(pipeline_spec.NOTIFICATION_EVENTS),
                    filter_prefix=key_filter.get("filter_prefix"),
                    filter_suffix=key_filter.get("filter_suffix"),
                )
                for key_filter in key_filters
            ],
            opts=self._child(depends_on=[queue_policy]),
        )
        self.queue_url, self.queue_arn = queue.url, queue.arn
        self.dlq_url = dlq.url


def _deny_insecure_transport(bucket_arn: pulumi.Output[str]) -> pulumi.Output[str]:
    return document(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )


def _allow_bucket_notifications(
    queue_arn: pulumi.Output[str],
    bucket_arn: pulumi.Output[str],
    account_id: pulumi.Input[str],
) -> pulumi.Output[str]:
    return document(
        {
            "Sid": "SourceBucketNotifications",
            "Effect": "Allow",
            "Principal": {"Service": S3_SERVICE},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {
                "ArnEquals": {"aws:SourceArn": bucket_arn},
                "StringEquals": {"aws:SourceAccount": account_id},
            },
        }
    )
