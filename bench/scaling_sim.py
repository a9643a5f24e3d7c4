"""Discrete-event simulation of the whole scaling loop: uploads, queue, scheduled scaler, Fargate.

What is modelled, and why it matters to a scaling policy:

- **Uploads**: each file puts one message on the queue at its upload time.
- **The scaler** runs every ``schedule_s`` (the first run ``phase_s`` after the first upload),
  sees the queue as SQS reports it (visible and in-flight messages) and the tasks as ListTasks
  does (starting ones included), and starts what its policy decides.
- **Fargate start**: a task starts taking messages ``start_latency_s`` (± ``start_jitter_s``)
  after RunTask. Billing starts when the image pull starts, modelled as the last
  ``billed_start_s`` of that latency.
- **Workers**: a task (1 vCPU) processes one file at a time, each taking ``file_s`` on average
  (lognormal, ``file_cv``), and exits once the queue gave it nothing for ``idle_s``. A waiting
  task receives a new message at once (SQS long polling).
- **Billing**: per task, per second, with a ``min_billed_s`` minimum (Fargate's one minute).

Deterministic: every random draw comes from a seeded generator, and a policy does not change
the draws (file *i* always takes the same time, the *n*-th task started always has the same
start latency), so policies are compared on the same luck.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np


@dataclass(frozen=True)
class Environment:
    """The pipeline's settings and AWS's behaviour, as the simulation sees them."""

    schedule_s: float = 120.0
    """The scaler's schedule: rate(2 minutes)."""
    max_tasks: int = 100
    start_latency_s: float = 60.0
    start_jitter_s: float = 15.0
    billed_start_s: float = 30.0
    file_s: float = 0.2
    file_cv: float = 0.25
    idle_s: float = 20.0
    """The worker's PIPELINE_IDLE_SECONDS default."""
    min_billed_s: float = 60.0
    horizon_s: float = 6 * 3600.0
    """A run that has not drained by then is cut off (and reported as not drained)."""
    sample_s: float = 5.0
    """Spacing of the queue-depth and task-count trace used for plots."""


@dataclass(frozen=True)
class Observation:
    """What the scaler sees when it runs."""

    visible: int
    in_flight: int
    running: int
    """Tasks started and not yet exited, starting ones included."""
    max_tasks: int


Policy = Callable[[Observation], int]
"""Tasks to start, given what the scaler sees."""


@dataclass(frozen=True)
class TracePoint:
    time_s: float
    visible: int
    in_flight: int
    tasks: int


@dataclass
class Run:
    """One simulated run: every file's upload and completion time, billing, and a trace."""

    arrivals: Sequence[float]
    completions: list[float]
    """Completion time per file, in upload order (NaN if it never completed)."""
    billed_task_s: float = 0.0
    tasks_started: int = 0
    peak_tasks: int = 0
    trace: list[TracePoint] = field(default_factory=list)

    @property
    def drained(self) -> bool:
        return not any(math.isnan(done) for done in self.completions)


class _Order(IntEnum):
    """Order of events at the same instant: a file completes before the scaler looks."""

    DONE = 0
    READY = 1
    ARRIVAL = 2
    IDLE = 3
    TICK = 4
    SAMPLE = 5


@dataclass
class _Task:
    billing_start_s: float
    busy: bool = False
    idle_token: int = 0
    alive: bool = True


@dataclass(frozen=True)
class _Done:
    task: _Task
    message: int


@dataclass(frozen=True)
class _Ready:
    task: _Task


@dataclass(frozen=True)
class _Idle:
    task: _Task
    token: int
    """The task's idle_token when it went idle: stale if it has worked since."""


class _Tick:
    pass


class _Sample:
    pass


_Event = _Done | _Ready | _Idle | _Tick | _Sample
_ORDER: dict[type[_Event], _Order] = {
    _Done: _Order.DONE,
    _Ready: _Order.READY,
    _Idle: _Order.IDLE,
    _Tick: _Order.TICK,
    _Sample: _Order.SAMPLE,
}


def file_times(count: int, environment: Environment, seed: int) -> list[float]:
    """Lognormal processing times with mean ``file_s`` and coefficient of variation ``file_cv``."""
    sigma = math.sqrt(math.log(1 + environment.file_cv**2))
    mu = math.log(environment.file_s) - sigma**2 / 2
    times: list[float] = np.random.default_rng(seed).lognormal(mu, sigma, count).tolist()
    return times


