"""The stack config: every key, its default, and its validation into one typed, frozen object.

Both the stack (``components/config.py`` hands it what ``pulumi config`` holds) and
``python -m local`` (its command-line options) build their settings here, so a key has one
default, one check and one normal form. Defaults are kept as the text Pulumi hands the program,
so each default goes through the same parser as a value the user set; ``Pulumi.yaml`` declares
the same defaults for ``pulumi config`` (a test keeps the two equal). Bad values are reported
together, one sentence per bad key naming the key and what is allowed.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, TypeVar

from contract import env, limits
from contract.formats import DEFAULT_SOURCE_SUFFIXES
from contract.layout import output_keys, written_keys
from contract.ssm import PROJECT_NAME
from contract.values import (
    SECURITY_GROUP_ID,
    SUBNET_ID,
    Capacity,
    OutputFormat,
    ResizeMode,
    format_sizes,
    parse_output_format,
    parse_resize_mode,
    parse_target_sizes,
    parse_whole_number,
)

T = TypeVar("T")


class InvalidConfig(ValueError):
    """Bad stack config: one line per bad key."""


class CpuArchitecture(StrEnum):
    X86_64 = "X86_64"
    ARM64 = "ARM64"
    """Graviton: cheaper per vCPU, but Fargate Spot does not run it."""


DEFAULTS: Final[Mapping[str, str]] = {
    "sourceBucket": "",
    "destBucket": "",
    "destPrefix": env.DEFAULT_DEST_PREFIX,
    "sourcePrefix": "ecsproc/",
    "sourceSuffixes": json.dumps(list(DEFAULT_SOURCE_SUFFIXES)),
    "queueName": "",
    "subnetIds": "[]",
    "securityGroupIds": "[]",
    "assignPublicIp": "true",
    "maxTasks": "10",
    "maxTasksPerRun": "10",
    "messagesPerTask": "1",
    "scheduleExpression": "rate(2 minutes)",
    "enabled": "true",
    "taskCpu": "1024",
    "taskMemory": "2048",
    "cpuArchitecture": CpuArchitecture.X86_64.value,
    "useFargateSpot": "false",
    "repositoryName": "ecs-pipeline",
    "targetSize": env.DEFAULT_TARGET_SIZE,
    "resizeMode": env.DEFAULT_RESIZE_MODE.value,
    "outputFormat": env.DEFAULT_OUTPUT_FORMAT.value,
    "maxReceiveCount": "5",
    "logRetentionDays": "14",
    "containerInsights": "false",
    "scalerReservedConcurrency": "false",
    "alarmEmail": "",
    "kmsKeyArns": "[]",
}
"""Every key of the stack config with its default, as the text Pulumi passes the program."""

# Fargate's task sizes: CPU units -> the memory (MiB) each allows. Linux tasks; 8 and 16 vCPU need
# platform 1.4.0, the default. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
FARGATE_MEMORY_MIB: Final[Mapping[int, Sequence[int]]] = {
    256: (512, 1024, 2048),
    512: range(1024, 4096 + 1, 1024),
    1024: range(2048, 8192 + 1, 1024),
    2048: range(4096, 16384 + 1, 1024),
    4096: range(8192, 30720 + 1, 1024),
    8192: range(16384, 61440 + 1, 4096),
    16384: range(32768, 122880 + 1, 8192),
}

# The retention values CloudWatch Logs accepts (PutRetentionPolicy); 0 keeps logs forever.
LOG_RETENTION_DAYS: Final = (
    *(0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731),
    *(1096, 1827, 2192, 2557, 2922, 3288, 3653),
)

S3_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
SQS_QUEUE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
ECR_REPOSITORY_NAME = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")
KMS_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+")
RATE_EXPRESSION = re.compile(r"rate\((\d+) (minute|hour|day)(s?)\)")
CRON_EXPRESSION = re.compile(r"cron\(\S+( \S+){5}\)")
EMAIL_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
"""One plain address (RFC 5322's dot-atom form), the kind SNS sends its confirmation email to."""
EMAIL_ADDRESS_MAX_LENGTH = 254


@dataclass(frozen=True)
class PipelineConfig:
    """The stack config, validated. ``None`` for a bucket or queue means the stack creates it."""

    source_bucket: str | None
    dest_bucket: str | None
    dest_prefix: str
    source_prefix: str
    source_suffixes: tuple[str, ...]
    """Notification filter suffixes, one queue configuration each; empty: every key."""
    queue_name: str | None
    subnet_ids: tuple[str, ...]
    """Empty: the default VPC's subnets."""
    security_group_ids: tuple[str, ...]
    """Empty: a created egress-only group."""
    assign_public_ip: bool
    max_tasks: int
    max_tasks_per_run: int
    messages_per_task: int
    schedule_expression: str
    enabled: bool
    task_cpu: int
    task_memory: int
    cpu_architecture: CpuArchitecture
    use_fargate_spot: bool
    repository_name: str
    target_size: str
    """Normalised ``WxH``, or several comma-separated (``224x224,299x299``)."""
    resize_mode: ResizeMode
    output_format: OutputFormat
    max_receive_count: int
    log_retention_days: int
    container_insights: bool
    scaler_reserved_concurrency: bool
    """Reserve one concurrent execution for the scaler, so its runs can never overlap. Off by
    default: AWS keeps 10 executions unreserved, so an account whose quota is still the new
    account's 10 refuses any reservation."""
    alarm_email: str | None
    """Subscribed to the alarms' SNS topic; None: the alarms notify no one."""
    kms_key_arns: tuple[str, ...]
    """KMS keys encrypting a bucket or queue you brought: the worker may decrypt and generate
    data keys with exactly these."""

    @property
    def target_sizes(self) -> tuple[tuple[int, int], ...]:
        return parse_target_sizes(self.target_size)

    @property
    def capacity(self) -> Capacity:
        """The capacity provider worker tasks run on (``Param.ECS_CAPACITY``)."""
        return Capacity.FARGATE_SPOT if self.use_fargate_spot else Capacity.FARGATE

    @property
    def upload_read_prefix(self) -> str:
        """Where in the source bucket the worker may read uploads: under ``sourcePrefix`` when
        the stack writes the notification; anywhere when the queue is yours, since your own
        notification (whose filter the stack cannot see) decides what reaches the queue."""
        return self.source_prefix if self.queue_name is None else ""


def parse_config(values: Mapping[str, str]) -> PipelineConfig:
    """Validate the keys that are set (``values``, as text) over the defaults of the rest.

    Raises InvalidConfig listing every bad key.
    """
    reader = _Reader(values)
    loaded = PipelineConfig(
        source_bucket=reader.read("sourceBucket", _optional(_bucket_name)),
        dest_bucket=reader.read("destBucket", _optional(_bucket_name)),
        dest_prefix=reader.read("destPrefix", _dest_prefix),
        source_prefix=reader.read("sourcePrefix", _source_prefix),
        source_suffixes=reader.read("sourceSuffixes", _source_suffixes),
        queue_name=reader.read("queueName", _optional(_queue_name)),
        subnet_ids=reader.read(
            "subnetIds", _id_list(SUBNET_ID, "subnet-", limits.AWSVPC_MAX_SUBNETS)
        ),
        security_group_ids=reader.read(
            "securityGroupIds",
            _id_list(SECURITY_GROUP_ID, "sg-", limits.AWSVPC_MAX_SECURITY_GROUPS),
        ),
        assign_public_ip=reader.read("assignPublicIp", _boolean),
        max_tasks=reader.read("maxTasks", _whole(minimum=1)),
        max_tasks_per_run=reader.read("maxTasksPerRun", _whole(minimum=1)),
        messages_per_task=reader.read("messagesPerTask", _whole(minimum=1)),
        schedule_expression=reader.read("scheduleExpression", _schedule_expression),
        enabled=reader.read("enabled", _boolean),
        task_cpu=reader.read("taskCpu", _task_cpu),
        task_memory=reader.read("taskMemory", _whole(minimum=1)),
        cpu_architecture=reader.read("cpuArchitecture", _cpu_architecture),
        use_fargate_spot=reader.read("useFargateSpot", _boolean),
        repository_name=reader.read("repositoryName", _repository_name),
        target_size=reader.read("targetSize", _target_size),
        resize_mode=reader.read("resizeMode", parse_resize_mode),
        output_format=reader.read("outputFormat", parse_output_format),
        max_receive_count=reader.read(
            "maxReceiveCount", _whole(minimum=1, maximum=limits.SQS_MAX_RECEIVE_COUNT)
        ),
        log_retention_days=reader.read("logRetentionDays", _log_retention),
        container_insights=reader.read("containerInsights", _boolean),
        scaler_reserved_concurrency=reader.read("scalerReservedConcurrency", _boolean),
        alarm_email=reader.read("alarmEmail", _optional(_email_address)),
        kms_key_arns=reader.read("kmsKeyArns", _kms_key_arns),
    )
    reader.check_combinations(loaded)
    if reader.errors:
        raise InvalidConfig("\n".join(reader.errors))
    return loaded


@dataclass
class _Reader:
    values: Mapping[str, str]
    errors: list[str] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)

    def read(self, key: str, parse: Callable[[str], T]) -> T:
        text = self.values.get(key, DEFAULTS[key])
        try:
            return parse(text)
        except ValueError as error:
            self.reject(key, text, str(error))
            # Carry on with the default so every bad key is reported in one run.
            return parse(DEFAULTS[key])

    def reject(self, key: str, value: str, reason: str) -> None:
        self.failed.add(key)
        self.errors.append(f"Invalid stack config {PROJECT_NAME}:{key} = {value!r}: {reason}.")

    def usable(self, *keys: str) -> bool:
        return not self.failed.intersection(keys)

    def check_combinations(self, loaded: PipelineConfig) -> None:
        """Checks across keys, skipped where a key they use was already rejected."""
        if self.usable("taskCpu", "taskMemory"):
            allowed = FARGATE_MEMORY_MIB[loaded.task_cpu]
            if loaded.task_memory not in allowed:
                self.reject(
                    "taskMemory",
                    str(loaded.task_memory),
                    f"Fargate with taskCpu {loaded.task_cpu} allows {_describe(allowed)} MiB",
                )
        if loaded.cpu_architecture is CpuArchitecture.ARM64 and loaded.use_fargate_spot:
            self.reject(
                "useFargateSpot",
                "true",
                "Fargate Spot does not run ARM64 tasks, so with cpuArchitecture ARM64 "
                "it must be false (or use X86_64 for Spot)",
            )
        if (
            self.usable(
                "sourceBucket", "destBucket", "sourcePrefix", "sourceSuffixes", "destPrefix"
            )
            and self.usable("targetSize", "outputFormat")
            and loaded.source_bucket is not None
            and loaded.source_bucket == loaded.dest_bucket
            and outputs_can_retrigger(
                loaded.source_prefix,
                loaded.source_suffixes,
                loaded.dest_prefix,
                loaded.target_sizes,
                loaded.output_format,
            )
        ):
            self.reject(
                "destPrefix",
                loaded.dest_prefix,
                f"with destBucket the same bucket as sourceBucket, outputs under it would match "
                f"the upload filter (prefix {loaded.source_prefix!r}, suffixes "
                f"{_describe_suffixes(loaded.source_suffixes)}) and be processed again; choose a "
                "destPrefix that "
                "does not start with sourcePrefix, or a separate destBucket",
            )


