"""The task's time, split among its logs, and the task's name."""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time

from worker.cpu import ECS_METADATA_ENV
from worker.task_time import TaskTime, task_name


def test_charges_add_up_to_the_time_from_start_to_the_last_charge() -> None:
    now = [10.0]
    task_time = TaskTime("t", clock=lambda: now[0])
    charges = []
    for step in (2.0, 0.5, 7.25):
        now[0] += step
        charges.append(task_time.charge())
    assert charges == [2.0, 0.5, 7.25]
    assert task_time.metadata(7.25) == {"task": "t", "task-seconds": "7.250"}


def test_a_refunded_charge_is_carried_by_the_next_one() -> None:
    now = [0.0]
    task_time = TaskTime("t", clock=lambda: now[0])
    now[0] = 3.0
    task_time.refund(task_time.charge())
    now[0] = 4.0
    assert task_time.charge() == 4.0
    now[0] = 5.0
    assert task_time.charge() == 1.0


def test_concurrent_charges_count_every_tick_once() -> None:
    # GIVEN a clock that ticks once per reading and lets another thread run as it is read, and
    # four threads charging at once
    ticks = itertools.count()

    def clock() -> float:
        tick = next(ticks)
        time.sleep(0)
        return float(tick)

    task_time = TaskTime("t", clock=clock)
    charges: list[float] = []

    def charge_many() -> None:
        for _ in range(2_000):
            charges.append(task_time.charge())

    threads = [threading.Thread(target=charge_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN each charge is the one tick since the previous: none lost, none counted twice
    assert len(charges) == 8_000
    assert set(charges) == {1.0}


def test_the_task_is_named_by_its_ecs_task_id() -> None:
    arn = "arn:aws:ecs:us-east-1:123456789012:task/pipeline-dev/0123456789abcdef0123456789abcdef"

    def fetch(url: str) -> bytes:
        assert url == "http://169.254.170.2/v4/abc/task"
        return f'{{"TaskARN": "{arn}", "Limits": {{"CPU": 1}}}}'.encode()

    environ = {ECS_METADATA_ENV: "http://169.254.170.2/v4/abc"}
    assert task_name(environ, fetch) == "0123456789abcdef0123456789abcdef"


def test_off_ecs_the_task_is_this_host_and_process() -> None:
    def unreachable(url: str) -> bytes:
        raise OSError("no route")

    expected = f"{socket.gethostname()}-{os.getpid()}"
    assert task_name({}, unreachable) == expected
    assert task_name({ECS_METADATA_ENV: "http://169.254.170.2/v4/abc"}, unreachable) == expected
