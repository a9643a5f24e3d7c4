"""The README's config table documents exactly what Pulumi.yaml declares."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TABLE = re.compile(r"<!-- config-table[^>]*-->\n(.*?)<!-- /config-table -->", re.DOTALL)
ROW = re.compile(r"^\| `(\w+)` \| (\w+) \| `([^`]*)` \| (.+) \|$")


def _readme_rows() -> dict[str, tuple[str, str, str]]:
    match = TABLE.search((ROOT / "README.md").read_text())
    assert match, "README.md has no config table between its markers"
    lines = match.group(1).strip().splitlines()[2:]  # after the header and its rule
    rows = {}
    for line in lines:
        parsed = ROW.match(line)
        assert parsed, (
            f"config table row not in the form | `key` | type | `default` | meaning |: {line}"
        )
        key, kind, default, meaning = parsed.groups()
        rows[key] = (kind, default, meaning)
    return rows


def _shown(default: Any) -> str:
    """How the table writes a default: YAML's own spelling of it."""
    if isinstance(default, str):
        return default if default else '""'
    return json.dumps(default)


def test_config_table_lists_every_declared_key_with_its_type_and_default() -> None:
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    rows = _readme_rows()
    assert list(rows) == list(declared), "keys differ or are in another order than Pulumi.yaml"
    for key, schema in declared.items():
        kind, default, meaning = rows[key]
        assert kind == schema["type"], key
        assert default == _shown(schema["default"]), key
        assert meaning.strip(), key


# Every command that configures the stack's providers: pulumi-docker's provider connects to the
# Docker daemon when it is configured, whatever buildOnPreview says (pulumi config and pulumi
# stack output configure no provider).
DOCKER_COMMANDS = ("preview", "up", "refresh", "destroy")


def _deploy_section() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("\n## Deploy on AWS\n")
    end = readme.index("\n## ", start + 1)
    return readme[start:end]


def _sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.!?])\s+", " ".join(text.split()))


def test_the_deploy_section_names_docker_for_every_pulumi_command_that_needs_it() -> None:
    section = _deploy_section()
    commands = "|".join(DOCKER_COMMANDS)
    used = set(re.findall(rf"\bpulumi ({commands})\b", section))
    assert {"up", "destroy"} <= used, "the deploy section no longer shows pulumi up and destroy"
    requirements = [s for s in _sentences(section) if "Docker" in s and "must be running" in s]
    named = {command for s in requirements for command in re.findall(r"`pulumi (\w+)`", s)}
    assert used <= named, f"Docker is not named as required for: {sorted(used - named)}"
    for sentence in _sentences(section):
        if re.search(r"\bneeds? no Docker\b", sentence):
            assert not re.search(rf"`pulumi ({commands})`", sentence), sentence
