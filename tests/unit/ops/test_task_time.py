"""Pricing a run's task time from a sample of its logs."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from contract.config import CpuArchitecture
from ops.report import Report
from ops.task_time import Charge, LogSample, estimate
from ops.workers import TaskSize

ONE_VCPU = TaskSize(vcpus=1, memory_gib=2, architecture=CpuArchitecture.X86_64, idle_seconds=20)


def sample_of(keys: list[str], size: int, seed: int = 0) -> LogSample:
    sample = LogSample(size, random.Random(seed))
    for key in keys:
        sample.offer(key)
    return sample


def test_a_small_run_is_sampled_whole() -> None:
    sample = sample_of(["a", "b", "c"], size=5)
    assert sample.complete
    assert sample.keys == ["a", "b", "c"]


def test_the_sample_is_uniform_and_its_size_bounded() -> None:
    # GIVEN 2,000 samples of 5 among 20 keys
    included: Counter[str] = Counter()
    keys = [f"k{index:02}" for index in range(20)]
    for seed in range(2_000):
        sample = sample_of(keys, size=5, seed=seed)
        assert len(sample.keys) == 5
        assert len(set(sample.keys)) == 5
        assert not sample.complete
        included.update(sample.keys)
    # THEN every key, first or last offered, is in about a quarter of them (500 each; 4 sigma
    # of a binomial(2000, 0.25) is 77)
    assert set(included) == set(keys)
    assert all(abs(count - 500) < 77 for count in included.values()), included


def test_a_whole_run_is_priced_exactly() -> None:
    sample = sample_of(["a", "b", "c"], size=5)
    charges = [Charge("t1", 10.0), Charge("t1", 20.0), Charge("t2", 30.0)]
    time = estimate(sample, list(charges), ONE_VCPU)
    assert time is not None
    assert (time.exact, time.processing_seconds, time.tasks_seen) == (True, 60.0, 2)
    assert time.idle_seconds == 40.0
    # each task's 50 s (work and idle) is billed as Fargate's minimum minute
    assert time.minimum_seconds == 20.0
    # 120 s at $0.04048 + 2 x $0.004445 an hour
    assert time.cost(ONE_VCPU) == pytest.approx(120 / 3600 * 0.04937)


def test_a_sample_is_scaled_to_every_file() -> None:
    # GIVEN 1,000 files, 3 sampled logs charged 1, 2 and 3 s, one sampled log without a charge
    sample = sample_of([f"k{index}" for index in range(1_000)], size=4)
    charges = [Charge("t1", 1.0), Charge("t2", 2.0), None, Charge("t1", 3.0)]
    time = estimate(sample, charges, ONE_VCPU)
    # THEN the mean charge of the priced ones, 2 s, times 1,000 files
    assert time is not None
    assert (time.exact, time.files, time.sampled, time.priced) == (False, 1_000, 4, 3)
    assert time.processing_seconds == 2_000.0
    assert time.tasks_seen == 2
    assert time.minimum_seconds == 0.0


def test_nothing_to_price_without_a_charge() -> None:
    assert estimate(sample_of(["a"], size=5), [None], ONE_VCPU) is None
    assert estimate(sample_of([], size=5), [], ONE_VCPU) is None


def test_the_request_estimate_counts_a_put_per_output_size() -> None:
    # 10 files, 8 succeeded with 2 sizes: 10 GETs, 10 log PUTs + 16 output PUTs; 10 sends and
    # one receive and one delete batch
    report = Report(ONE_VCPU, outputs_per_file=2, succeeded=8)
    report.failed_by_reason["corrupt"] = 2
    assert report.requests() == {"S3 GET": 10, "S3 PUT": 26, "SQS": 12}
    assert report.request_cost() == pytest.approx(
        10 * 0.0004 / 1000 + 26 * 0.005 / 1000 + 12 * 0.40 / 1e6
    )
