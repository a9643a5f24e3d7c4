"""The scaling simulation behind bench.scaling_compare: hand-checked timelines, conservation,
the baseline policies as the samples wrote them, and the goals our recommended settings meet."""

from __future__ import annotations

import dataclasses
import statistics
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.scaling_compare import (
    BURST,
    CONTENDERS,
    ORIGINAL,
    OURS_AT_GOAL_SCHEDULE,
    OURS_RECOMMENDED,
    SCENARIOS,
    TRICKLE,
    Metrics,
    evaluate,
    goals,
    plot,
    recommended_messages_per_task,
)
from bench.scaling_policies import ecs_blueprint, keda_scaled_job, original_sample, ours
from bench.scaling_sim import Environment, Observation, TracePoint, file_times, simulate

EXACT = Environment(start_jitter_s=0.0, file_cv=1e-9, schedule_s=120.0)


def test_one_file_one_task_timeline_and_bill() -> None:
    # GIVEN one upload at t=0 and a scaler that first looks 10 s later
    run = simulate([0.0], EXACT, ours(1, 10), phase_s=10.0, seed=1)
    # THEN the task is ready at 10 + 60 s, the file done 0.2 s later, the task gone 20 s after
    assert run.completions == [pytest.approx(70.2)]
    assert run.tasks_started == 1
    # Billed from the image pull (30 s before ready) to exit: 50.2 s, so the 60 s minimum.
    assert run.billed_task_s == pytest.approx(60.0)
    last = run.trace[-1]
    assert last.time_s == pytest.approx(90.2)
    assert (last.visible, last.in_flight, last.tasks) == (0, 0, 0)


def test_a_long_running_task_is_billed_per_second_from_its_image_pull() -> None:
    arrivals = [0.0] * 1000  # 200 s of work for one task
    run = simulate(arrivals, EXACT, ours(1000, 10), phase_s=0.0, seed=1)
    assert run.tasks_started == 1
    # Image pull at 30 s, ready at 60 s, 200 s of work, 20 s idle: exit at 280 s.
    assert run.billed_task_s == pytest.approx(250.0, abs=1e-3)
    assert max(run.completions) == pytest.approx(260.0, abs=1e-3)


def test_a_waiting_task_takes_a_new_upload_at_once() -> None:
    # The second file arrives while the task idles (before its 20 s are up).
    run = simulate([0.0, 75.0], EXACT, ours(1, 10), phase_s=10.0, seed=1)
    assert run.tasks_started == 1
    assert run.completions[1] == pytest.approx(75.2)


@settings(max_examples=30, deadline=None)
@given(
    uploads=st.lists(st.floats(min_value=0, max_value=900), min_size=1, max_size=60),
    phase=st.floats(min_value=0, max_value=119),
    k=st.integers(min_value=1, max_value=50),
    per_run=st.integers(min_value=1, max_value=20),
    max_tasks=st.integers(min_value=1, max_value=20),
)
def test_every_file_is_processed_once_after_its_upload_and_billing_is_sound(
    uploads: list[float], phase: float, k: int, per_run: int, max_tasks: int
) -> None:
    arrivals = sorted(uploads)
    environment = dataclasses.replace(Environment(), max_tasks=max_tasks)
    run = simulate(arrivals, environment, ours(k, per_run), phase_s=phase, seed=3)
    assert run.drained
    assert all(done > upload for done, upload in zip(run.completions, arrivals, strict=True))
    assert run.billed_task_s >= environment.min_billed_s * run.tasks_started
    assert 1 <= run.peak_tasks <= max_tasks
    assert all(point.tasks <= max_tasks for point in run.trace)


def test_runs_are_deterministic_per_seed() -> None:
    arrivals = [float(n) for n in range(200)]
    first = simulate(arrivals, Environment(), original_sample, phase_s=30, seed=9)
    again = simulate(arrivals, Environment(), original_sample, phase_s=30, seed=9)
    other = simulate(arrivals, Environment(), original_sample, phase_s=30, seed=10)
    assert first.completions == again.completions
    assert first.billed_task_s == again.billed_task_s
    assert first.completions != other.completions


def test_file_times_have_the_configured_mean_and_spread() -> None:
    # Drawn from the seed alone, before any policy acts: every policy gets the same files.
    times = file_times(20_000, Environment(file_s=0.2, file_cv=0.25), seed=5)
    assert times == file_times(20_000, Environment(file_s=0.2, file_cv=0.25), seed=5)
    assert statistics.fmean(times) == pytest.approx(0.2, rel=0.02)
    assert statistics.stdev(times) / statistics.fmean(times) == pytest.approx(0.25, rel=0.05)


@pytest.mark.parametrize(
    ("seen", "original", "blueprint", "keda"),
    [
        (Observation(visible=0, in_flight=9, running=0, max_tasks=100), 0, 0, 2),
        (Observation(visible=3, in_flight=0, running=0, max_tasks=100), 3, 1, 1),
        (Observation(visible=50, in_flight=0, running=0, max_tasks=100), 10, 5, 10),
        (Observation(visible=10_000, in_flight=0, running=0, max_tasks=100), 10, 100, 100),
        # Both samples read one ListTasks page: 150 running look like 100.
        (Observation(visible=5_000, in_flight=150, running=150, max_tasks=300), 10, 100, 150),
        (Observation(visible=5_000, in_flight=0, running=300, max_tasks=300), 10, 100, 0),
    ],
)
def test_baseline_policies_decide_as_their_code_does(
    seen: Observation, original: int, blueprint: int, keda: int
) -> None:
    assert original_sample(seen) == original
    assert ecs_blueprint(seen) == blueprint
    assert keda_scaled_job(seen) == keda


def test_recommended_messages_per_task_gives_each_task_80_seconds_of_work() -> None:
    assert recommended_messages_per_task(0.2) == 400
    assert recommended_messages_per_task(2.0, files_at_once=4) == 160
    assert recommended_messages_per_task(300.0) == 1


def test_our_recommended_settings_meet_the_goals() -> None:
    # The benchmark's claim, measured the way it measures it (deterministic, seeded).
    needed = {
        BURST.key: (ORIGINAL, OURS_AT_GOAL_SCHEDULE, OURS_RECOMMENDED),
        TRICKLE.key: (ORIGINAL, OURS_RECOMMENDED),
    }
    scenarios = {scenario.key: scenario for scenario in SCENARIOS}
    results = {
        key: {c.name: evaluate(scenarios[key], c, phases=8, seed=2024) for c in contenders}
        for key, contenders in needed.items()
    }
    checks = goals(results)
    assert len(checks) == 3
    assert [check.measured for check in checks if not check.passed] == []


def test_plot_writes_a_png(tmp_path: Path) -> None:
    trace = [TracePoint(0.0, 0, 0, 0), TracePoint(60.0, 10, 2, 3), TracePoint(120.0, 0, 0, 0)]
    metrics = Metrics(1.0, 2.0, 1.0, 2.0, 60.0, 3, 3.0, trace)
    results = {s.key: {c.name: metrics for c in CONTENDERS} for s in SCENARIOS}
    path = plot(results, tmp_path / "plots")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