_KEY_MARK = "\0"
"""Stands for the source key in the worker's layout: no S3 key contains it."""


def upload_matches(key: str, source_prefix: str, source_suffixes: Sequence[str]) -> bool:
    """Whether the notification filter sends ``key`` to the queue: it starts with the prefix
    and ends with one of the suffixes (case-sensitive, as S3 compares), or any key when there
    are no suffixes."""
    return key.startswith(source_prefix) and (
        not source_suffixes or any(key.endswith(suffix) for suffix in source_suffixes)
    )


def outputs_can_retrigger(
    source_prefix: str,
    source_suffixes: Sequence[str],
    dest_prefix: str,
    sizes: Sequence[tuple[int, int]],
    output_format: OutputFormat,
) -> bool:
    """Whether some object the worker writes for a matching upload would itself match the filter.

    An upload key k starts with the prefix and ends with some suffix s; the worker writes
    ``<before><k><after>`` for each key of its layout. Since k can be any such key, an output can
    start with the prefix exactly when its fixed start ``<before><prefix>`` does, and can end with
    a suffix t exactly when its fixed end ``<s><after>`` ends with t, or t ends with that fixed
    end (k supplies the rest of t). No suffixes means every key matches: the empty suffix.
    A forced output format writes k's stem and the format's extension E instead of k, so such an
    output's fixed end is E alone, whatever k ended with: a cautious answer (k's stem is not
    quite any string), never a blind one.
    """
    suffixes = source_suffixes or ("",)
    outputs = set(output_keys(dest_prefix, _KEY_MARK, sizes, output_format))
    replaces_extension = output_format is not OutputFormat.SOURCE
    for written in written_keys(dest_prefix, _KEY_MARK, sizes, output_format):
        before, _, after = written.partition(_KEY_MARK)
        if not f"{before}{source_prefix}".startswith(source_prefix):
            continue
        if replaces_extension and written in outputs:
            ends: tuple[str, ...] = (after,)
        else:
            ends = tuple(f"{suffix}{after}" for suffix in suffixes)
        for end in ends:
            if any(end.endswith(other) or other.endswith(end) for other in suffixes):
                return True
    return False


