"""The pure scaling decision: a table of cases, then its invariants as hypothesis properties."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scaler.policy import Decision, Limit, ScalingInputs, decide


def inputs(
    *,
    enabled: bool = True,
    visible: int = 0,
    in_flight: int = 0,
    running: int = 0,
    max_tasks: int = 10,
    max_tasks_per_run: int = 10,
    messages_per_task: int = 1,
) -> ScalingInputs:
    return ScalingInputs(
        enabled=enabled,
        visible=visible,
        in_flight=in_flight,
        running=running,
        max_tasks=max_tasks,
        max_tasks_per_run=max_tasks_per_run,
        messages_per_task=messages_per_task,
    )


def original_sample(visible: int, running: int, max_tasks: int, max_tasks_per_run: int) -> int:
    """The original AWS sample's decision (its per-run cap is a constant 10, here a parameter);
    it saw at most 100 running tasks, the first ListTasks page."""
    if visible == 0:
        return 0
    return max(0, min(visible, max_tasks - min(running, 100), max_tasks_per_run, max_tasks))


@pytest.mark.parametrize(
    ("case", "given_inputs", "expected"),
    [
        ("disabled", inputs(enabled=False, visible=50), Decision(0, 0, Limit.DISABLED)),
        ("empty queue", inputs(visible=0), Decision(0, 0, Limit.NO_BACKLOG)),
        (
            "only in-flight work: nothing a new task could take",
            inputs(visible=0, in_flight=40, running=0),
            Decision(0, 0, Limit.NO_BACKLOG),
        ),
        ("scale from zero, k=1", inputs(visible=3), Decision(3, 3, Limit.BACKLOG)),
        (
            "k=1 caps at the per-run limit",
            inputs(visible=50, max_tasks=100),
            Decision(10, 50, Limit.MAX_TASKS_PER_RUN),
        ),
        (
            "ten small files and k=300 start one task, not ten",
            inputs(visible=10, messages_per_task=300),
            Decision(1, 1, Limit.BACKLOG),
        ),
        (
            "burst sized by k",
            inputs(visible=10_000, max_tasks=100, max_tasks_per_run=100, messages_per_task=450),
            Decision(23, 23, Limit.BACKLOG),
        ),
        (
            "running tasks already cover visible plus in-flight work",
            inputs(visible=200, in_flight=20, running=3, messages_per_task=100),
            Decision(0, 0, Limit.BACKLOG),
        ),
        (
            "in-flight work uses up the running tasks' share",
            inputs(visible=200, in_flight=150, running=2, messages_per_task=100),
            Decision(2, 2, Limit.BACKLOG),
        ),
        (
            "new tasks only take visible messages",
            inputs(visible=5, in_flight=1_000, running=1, messages_per_task=100),
            Decision(1, 1, Limit.BACKLOG),
        ),
        (
            "headroom to max tasks, starting tasks included",
            inputs(visible=1_000, running=120, max_tasks=300, max_tasks_per_run=300),
            Decision(180, 880, Limit.MAX_TASKS),
        ),
        (
            "at max tasks",
            inputs(visible=1_000, running=10, max_tasks=10),
            Decision(0, 990, Limit.MAX_TASKS),
        ),
        (
            "more running than max (max lowered by an operator)",
            inputs(visible=1_000, running=40, max_tasks=10),
            Decision(0, 960, Limit.MAX_TASKS),
        ),
        (
            "every bound equal: the backlog is named",
            inputs(visible=10, max_tasks=10, max_tasks_per_run=10),
            Decision(10, 10, Limit.BACKLOG),
        ),
    ],
)
def test_decision_table(case: str, given_inputs: ScalingInputs, expected: Decision) -> None:
    assert decide(given_inputs) == expected, case


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("visible", -1),
        ("in_flight", -1),
        ("running", -1),
        ("max_tasks", 0),
        ("max_tasks_per_run", 0),
        ("messages_per_task", 0),
    ],
)
def test_out_of_range_inputs_are_rejected_naming_the_field(field: str, value: int) -> None:
    arguments: dict[str, Any] = {
        "enabled": True,
        "visible": 1,
        "in_flight": 0,
        "running": 0,
        "max_tasks": 1,
        "max_tasks_per_run": 1,
        "messages_per_task": 1,
    }
    with pytest.raises(ValueError, match=field):
        ScalingInputs(**{**arguments, field: value})


counts = st.integers(min_value=0, max_value=50_000)
limits = st.integers(min_value=1, max_value=2_000)
any_inputs = st.builds(
    ScalingInputs,
    enabled=st.booleans(),
    visible=counts,
    in_flight=counts,
    running=st.integers(min_value=0, max_value=3_000),
    max_tasks=limits,
    max_tasks_per_run=limits,
    messages_per_task=st.integers(min_value=1, max_value=5_000),
)


@given(any_inputs)
def test_never_past_max_tasks_nor_max_per_run(given_inputs: ScalingInputs) -> None:
    start = decide(given_inputs).start
    assert start >= 0
    assert start <= given_inputs.max_tasks_per_run
    assert start == 0 or given_inputs.running + start <= given_inputs.max_tasks


@given(any_inputs)
def test_nothing_when_disabled_or_no_backlog(given_inputs: ScalingInputs) -> None:
    if not given_inputs.enabled or given_inputs.visible == 0:
        assert decide(given_inputs).start == 0


@given(any_inputs)
def test_scales_from_zero_when_there_is_backlog(given_inputs: ScalingInputs) -> None:
    if given_inputs.enabled and given_inputs.visible > 0 and given_inputs.running == 0:
        assert decide(given_inputs).start >= 1


@given(any_inputs)
def test_never_more_tasks_than_the_visible_backlog_needs(given_inputs: ScalingInputs) -> None:
    start = decide(given_inputs).start
    assert start <= math.ceil(given_inputs.visible / given_inputs.messages_per_task)


@given(any_inputs)
def test_with_one_message_per_task_never_more_than_the_original_sample(
    given_inputs: ScalingInputs,
) -> None:
    one_per_task = ScalingInputs(**{**vars(given_inputs), "messages_per_task": 1})
    if one_per_task.enabled:
        assert decide(one_per_task).start <= original_sample(
            one_per_task.visible,
            one_per_task.running,
            one_per_task.max_tasks,
            one_per_task.max_tasks_per_run,
        )


@given(any_inputs, st.integers(min_value=1, max_value=100))
def test_more_messages_per_task_never_starts_more(given_inputs: ScalingInputs, more: int) -> None:
    larger_k = ScalingInputs(
        **{**vars(given_inputs), "messages_per_task": given_inputs.messages_per_task + more}
    )
    assert decide(larger_k).start <= decide(given_inputs).start


@given(any_inputs)
def test_unbounded_start_covers_the_work(given_inputs: ScalingInputs) -> None:
    # When no limit binds, running plus started tasks have a share of k for all the work.
    decision = decide(given_inputs)
    if decision.limit is Limit.BACKLOG and decision.start > 0:
        k = given_inputs.messages_per_task
        covered = (given_inputs.running + decision.start) * k
        assert covered >= given_inputs.visible + given_inputs.in_flight or (
            decision.start * k >= given_inputs.visible
        )
