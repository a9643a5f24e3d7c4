"""Reading the worker's environment: defaults, and one clear sentence for each bad value."""

from __future__ import annotations

import pytest

from contract.env import Env
from contract.values import OutputFormat, ResizeMode
from worker.config import ConfigError, load_config

REQUIRED = {Env.QUEUE_URL: "https://sqs.example/123/q", Env.DEST_BUCKET: "dest"}


def test_defaults_follow_the_contract() -> None:
    config = load_config(REQUIRED)
    assert config.queue_url == "https://sqs.example/123/q"
    assert config.dest_bucket == "dest"
    assert config.dest_prefix == "processed"
    assert config.resize.sizes == ((224, 224),)
    assert config.output_format is OutputFormat.SOURCE
    assert config.resize.mode is ResizeMode.STRETCH
    assert config.resize.quality == 90
    assert config.idle_seconds == 20
    assert config.concurrency is None
    assert config.ssm_path is None


def test_every_variable_is_read() -> None:
    config = load_config(
        {
            **REQUIRED,
            Env.DEST_PREFIX: "/out/",
            Env.TARGET_SIZE: "320x240,224x224",
            Env.RESIZE_MODE: "PAD",
            Env.OUTPUT_FORMAT: "WEBP",
            Env.JPEG_QUALITY: "75",
            Env.IDLE_SECONDS: "2.5",
            Env.CONCURRENCY: "3",
            Env.SSM_PATH: "/fargate-pipeline/dev",
        }
    )
    assert config.dest_prefix == "out"
    assert config.resize.sizes == ((320, 240), (224, 224))
    assert config.output_format is OutputFormat.WEBP
    assert config.resize.mode is ResizeMode.PAD
    assert config.resize.quality == 75
    assert config.idle_seconds == 2.5
    assert config.concurrency == 3
    assert config.ssm_path == "/fargate-pipeline/dev/"


def test_empty_prefix_means_the_bucket_root() -> None:
    assert load_config({**REQUIRED, Env.DEST_PREFIX: ""}).dest_prefix == ""


@pytest.mark.parametrize("missing", [Env.QUEUE_URL, Env.DEST_BUCKET])
def test_missing_required_variable_is_named(missing: Env) -> None:
    environ = {name: value for name, value in REQUIRED.items() if name != missing}
    with pytest.raises(ConfigError, match=f"^{missing.value} is not set"):
        load_config(environ)


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        (Env.TARGET_SIZE, "0x224", "is not a size"),
        (Env.TARGET_SIZE, "224", "is not a size"),
        (Env.TARGET_SIZE, "224x224,224x224", "lists 224x224 twice"),
        (Env.TARGET_SIZE, "1x1,2x2,3x3,4x4,5x5,6x6", "at most 5"),
        (Env.RESIZE_MODE, "squash", "stretch, crop, pad"),
        (Env.OUTPUT_FORMAT, "gif", "source, jpeg, png, webp"),
        (Env.JPEG_QUALITY, "0", "from 1 to 100"),
        (Env.JPEG_QUALITY, "high", "from 1 to 100"),
        (Env.IDLE_SECONDS, "-1", "number of seconds"),
        (Env.IDLE_SECONDS, "soon", "number of seconds"),
        (Env.CONCURRENCY, "0", "from 1 to 256"),
    ],
)
def test_malformed_values_name_the_variable_and_what_is_allowed(
    name: Env, value: str, complaint: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config({**REQUIRED, name: value})
    message = str(raised.value)
    assert message.startswith(name.value)
    assert complaint in message
    assert "\n" not in message
