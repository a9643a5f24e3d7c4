"""Scaling simulation comparing the original sample, the ECS blueprint, a KEDA-like scaler and ours.

Run: ``venv/bin/python -m bench.scaling_compare [--out DIR] [--phases N] [--seed N]``.

Every policy runs the same scenarios on the same simulated AWS (``bench.scaling_sim``), each
scenario several times with the scaler's schedule at evenly spread offsets from the first upload
(``--phases``), since when the scaler first looks matters as much as what it decides. Prints, per
scenario and policy: time to the first processed file, time to drain, p50/p95 latency from upload
to output, billed task-seconds, peak and started tasks, and drain and bill as ratios to the
original sample measured in the same run; then PASS/FAIL per goal, a messagesPerTask sweep and the
sensitivity to how fast a burst is uploaded. Writes a PNG of queue depth and tasks over time.
Exits 1 if a goal fails.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.scaling_policies import ecs_blueprint, keda_scaled_job, original_sample, ours
from bench.scaling_sim import Environment, Policy, TracePoint, simulate

DEFAULT_OUT = Path(__file__).parent / "results"

RECOMMENDED_WORK_PER_TASK_S = 80.0
"""Seconds of work to give each task (the README's rule for messagesPerTask): Fargate bills a
minute anyway, and each task also pays ~50 s of billed start-up and idle drain; the sweep below
shows the trade between draining sooner (less work per task) and billing less (more)."""
RECOMMENDED_SCHEDULE_S = 60.0
"""rate(1 minute), EventBridge's finest rate: halves the wait for the scaler's next look."""
GOAL_SCHEDULE_S = 120.0
"""rate(2 minutes): the original sample's schedule, and the burst goal's."""


def recommended_messages_per_task(seconds_per_file: float, files_at_once: int = 1) -> int:
    """messagesPerTask giving each task RECOMMENDED_WORK_PER_TASK_S of work."""
    return max(1, round(RECOMMENDED_WORK_PER_TASK_S / seconds_per_file * files_at_once))


def burst(count: int, within_s: float) -> Callable[[random.Random], list[float]]:
    return lambda rng: sorted(rng.uniform(0, within_s) for _ in range(count))


def batches(
    size: int, every_s: float, for_s: float, within_s: float
) -> Callable[[random.Random], list[float]]:
    starts = [n * every_s for n in range(round(for_s / every_s))]
    return lambda rng: sorted(
        start + rng.uniform(0, within_s) for start in starts for _ in range(size)
    )


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    arrivals: Callable[[random.Random], list[float]]
    environment: Environment = field(default_factory=Environment)


BURST_FILES = 10_000
BURST_UPLOAD_S = 10
BURST = Scenario(
    "burst",
    f"burst: {BURST_FILES:,} files uploaded within {BURST_UPLOAD_S} s",
    burst(BURST_FILES, BURST_UPLOAD_S),
)
TRICKLE = Scenario(
    "trickle", "trickle: 20 files every 2 minutes for 30 minutes", batches(20, 120, 1800, 5)
)
BURSTS = Scenario(
    "bursts", "bursts: 1,000 files every 5 minutes for 30 minutes", batches(1000, 300, 1800, 5)
)
SCENARIOS = (BURST, TRICKLE, BURSTS)


@dataclass(frozen=True)
class Contender:
    name: str
    policy: Callable[[Environment], Policy]
    """The policy, given the scenario (ours sizes messagesPerTask from the time per file)."""
    schedule_s: float = GOAL_SCHEDULE_S


def ours_with(messages_per_task: int | None) -> Callable[[Environment], Policy]:
    """Ours with ``messages_per_task`` (None: the recommended value for the scenario's files) and
    the per-run limit at the scenario's max tasks."""

    def policy(environment: Environment) -> Policy:
        k = messages_per_task or recommended_messages_per_task(environment.file_s)
        return ours(k, max_tasks_per_run=environment.max_tasks)

    return policy


ORIGINAL = Contender("original sample", lambda _: original_sample)
OURS_AT_GOAL_SCHEDULE = Contender("ours, recommended k, 2 min", ours_with(None))
OURS_RECOMMENDED = Contender("ours, recommended", ours_with(None), RECOMMENDED_SCHEDULE_S)
CONTENDERS = (
    ORIGINAL,
    Contender("ECS blueprint", lambda _: ecs_blueprint),
    Contender("KEDA ScaledJob-like", lambda _: keda_scaled_job),
    Contender("ours, default (k=1)", lambda _: ours(1, max_tasks_per_run=10)),
    OURS_AT_GOAL_SCHEDULE,
    OURS_RECOMMENDED,
)


@dataclass(frozen=True)
class Metrics:
    first_s: float
    drain_s: float
    p50_s: float
    p95_s: float
    billed_task_s: float
    peak_tasks: int
    tasks_started: float
    trace: list[TracePoint]
    """The middle phase's trace, for the plot."""


def evaluate(scenario: Scenario, contender: Contender, *, phases: int, seed: int) -> Metrics:
    """Means over the phases (latency percentiles over every file of every phase)."""
    environment = dataclasses.replace(scenario.environment, schedule_s=contender.schedule_s)
    decide = contender.policy(environment)
    first, drain, billed, started, latencies = [], [], [], [], []
    peak = 0
    trace: list[TracePoint] = []
    for phase in range(phases):
        arrivals = scenario.arrivals(random.Random(seed + phase))
        run = simulate(
            arrivals,
            environment,
            decide,
            phase_s=(phase + 0.5) * environment.schedule_s / phases,
            seed=seed * 1000 + phase,
        )
        if not run.drained:
            raise RuntimeError(f"{contender.name} did not drain {scenario.key} within the horizon")
        done = np.array(run.completions)
        first.append(done.min() - arrivals[0])
        drain.append(done.max() - arrivals[0])
        latencies.append(done - np.array(arrivals))
        billed.append(run.billed_task_s)
        started.append(run.tasks_started)
        peak = max(peak, run.peak_tasks)
        if phase == phases // 2:
            trace = run.trace
    pooled = np.concatenate(latencies)
    return Metrics(
        first_s=float(np.mean(first)),
        drain_s=float(np.mean(drain)),
        p50_s=float(np.percentile(pooled, 50)),
        p95_s=float(np.percentile(pooled, 95)),
        billed_task_s=float(np.mean(billed)),
        peak_tasks=peak,
        tasks_started=float(np.mean(started)),
        trace=trace,
    )


Results = dict[str, dict[str, Metrics]]


def schedule_label(seconds: float) -> str:
    minutes = seconds / 60
    return f"rate({minutes:g} minute{'s' if minutes != 1 else ''})"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Columns padded to fit; the first left-aligned, the figures right-aligned."""
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        first, *rest = zip(cells, widths, strict=True)
        return "  ".join([first[0].ljust(first[1]), *(cell.rjust(w) for cell, w in rest)])

    print(line(headers))
    print("-" * len(line(headers)))
    for row in rows:
        print(line(row))


def print_comparison(scenario: Scenario, metrics: dict[str, Metrics]) -> None:
    base = metrics[ORIGINAL.name]
    print(f"\n## {scenario.title}")
    rows = []
    for contender in CONTENDERS:
        m = metrics[contender.name]
        rows.append(
            [
                contender.name,
                schedule_label(contender.schedule_s),
                f"{m.first_s:.0f}",
                f"{m.drain_s:.0f}",
                f"{m.p50_s:.0f}",
                f"{m.p95_s:.0f}",
                f"{m.billed_task_s:,.0f}",
                f"{m.peak_tasks}",
                f"{m.tasks_started:.1f}",
                f"x{m.drain_s / base.drain_s:.2f}",
                f"x{m.billed_task_s / base.billed_task_s:.2f}",
                f"x{m.p95_s / base.p95_s:.2f}",
            ]
        )
    print_table(
        [
            "policy",
            "schedule",
            "first s",
            "drain s",
            "p50 s",
            "p95 s",
            "task-s billed",
            "peak",
            "started",
            "drain",
            "billed",
            "p95",
        ],
        rows,
    )


@dataclass(frozen=True)
class Goal:
    text: str
    passed: bool
    measured: str


def goals(results: Results) -> list[Goal]:
    """The issue's goals for our recommended settings, against the original sample."""
    checks = []
    for contender in (OURS_AT_GOAL_SCHEDULE, OURS_RECOMMENDED):
        ours_, base = results[BURST.key][contender.name], results[BURST.key][ORIGINAL.name]
        drain, billed = ours_.drain_s / base.drain_s, ours_.billed_task_s / base.billed_task_s
        checks.append(
            Goal(
                f"burst, {contender.name} ({schedule_label(contender.schedule_s)}): drains "
                ">= 25% sooner with <= 10% more billed task-seconds",
                drain <= 0.75 and billed <= 1.10,
                f"drain x{drain:.2f}, billed x{billed:.2f}",
            )
        )
    ours_, base = results[TRICKLE.key][OURS_RECOMMENDED.name], results[TRICKLE.key][ORIGINAL.name]
    billed, p95 = ours_.billed_task_s / base.billed_task_s, ours_.p95_s / base.p95_s
    checks.append(
        Goal(
            f"trickle, {OURS_RECOMMENDED.name} ({schedule_label(OURS_RECOMMENDED.schedule_s)}): "
            "bills <= 1/5 of the original, p95 latency <= original + 10%",
            billed <= 0.2 and p95 <= 1.10,
            f"billed x{billed:.2f}, p95 x{p95:.2f}",
        )
    )
    return checks


def print_sweep(results: Results, phases: int, seed: int) -> None:
    """How messagesPerTask trades draining sooner against billing less (per-run limit = max)."""
    print("\n## messagesPerTask sweep (0.2 s per file; ratios to the original sample)")
    base_burst = results[BURST.key][ORIGINAL.name]
    base_trickle = results[TRICKLE.key][ORIGINAL.name]
    rows = []
    file_s = BURST.environment.file_s
    for k in sorted({1, 100, 200, 300, recommended_messages_per_task(file_s), 600, 900}):
        cells = [f"{k}", f"{k * file_s:g}"]
        for scenario, schedule_s, base in (
            (BURST, GOAL_SCHEDULE_S, base_burst),
            (BURST, RECOMMENDED_SCHEDULE_S, base_burst),
            (TRICKLE, RECOMMENDED_SCHEDULE_S, base_trickle),
        ):
            contender = Contender(f"k={k}", ours_with(k), schedule_s)
            m = evaluate(scenario, contender, phases=phases, seed=seed)
            billed = f"x{m.billed_task_s / base.billed_task_s:.2f}"
            if scenario is BURST:
                cells.append(f"x{m.drain_s / base.drain_s:.2f} / {billed}")
            else:
                cells.append(f"{billed} / x{m.p95_s / base.p95_s:.2f}")
        rows.append(cells)
    print_table(
        [
            "k",
            "work/task s",
            "burst 2 min: drain / billed",
            "burst 1 min: drain / billed",
            "trickle 1 min: billed / p95",
        ],
        rows,
    )


def print_upload_sensitivity(results: Results, phases: int, seed: int) -> None:
    """The burst goal when the 10,000 uploads take longer to arrive."""
    print("\n## burst uploaded more slowly (ratios to the original sample at rate(2 minutes))")
    contenders = (ORIGINAL, OURS_AT_GOAL_SCHEDULE, OURS_RECOMMENDED)
    rows = []
    for within_s in (BURST_UPLOAD_S, 30, 60):
        if within_s == BURST_UPLOAD_S:
            measured = results[BURST.key]
        else:
            scenario = dataclasses.replace(BURST, arrivals=burst(BURST_FILES, within_s))
            measured = {
                contender.name: evaluate(scenario, contender, phases=phases, seed=seed)
                for contender in contenders
            }
        base = measured[ORIGINAL.name]
        cells = [f"{within_s} s"]
        for contender in contenders[1:]:
            m = measured[contender.name]
            cells.append(
                f"x{m.drain_s / base.drain_s:.2f} / x{m.billed_task_s / base.billed_task_s:.2f}"
            )
        rows.append(cells)
    print_table(
        ["uploaded within", f"{OURS_AT_GOAL_SCHEDULE.name}: drain / billed", "recommended"], rows
    )


def plot(results: Results, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(SCENARIOS), 2, figsize=(14, 4 * len(SCENARIOS)), squeeze=False)
    # Policies that decide alike draw the same line: styles keep each one visible.
    styles = ["-", "--", ":", "-.", "-", "-"]
    widths = [3.0, 2.0, 2.0, 1.5, 1.5, 1.5]
    for row, scenario in enumerate(SCENARIOS):
        depth_axis, tasks_axis = axes[row]
        for contender, style, width in zip(CONTENDERS, styles, widths, strict=True):
            trace = results[scenario.key][contender.name].trace
            minutes = [point.time_s / 60 for point in trace]
            label = f"{contender.name} ({schedule_label(contender.schedule_s)})"
            line = {"label": label, "linestyle": style, "linewidth": width}
            depth_axis.plot(minutes, [p.visible + p.in_flight for p in trace], **line)
            tasks_axis.step(minutes, [p.tasks for p in trace], where="post", **line)
        depth_axis.set_title(f"{scenario.title}: queue depth (one schedule offset)")
        depth_axis.set_ylabel("messages (visible + in flight)")
        tasks_axis.set_title(f"{scenario.title}: tasks")
        tasks_axis.set_ylabel("tasks starting or running")
        for axis in (depth_axis, tasks_axis):
            axis.set_xlabel("minutes since the first upload")
            axis.grid(alpha=0.3)
    axes[0][1].legend(fontsize=8)
    figure.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    path = out / "scaling_simulation.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the PNG goes")
    parser.add_argument("--phases", type=int, default=8, help="schedule offsets per scenario")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)

    environment = BURST.environment
    print(
        f"Simulated AWS: Fargate start {environment.start_latency_s:.0f} "
        f"± {environment.start_jitter_s:.0f} s (last {environment.billed_start_s:.0f} s billed), "
        f"{environment.file_s} s per file, idle exit after {environment.idle_s:.0f} s, "
        f"{environment.min_billed_s:.0f} s minimum billing, max {environment.max_tasks} tasks; "
        f"means over {args.phases} schedule offsets. Recommended: messagesPerTask "
        f"{recommended_messages_per_task(environment.file_s)} "
        f"({RECOMMENDED_WORK_PER_TASK_S:.0f} s of work), maxTasksPerRun = maxTasks, "
        f"{schedule_label(RECOMMENDED_SCHEDULE_S)}. The ECS blueprint is simulated as intended "
        "(its one RunTask call for more than 10 tasks is rejected by ECS)."
    )
    results: Results = {
        scenario.key: {
            contender.name: evaluate(scenario, contender, phases=args.phases, seed=args.seed)
            for contender in CONTENDERS
        }
        for scenario in SCENARIOS
    }
    for scenario in SCENARIOS:
        print_comparison(scenario, results[scenario.key])

    print("\n## goals")
    checks = goals(results)
    for goal in checks:
        print(f"{'PASS' if goal.passed else 'FAIL'}  {goal.text}: {goal.measured}")

    print_sweep(results, args.phases, args.seed)
    print_upload_sensitivity(results, args.phases, args.seed)
    print(f"\nplot: {plot(results, args.out)}")
    return 0 if all(goal.passed for goal in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