def _describe_suffixes(suffixes: Sequence[str]) -> str:
    return " ".join(suffixes) if suffixes else "none: every key"


def _describe(allowed: Sequence[int]) -> str:
    if isinstance(allowed, range):
        return f"{allowed.start} to {allowed[-1]} in steps of {allowed.step}"
    return ", ".join(map(str, allowed[:-1])) + f" or {allowed[-1]}"


def _optional(parse: Callable[[str], str]) -> Callable[[str], str | None]:
    """Empty means "not set": the stack creates the resource."""

    def parse_optional(text: str) -> str | None:
        return parse(text) if text else None

    return parse_optional


def _bucket_name(text: str) -> str:
    if S3_BUCKET_NAME.fullmatch(text) and ".." not in text:
        return text
    raise ValueError(
        "expected the name of an existing S3 bucket (3-63 lowercase letters, digits, '.' or "
        "'-'), not an ARN or s3:// URL; leave it empty to create one"
    )


def _queue_name(text: str) -> str:
    if text.endswith(".fifo"):
        raise ValueError("S3 cannot send event notifications to a FIFO queue; use a standard queue")
    if SQS_QUEUE_NAME.fullmatch(text):
        return text
    raise ValueError(
        "expected the name (not the URL) of an existing SQS queue in this account and region: "
        "1-80 letters, digits, '-' or '_'; leave it empty to create one"
    )


