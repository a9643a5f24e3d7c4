"""The stack config loader: defaults, every validation error, and the same-bucket loop check."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config import ConfigError, load_config
from contract.config import (
    DEFAULTS,
    CpuArchitecture,
    PipelineConfig,
    outputs_can_retrigger,
    schedule_interval_seconds,
)
from contract.layout import written_keys
from contract.values import MAX_TARGET_SIZES, OutputFormat, ResizeMode

ROOT = Path(__file__).resolve().parents[3]
NAMESPACE = "fargate-pipeline"


def load(settings: Mapping[str, object]) -> PipelineConfig:
    """GIVEN stack config ``settings`` (as Pulumi passes them) WHEN the loader reads them."""
    pulumi.runtime.set_all_config(
        {f"{NAMESPACE}:{key}": _text(value) for key, value in settings.items()}
    )
    return load_config(pulumi.Config(NAMESPACE))


def _text(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    return loaded


def test_unset_stack_gets_the_contract_defaults() -> None:
    loaded = load({})

    assert loaded == PipelineConfig(
        source_bucket=None,
        dest_bucket=None,
        dest_prefix="processed",
        source_prefix="ecsproc/",
        source_suffixes=(
            *(".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp"),
            *(".JPG", ".JPEG", ".PNG", ".WEBP", ".GIF", ".BMP"),
        ),
        queue_name=None,
        subnet_ids=(),
        security_group_ids=(),
        assign_public_ip=True,
        max_tasks=10,
        max_tasks_per_run=10,
        messages_per_task=1,
        schedule_expression="rate(2 minutes)",
        enabled=True,
        task_cpu=1024,
        task_memory=2048,
        cpu_architecture=CpuArchitecture.X86_64,
        use_fargate_spot=False,
        repository_name="ecs-pipeline",
        target_size="224x224",
        resize_mode=ResizeMode.STRETCH,
        output_format=OutputFormat.SOURCE,
        max_receive_count=5,
        log_retention_days=14,
        container_insights=False,
        scaler_reserved_concurrency=False,
        alarm_email=None,
        kms_key_arns=(),
    )
    assert loaded.capacity == "FARGATE"


def test_code_and_schema_declare_the_same_keys(schema: dict[str, Any]) -> None:
    assert set(DEFAULTS) == set(schema)


def test_every_schema_key_has_type_description_and_default(schema: dict[str, Any]) -> None:
    for key, declared in schema.items():
        assert declared["type"] in ("string", "integer", "boolean", "array"), key
        assert declared["description"].strip(), key
        assert "default" in declared, key


def test_schema_defaults_mean_what_the_code_defaults_mean(schema: dict[str, Any]) -> None:
    # GIVEN every key set explicitly to its Pulumi.yaml default
    explicit = load({key: declared["default"] for key, declared in schema.items()})
    # THEN the stack is configured exactly as when nothing is set
    assert explicit == load({})


def test_example_stack_suggestions_are_each_valid() -> None:
    # GIVEN each commented-out suggestion in Pulumi.dev.yaml, uncommented on its own
    suggestions = re.findall(
        rf"^\s*#\s*{NAMESPACE}:(\w+):\s*(.+)$",
        (ROOT / "Pulumi.dev.yaml").read_text(),
        flags=re.MULTILINE,
    )
    assert len(suggestions) >= 5
    for key, value in suggestions:
        # THEN the loader accepts it
        load({key: yaml.safe_load(value)})


@pytest.mark.parametrize(
    ("settings", "key", "allowed"),
    [
        ({"maxTasks": 0}, "maxTasks", "whole number of at least 1"),
        ({"maxTasks": -3}, "maxTasks", "whole number of at least 1"),
        ({"maxTasks": "ten"}, "maxTasks", "whole number of at least 1"),
        ({"maxTasks": "2.5"}, "maxTasks", "whole number of at least 1"),
        ({"maxTasksPerRun": 0}, "maxTasksPerRun", "whole number of at least 1"),
        ({"messagesPerTask": 0}, "messagesPerTask", "whole number of at least 1"),
        ({"maxReceiveCount": 0}, "maxReceiveCount", "from 1 to 1000"),
        ({"maxReceiveCount": 1001}, "maxReceiveCount", "from 1 to 1000"),
        ({"targetSize": "0x224"}, "targetSize", "expected WxH"),
        ({"targetSize": "224"}, "targetSize", "expected WxH"),
        ({"targetSize": "224x224,"}, "targetSize", "expected WxH"),
        ({"targetSize": "224x224,299x299,224X224"}, "targetSize", "lists 224x224 twice"),
        (
            {"targetSize": ",".join(f"{n}x{n}" for n in range(100, 100 + MAX_TARGET_SIZES + 1))},
            "targetSize",
            f"at most {MAX_TARGET_SIZES} are made from one decode",
        ),
        ({"resizeMode": "squash"}, "resizeMode", "stretch, crop, pad"),
        ({"outputFormat": "jpg"}, "outputFormat", "source, jpeg, png, webp"),
        ({"taskCpu": 1000}, "taskCpu", "256, 512, 1024, 2048, 4096, 8192 or 16384"),
        (
            {"taskCpu": 1024, "taskMemory": 1000},
            "taskMemory",
            "taskCpu 1024 allows 2048 to 8192 in steps of 1024 MiB",
        ),
        (
            {"taskCpu": 256, "taskMemory": 4096},
            "taskMemory",
            "taskCpu 256 allows 512, 1024 or 2048 MiB",
        ),
        (
            {"taskCpu": 8192, "taskMemory": 20000},
            "taskMemory",
            "taskCpu 8192 allows 16384 to 61440 in steps of 4096 MiB",
        ),
        ({"cpuArchitecture": "arm"}, "cpuArchitecture", "X86_64 or ARM64"),
        (
            {"cpuArchitecture": "ARM64", "useFargateSpot": True},
            "useFargateSpot",
            "Fargate Spot does not run ARM64",
        ),
        ({"enabled": "yes"}, "enabled", "true or false"),
        ({"assignPublicIp": "1"}, "assignPublicIp", "true or false"),
        ({"scheduleExpression": "every 2 minutes"}, "scheduleExpression", "rate(<n>"),
        ({"scheduleExpression": "rate(1 minutes)"}, "scheduleExpression", "singular for 1"),
        ({"scheduleExpression": "rate(5 minute)"}, "scheduleExpression", "rate(<n>"),
        ({"scheduleExpression": "rate(0 minutes)"}, "scheduleExpression", "rate(<n>"),
        ({"scheduleExpression": "at(2030-01-01T00:00:00)"}, "scheduleExpression", "cron("),
        ({"sourceBucket": "s3://my-bucket"}, "sourceBucket", "not an ARN or s3:// URL"),
        ({"destBucket": "My_Bucket"}, "destBucket", "lowercase"),
        ({"queueName": "https://sqs.eu-west-1.amazonaws.com/1/q"}, "queueName", "not the URL"),
        ({"queueName": "events.fifo"}, "queueName", "FIFO"),
        ({"subnetIds": "subnet-0123456789abcdef0"}, "subnetIds", "list of at most 16"),
        ({"subnetIds": ["sg-0123456789abcdef0"]}, "subnetIds", "ids like subnet-"),
        (
            {"subnetIds": [f"subnet-{i:017x}" for i in range(17)]},
            "subnetIds",
            "list of at most 16",
        ),
        (
            {"securityGroupIds": [f"sg-{i:017x}" for i in range(6)]},
            "securityGroupIds",
            "list of at most 5",
        ),
        ({"repositoryName": "ECS Pipeline"}, "repositoryName", "ECR repository name"),
        ({"destPrefix": "processed/"}, "destPrefix", "no leading or trailing '/'"),
        ({"destPrefix": "/processed"}, "destPrefix", "no leading or trailing '/'"),
        ({"sourcePrefix": "/ecsproc/"}, "sourcePrefix", "no leading '/'"),
        ({"logRetentionDays": 10}, "logRetentionDays", "CloudWatch Logs retention"),
        ({"containerInsights": "on"}, "containerInsights", "true or false"),
        ({"scalerReservedConcurrency": "1"}, "scalerReservedConcurrency", "true or false"),
        (
            {"kmsKeyArns": ["arn:aws:kms:us-east-1:123456789012:alias/data"]},
            "kmsKeyArns",
            "not aliases",
        ),
        ({"kmsKeyArns": "arn:aws:kms:us-east-1:123456789012:key/x"}, "kmsKeyArns", "a list"),
        ({"sourceSuffixes": ".jpg"}, "sourceSuffixes", "list of key suffixes"),
        ({"sourceSuffixes": [""]}, "sourceSuffixes", "no empty suffix"),
        ({"sourceSuffixes": ["*.jpg"]}, "sourceSuffixes", "no '*'"),
        ({"sourceSuffixes": [".jpg", ".jpg"]}, "sourceSuffixes", "'.jpg' and '.jpg' overlap"),
        ({"sourceSuffixes": [".jpeg", "peg"]}, "sourceSuffixes", "'.jpeg' and 'peg' overlap"),
    ],
)
def test_bad_value_is_one_sentence_naming_the_key_and_what_is_allowed(
    settings: dict[str, object], key: str, allowed: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load(settings)

    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"Invalid stack config {NAMESPACE}:{key} = ")
    assert allowed in message
    assert message.endswith(".")


def test_every_bad_key_is_reported_in_one_run() -> None:
    with pytest.raises(ConfigError) as raised:
        load({"maxTasks": 0, "resizeMode": "squash", "taskMemory": 3})

    lines = str(raised.value).splitlines()
    assert [line.split(" = ")[0].rsplit(":", 1)[1] for line in lines] == [
        "maxTasks",
        "resizeMode",
        "taskMemory",
    ]


def test_config_error_is_a_run_error_so_pulumi_prints_no_stack_trace() -> None:
    assert issubclass(ConfigError, pulumi.RunError)


@pytest.mark.parametrize(
    "settings",
    [
        {"maxTasks": 1000, "maxTasksPerRun": 1000},
        {"maxTasks": 100_000},
        {"taskCpu": 256, "taskMemory": 512},
        {"taskCpu": 16384, "taskMemory": 122880},
        {"taskCpu": 4096, "taskMemory": 30720},
        {"cpuArchitecture": "arm64"},
        {"useFargateSpot": True},
        {"scheduleExpression": "rate(1 minute)"},
        {"scheduleExpression": "rate(12 hours)"},
        {"scheduleExpression": "cron(0/2 * * * ? *)"},
        {"targetSize": "640X480"},
        {"resizeMode": "CROP"},
        {"destPrefix": "training/v1"},
        {"destPrefix": ""},
        {"sourcePrefix": ""},
        {"sourceSuffixes": []},
        {"sourceSuffixes": [".tif", ".TIF", ".tiff", ".TIFF"]},
        {"maxReceiveCount": 1000},
        {"logRetentionDays": 0},
        {"subnetIds": ["subnet-0123456789abcdef0"], "securityGroupIds": ["sg-0123abcd"]},
        {"sourceBucket": "my.raw-images", "destBucket": "my-training-data", "queueName": "q_1"},
    ],
)
def test_valid_edges_are_accepted(settings: dict[str, object]) -> None:
    load(settings)


def test_values_are_normalised() -> None:
    loaded = load({"cpuArchitecture": "arm64", "targetSize": " 640X480 ", "resizeMode": "PAD"})

    assert loaded.cpu_architecture is CpuArchitecture.ARM64
    assert loaded.target_size == "640x480"
    assert loaded.resize_mode is ResizeMode.PAD


def test_several_sizes_and_a_format_are_normalised_in_order() -> None:
    loaded = load({"targetSize": "299X299, 224x224", "outputFormat": "WebP"})

    assert loaded.target_size == "299x299,224x224"
    assert loaded.target_sizes == ((299, 299), (224, 224))
    assert loaded.output_format is OutputFormat.WEBP


def test_spot_capacity_follows_use_fargate_spot() -> None:
    assert load({"useFargateSpot": True}).capacity == "FARGATE_SPOT"


def test_same_bucket_with_a_disjoint_destination_prefix_is_accepted() -> None:
    loaded = load({"sourceBucket": "shared", "destBucket": "shared", "destPrefix": "processed"})

    assert loaded.source_bucket == loaded.dest_bucket == "shared"


@pytest.mark.parametrize(
    ("source_prefix", "dest_prefix"),
    [
        ("", "processed"),
        ("ecsproc/", ""),
        ("ecsproc/", "ecsproc"),
        ("ecsproc/", "ecsproc/out"),
        ("ecs", "ecsproc"),
    ],
)
def test_same_bucket_where_outputs_would_be_processed_again_is_rejected(
    source_prefix: str, dest_prefix: str
) -> None:
    with pytest.raises(ConfigError, match=r"fargate-pipeline:destPrefix = .*processed again"):
        load(
            {
                "sourceBucket": "shared",
                "destBucket": "shared",
                "sourcePrefix": source_prefix,
                "destPrefix": dest_prefix,
            }
        )


@pytest.mark.parametrize(
    ("source_prefix", "source_suffixes", "dest_prefix", "loops"),
    [
        ("ecsproc/", (".jpg",), "processed", False),
        ("ecsproc/", (), "processed", False),
        ("in/", (".jpg",), "logs", False),
        ("", (".jpg",), "processed", True),
        ("", (), "processed", True),
        ("ecsproc/", (".jpg",), "ecsproc", True),
        ("ecsproc/", (".jpg",), "ecsproc/out", True),
        ("processed/", (".jpg",), "processed", True),
        ("a", (), "a", True),
        ("ecs", (".jpg",), "ecsproc", True),
        # the log of a .jpg upload ends in .success: caught only by a suffix that matches it
        ("", (".jpg", ".JPG"), "logs-elsewhere", True),
        ("", (".jpg", "success"), "processed", True),
    ],
)
def test_retrigger_examples(
    source_prefix: str, source_suffixes: tuple[str, ...], dest_prefix: str, loops: bool
) -> None:
    assert outputs_can_retrigger(source_prefix, source_suffixes, dest_prefix, ONE, SOURCE) is loops


ONE = ((224, 224),)
TWO = ((224, 224), (299, 299))
SOURCE = OutputFormat.SOURCE


@pytest.mark.parametrize(
    ("source_suffixes", "dest_prefix", "sizes", "output_format", "loops"),
    [
        # outputs in size folders under the upload prefix: processed again
        ((".jpg",), "ecsproc", TWO, SOURCE, True),
        ((".jpg",), "processed", TWO, SOURCE, False),
        # a forced format changes the extension the suffix filter sees
        ((".jpg",), "ecsproc/out", ONE, OutputFormat.WEBP, False),
        ((".jpg", ".JPG"), "ecsproc/out", ONE, OutputFormat.WEBP, False),
        ((".jpg",), "ecsproc/out", ONE, OutputFormat.JPEG, True),
        ((".png",), "ecsproc/out", TWO, OutputFormat.PNG, True),
        ((".png", ".webp"), "ecsproc/out", ONE, OutputFormat.WEBP, True),
        ((), "ecsproc/out", ONE, OutputFormat.WEBP, True),
        (("x.jpg",), "ecsproc/out", ONE, OutputFormat.JPEG, True),
        (("p",), "ecsproc/out", ONE, OutputFormat.WEBP, True),
    ],
)
def test_retrigger_examples_with_sizes_and_formats(
    source_suffixes: tuple[str, ...],
    dest_prefix: str,
    sizes: tuple[tuple[int, int], ...],
    output_format: OutputFormat,
    loops: bool,
) -> None:
    assert (
        outputs_can_retrigger("ecsproc/", source_suffixes, dest_prefix, sizes, output_format)
        is loops
    )


_PARTS = st.text(alphabet="a/.s", max_size=3)


def _loops_by_trying(
    source_prefix: str,
    source_suffixes: list[str],
    dest_prefix: str,
    sizes: tuple[tuple[int, int], ...],
    output_format: OutputFormat,
) -> bool:
    """Whether some upload key the filter admits, up to a length past the prefix and suffixes,
    has an output or log that matches the filter again."""
    alphabet = "a/.sucefldjpg"
    middles = ["".join(chars) for n in range(4) for chars in itertools.product(alphabet, repeat=n)]
    ends = source_suffixes or [""]
    keys = {f"{source_prefix}{middle}{end}" for middle in middles for end in ends}
    return any(
        output.startswith(source_prefix) and any(output.endswith(end) for end in ends)
        for key in keys
        for output in written_keys(dest_prefix, key, sizes, output_format)
    )


# No deadline: each example enumerates a few thousand keys per suffix, and the cores are shared.
@settings(deadline=None, max_examples=60)
@given(
    source_prefix=_PARTS,
    source_suffixes=st.lists(_PARTS.filter(bool), max_size=2, unique=True),
    dest_prefix=_PARTS,
    sizes=st.sampled_from([ONE, TWO]),
)
def test_retrigger_check_agrees_with_trying_every_short_upload_key(
    source_prefix: str,
    source_suffixes: list[str],
    dest_prefix: str,
    sizes: tuple[tuple[int, int], ...],
) -> None:
    loops = _loops_by_trying(source_prefix, source_suffixes, dest_prefix, sizes, SOURCE)
    assert (
        outputs_can_retrigger(source_prefix, source_suffixes, dest_prefix, sizes, SOURCE) is loops
    )


@settings(deadline=None, max_examples=60)
@given(
    source_prefix=_PARTS,
    source_suffixes=st.lists(st.text(alphabet="a/.jpg", min_size=1, max_size=4), max_size=2),
    dest_prefix=_PARTS,
)
def test_retrigger_check_never_misses_a_loop_with_a_forced_format(
    source_prefix: str, source_suffixes: list[str], dest_prefix: str
) -> None:
    # A forced format rewrites the key's end, so the check may be cautious, never blind.
    if _loops_by_trying(source_prefix, source_suffixes, dest_prefix, ONE, OutputFormat.JPEG):
        assert outputs_can_retrigger(
            source_prefix, source_suffixes, dest_prefix, ONE, OutputFormat.JPEG
        )


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(2 minutes)", 120),
        ("rate(3 hours)", 10_800),
        ("rate(1 day)", 86_400),
        # a cron expression can fire every minute: its finest field
        ("cron(0 12 * * ? *)", 60),
    ],
)
def test_schedule_interval_is_the_shortest_time_between_runs(expression: str, seconds: int) -> None:
    assert schedule_interval_seconds(expression) == seconds