class _Loop:
    """The state of one simulated run and what each event does to it."""

    def __init__(
        self, arrivals: Sequence[float], environment: Environment, policy: Policy, seed: int
    ) -> None:
        self.env = environment
        self.policy = policy
        self.arrivals = arrivals
        self.origin = arrivals[0]
        self.work = file_times(len(arrivals), environment, seed)
        self.latencies = random.Random(seed + 1)
        self.run = Run(arrivals=arrivals, completions=[math.nan] * len(arrivals))
        self.events: list[tuple[float, _Order, int, _Event]] = []
        self.sequence = 0
        self.visible: deque[int] = deque()
        self.waiting: deque[_Task] = deque()
        self.in_flight = 0
        self.alive = 0
        self.processed = 0

    def push(self, time_s: float, event: _Event) -> None:
        self.sequence += 1
        heapq.heappush(self.events, (time_s, _ORDER[type(event)], self.sequence, event))

    def give(self, task: _Task, message: int, now: float) -> None:
        task.busy = True
        task.idle_token += 1
        self.in_flight += 1
        self.push(now + self.work[message], _Done(task, message))

    def free(self, task: _Task, now: float) -> None:
        """A task asks the queue for work: a message if one is visible, else it waits."""
        if self.visible:
            self.give(task, self.visible.popleft(), now)
        else:
            task.busy = False
            task.idle_token += 1
            self.waiting.append(task)
            self.push(now + self.env.idle_s, _Idle(task, task.idle_token))

    def arrive(self, message: int, now: float) -> None:
        # A waiting task's long poll returns the new message at once.
        while self.waiting and (self.waiting[0].busy or not self.waiting[0].alive):
            self.waiting.popleft()
        if self.waiting:
            self.give(self.waiting.popleft(), message, now)
        else:
            self.visible.append(message)

    def handle(self, event: _Event, now: float) -> None:
        env, run = self.env, self.run
        match event:
            case _Done(task, message):
                run.completions[message] = now
                self.in_flight -= 1
                self.processed += 1
                self.free(task, now)
            case _Ready(task):
                self.free(task, now)
            case _Idle(task, token):
                if task.alive and not task.busy and task.idle_token == token:
                    task.alive = False
                    self.alive -= 1
                    run.billed_task_s += max(env.min_billed_s, now - task.billing_start_s)
            case _Tick():
                seen = Observation(len(self.visible), self.in_flight, self.alive, env.max_tasks)
                for _ in range(self.policy(seen)):
                    jitter = self.latencies.uniform(-env.start_jitter_s, env.start_jitter_s)
                    latency = env.start_latency_s + jitter
                    billing_start_s = now + max(0.0, latency - env.billed_start_s)
                    self.push(now + latency, _Ready(_Task(billing_start_s)))
                    self.alive += 1
                    run.tasks_started += 1
                run.peak_tasks = max(run.peak_tasks, self.alive)
                self.push(now + env.schedule_s, _Tick())
            case _Sample():
                point = TracePoint(now - self.origin, len(self.visible), self.in_flight, self.alive)
                run.trace.append(point)
                self.push(now + env.sample_s, _Sample())

    def finished(self) -> bool:
        return self.processed == len(self.arrivals) and self.alive == 0

    def go(self, phase_s: float) -> Run:
        self.push(self.origin + phase_s, _Tick())
        self.push(self.origin, _Sample())
        # Uploads are already in time order: read from the list rather than queued as events.
        next_arrival = 0
        while self.events and not self.finished():
            upload_due = (
                next_arrival < len(self.arrivals)
                and (
                    self.arrivals[next_arrival],
                    _Order.ARRIVAL,
                )
                < self.events[0][:2]
            )
            if upload_due:
                now = self.arrivals[next_arrival]
                self.arrive(next_arrival, now)
                next_arrival += 1
            else:
                now, _, _, event = heapq.heappop(self.events)
                self.handle(event, now)
            if now - self.origin > self.env.horizon_s:
                break
        if self.finished():
            self.run.trace.append(TracePoint(now - self.origin, 0, 0, 0))
        return self.run


def simulate(
    arrivals: Sequence[float],
    environment: Environment,
    policy: Policy,
    *,
    phase_s: float,
    seed: int,
) -> Run:
    """Run the loop until every file is processed and every task has exited (or the horizon)."""
    return _Loop(arrivals, environment, policy, seed).go(phase_s)