def _dest_prefix(text: str) -> str:
    if text.startswith("/") or text.endswith("/"):
        raise ValueError(
            "expected no leading or trailing '/' (the worker adds one), e.g. processed, or "
            "empty for the bucket root"
        )
    return text


def _source_prefix(text: str) -> str:
    if text.startswith("/"):
        raise ValueError("expected no leading '/' (S3 keys do not start with one), e.g. ecsproc/")
    return text


def _source_suffixes(text: str) -> tuple[str, ...]:
    expected = (
        'expected a list of key suffixes such as [".jpg", ".JPG"], set with `pulumi config set '
        "--path 'sourceSuffixes[0]' .jpg`, or [] for every key"
    )
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError:
        raise ValueError(expected) from None
    if not isinstance(loaded, list) or not all(
        isinstance(item, str) and item and "*" not in item for item in loaded
    ):
        raise ValueError(f"{expected} (no empty suffix, no '*': S3 filters take no wildcards)")
    # PutBucketNotificationConfiguration refuses two configurations that could match one key
    # ("Configuration is ambiguously defined"): with one prefix, two suffixes where one ends
    # with the other, the same suffix twice included.
    for first, second in itertools.combinations(loaded, 2):
        if first.endswith(second) or second.endswith(first):
            raise ValueError(
                f"{first!r} and {second!r} overlap (one ends with the other), so S3 would "
                "refuse the notification; list each suffix once, none ending with another"
            )
    return tuple(loaded)


