"""Run the real ``__main__.py`` under the mocks with a given stack config, and look at the result.

Each run starts from fresh Pulumi runtime state (root stack, settings, config), so runs in one
process never see each other's resources or config.
"""

from __future__ import annotations

import asyncio
import json
import logging
import runpy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from tests.unit.infra.mocks import AwsMocks

ROOT = Path(__file__).resolve().parents[3]
MAIN = ROOT / "__main__.py"
PROJECT = "fargate-pipeline"
STACK = "dev"


def stack_config(overrides: Mapping[str, object] | None = None) -> dict[str, str]:
    """The example stack's config (Pulumi.dev.yaml) plus ``overrides`` (keys without namespace),
    as the strings the Pulumi CLI hands a program: lists as JSON, booleans as true/false."""
    declared = yaml.safe_load((ROOT / f"Pulumi.{STACK}.yaml").read_text())["config"]
    config = {key: _as_config_text(value) for key, value in declared.items()}
    for key, value in (overrides or {}).items():
        config[f"{PROJECT}:{key}"] = _as_config_text(value)
    return config


def _as_config_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


@dataclass(frozen=True)
class Resource:
    typ: str
    name: str
    urn: str
    inputs: dict[str, Any]
    """As declared, with secrets revealed."""
    secret_paths: frozenset[str]
    depends_on: frozenset[tuple[str, str]]
    """Explicit dependencies (``depends_on``), as (type, name)."""
    retained: bool = False
    """``retain_on_delete``: leaving the program (or destroy) keeps it in the cloud."""


@dataclass
class StackRun:
    """What one program run declared."""

    resources: list[Resource]
    outputs: dict[str, Any]
    mocks: AwsMocks
    warnings: list[str] = field(default_factory=list)

    def of_type(self, typ: str) -> list[Resource]:
        return [resource for resource in self.resources if resource.typ == typ]

    def depends_on(self, dependent: Resource, typ: str, name: str | None = None) -> bool:
        """Whether ``dependent`` explicitly waits for the resource of ``typ`` (and ``name``)."""
        return any(t == typ and (name is None or n == name) for t, n in dependent.depends_on)

    def one(self, typ: str, name: str | None = None) -> Resource:
        found = [r for r in self.of_type(typ) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {typ} {name or ''}, found {[r.name for r in found]}"
        return found[0]

    def policies(self) -> Iterator[tuple[Resource, dict[str, Any]]]:
        """Every policy document the program wrote, parsed, with the resource holding it."""
        for resource in self.resources:
            for key in ("policy", "assumeRolePolicy"):
                if key in resource.inputs and resource.typ != LIFECYCLE_POLICY:
                    yield resource, json.loads(resource.inputs[key])


LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_program(
    config: Mapping[str, str],
    *,
    mocks: AwsMocks | None = None,
    program: Callable[[], object] | None = None,
    preview: bool = False,
) -> StackRun:
    """Run ``program`` (default: the real ``__main__.py``) under fresh mocks and runtime state."""
    mocks = mocks if mocks is not None else AwsMocks()
    warnings = _Warnings()
    logger = logging.getLogger(f"pulumi-mocks-{id(warnings)}")
    logger.propagate = False
    logger.addHandler(warnings)
    settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=STACK, preview=preview, logger=logger)
    # set_mocks leaves the set of pending outputs as the last run left it.
    settings.SETTINGS.outputs = set()
    dependencies: dict[tuple[str, str], frozenset[tuple[str, str]]] = {}
    # The mock monitor runs no engine-side transforms, but the SDK runs these itself.
    retained: set[tuple[str, str]] = set()
    pulumi.runtime.register_stack_transformation(_record_dependencies(dependencies, retained))
    pulumi.runtime.set_all_config(dict(config))
    run = program if program is not None else _run_main
    try:
        _sync_await(run_pulumi_func(run))  # type: ignore[arg-type]
    except BaseException as error:
        _discard_pending_outputs()
        _quiet_about(error)
        raise
    root = settings.get_root_resource()
    assert root is not None
    outputs = {
        name: _sync_await(pulumi.Output.from_input(value).future())
        for name, value in root.outputs.items()  # type: ignore[attr-defined]
    }
    monitor = settings.get_monitor()
    urns = {_type_and_name(urn): urn for urn in monitor.resources}  # type: ignore[union-attr]
    resources = [
        Resource(
            d.typ,
            d.name,
            urns.get((d.typ, d.name), ""),
            d.inputs,
            d.secret_paths,
            dependencies.get((d.typ, d.name), frozenset()),
            (d.typ, d.name) in retained,
        )
        for d in mocks.resources
    ]
    return StackRun(resources, outputs, mocks, warnings.messages)


def _record_dependencies(
    into: dict[tuple[str, str], frozenset[tuple[str, str]]],
    retained: set[tuple[str, str]],
) -> Callable[[pulumi.ResourceTransformationArgs], None]:
    def record(args: pulumi.ResourceTransformationArgs) -> None:
        if args.opts is not None and args.opts.retain_on_delete:
            retained.add((args.type_, args.name))
        depends_on = args.opts.depends_on if args.opts is not None else None
        resources = depends_on if isinstance(depends_on, list) else []
        into[(args.type_, args.name)] = frozenset(
            (r.pulumi_resource_type, r.pulumi_resource_name) for r in resources
        )

    return record


def _discard_pending_outputs() -> None:
    """After a failed run: forget the outputs it left waiting, so the next run does not wait on
    them. Its tasks are not cancelled: cancelling them left the SDK's state such that the next
    failed run in the process never finished (test_mocks.py run alone hung)."""
    settings.SETTINGS.outputs = set()


_RAISED: set[tuple[type[BaseException], str]] = set()
"""What failed runs raised to their tests (kind and message: the errors themselves would keep
each failed run's objects alive)."""


def _quiet_about(error: BaseException) -> None:
    """The SDK also sets a failed run's error on the futures of every output it could not
    resolve, which nothing awaits; collected, each would be reported as an exception "never
    retrieved" (hundreds of tracebacks on stderr, formatted at a cost) though the test got it."""
    _RAISED.add((type(error), str(error)))
    _sync_await(_set_exception_handler())


async def _set_exception_handler() -> None:
    asyncio.get_running_loop().set_exception_handler(_report_unless_raised)


def _report_unless_raised(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    error = context.get("exception")
    if error is not None and (type(error), str(error)) in _RAISED:
        return
    loop.default_exception_handler(context)


def _run_main() -> None:
    runpy.run_path(str(MAIN), run_name="__main__")


def _type_and_name(urn: str) -> tuple[str, str]:
    qualified_type, name = urn.split("::")[2:4]
    return qualified_type.split("$")[-1], name