def _kms_key_arns(text: str) -> tuple[str, ...]:
    expected = (
        "expected a list of KMS key ARNs like arn:aws:kms:us-east-1:123456789012:key/"
        "1234abcd-12ab-34cd-56ef-1234567890ab (key ARNs, not aliases: IAM grants a key by its "
        "ARN), set with `pulumi config set --path 'kmsKeyArns[0]' arn:...`"
    )
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError:
        raise ValueError(expected) from None
    if isinstance(loaded, list) and all(
        isinstance(item, str) and KMS_KEY_ARN.fullmatch(item) for item in loaded
    ):
        return tuple(loaded)
    raise ValueError(expected)


def _whole(*, minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    def parse_whole(text: str) -> int:
        return parse_whole_number(text.strip(), minimum=minimum, maximum=maximum)

    return parse_whole


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise ValueError("expected true or false")


def _id_list(pattern: re.Pattern[str], prefix: str, limit: int) -> Callable[[str], tuple[str, ...]]:
    expected = (
        f"expected a list of at most {limit} ids like {prefix}0123456789abcdef0, set with "
        f"`pulumi config set --path 'key[0]' {prefix}...`; empty uses the default"
    )

    def parse_ids(text: str) -> tuple[str, ...]:
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError(expected) from None
        if (
            isinstance(loaded, list)
            and len(loaded) <= limit
            and all(isinstance(item, str) and pattern.fullmatch(item) for item in loaded)
        ):
            return tuple(loaded)
        raise ValueError(expected)

    return parse_ids


def _schedule_expression(text: str) -> str:
    rate = RATE_EXPRESSION.fullmatch(text)
    if rate is not None:
        value, plural = int(rate.group(1)), rate.group(3)
        # EventBridge wants the singular unit for 1 and the plural for more.
        if value >= 1 and (value == 1) != bool(plural):
            return text
    elif CRON_EXPRESSION.fullmatch(text):
        return text
    raise ValueError(
        "expected rate(<n> minutes|hours|days) (singular for 1, e.g. rate(1 minute)) or "
        "cron(<6 fields>), e.g. rate(2 minutes)"
    )


SECONDS_PER_UNIT: Final = {"minute": 60, "hour": 3600, "day": 86400}
CRON_FINEST_SECONDS: Final = 60
"""EventBridge cron expressions have minutes as their finest field."""


def schedule_interval_seconds(expression: str) -> int:
    """The shortest time between two scheduled runs of a valid ``scheduleExpression``: a rate's
    own interval; for a cron expression, the finest it can fire (every minute)."""
    rate = RATE_EXPRESSION.fullmatch(expression)
    if rate is None:
        return CRON_FINEST_SECONDS
    return int(rate.group(1)) * SECONDS_PER_UNIT[rate.group(2)]


def _task_cpu(text: str) -> int:
    try:
        value = parse_whole_number(text.strip(), minimum=1)
    except ValueError:
        value = 0
    if value in FARGATE_MEMORY_MIB:
        return value
    raise ValueError(f"expected Fargate CPU units, one of {_describe(list(FARGATE_MEMORY_MIB))}")


def _cpu_architecture(text: str) -> CpuArchitecture:
    try:
        return CpuArchitecture(text.strip().upper())
    except ValueError:
        raise ValueError("expected X86_64 or ARM64") from None


def _email_address(text: str) -> str:
    if len(text) <= EMAIL_ADDRESS_MAX_LENGTH and EMAIL_ADDRESS.fullmatch(text):
        return text
    raise ValueError(
        "expected one email address, e.g. ops@example.com (AWS sends it a link to confirm the "
        "alarm notifications); leave it empty for alarms without notifications"
    )


def _repository_name(text: str) -> str:
    if 2 <= len(text) <= 256 and ECR_REPOSITORY_NAME.fullmatch(text):
        return text
    raise ValueError(
        "expected an ECR repository name: 2-256 lowercase letters and digits, separated by "
        "'.', '_', '-' or '/', e.g. ecs-pipeline"
    )


def _target_size(text: str) -> str:
    return format_sizes(parse_target_sizes(text))


def _log_retention(text: str) -> int:
    try:
        value = parse_whole_number(text.strip(), minimum=0)
    except ValueError:
        value = -1
    if value in LOG_RETENTION_DAYS:
        return value
    raise ValueError(
        f"expected a CloudWatch Logs retention in days, one of {_describe(LOG_RETENTION_DAYS)} "
        "(0 keeps logs forever)"
    )
