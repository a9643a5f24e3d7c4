"""The join of the sources' and logs' listings, as S3 orders them (UTF-8 byte order)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from contract.layout import Outcome
from ops.join import Joined, LogObject, SourceObject, join, parse_log_name

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=5)
EARLIER = T0 - timedelta(minutes=5)


def source(key: str, when: datetime = T0) -> SourceObject:
    return SourceObject(key, when)


def log(key: str, outcome: Outcome = Outcome.SUCCESS, when: datetime = LATER) -> LogObject:
    return LogObject(key, outcome, when)


def s3_sorted_logs(*logs: LogObject) -> list[LogObject]:
    """The logs as S3 lists them: by the log object's key's UTF-8 bytes."""
    return sorted(logs, key=lambda item: item.name.encode())


def s3_sorted_sources(*sources: SourceObject) -> list[SourceObject]:
    return sorted(sources, key=lambda item: item.key.encode())


def by_key(entries: list[Joined]) -> dict[str, Joined]:
    keys = [entry.key for entry in entries]
    assert len(keys) == len(set(keys)), f"a key came out twice: {keys}"
    return {entry.key: entry for entry in entries}


def test_keys_with_spaces_plus_and_non_ascii_meet_their_logs() -> None:
    # GIVEN keys whose log keys sort differently from the keys themselves
    # ("a b.success" < "a.success" since " " < ".", but "a" < "a b")
    names = ["a", "a b", "a+b", "a.b", "café", "日本"]
    keys = [f"ecsproc/{name}" for name in names]
    sources = s3_sorted_sources(*(source(key) for key in keys))
    logs = s3_sorted_logs(*(log(key) for key in keys))
    # WHEN joined
    joined = by_key(list(join(sources, logs)))
    # THEN every key is joined with its own log, and is done
    assert set(joined) == set(keys)
    for key in keys:
        assert joined[key].source == source(key)
        assert joined[key].log == log(key), key
        assert joined[key].up_to_date, key


def test_a_key_extending_another_with_a_dot_does_not_steal_its_logs() -> None:
    # GIVEN "x" and "x.g": x's logs ("x.failed", "x.success") sort around x.g's ("x.g.success")
    sources = s3_sorted_sources(source("x"), source("x.g"), source("x.z"))
    logs = s3_sorted_logs(
        log("x", Outcome.FAILED, EARLIER), log("x", Outcome.SUCCESS), log("x.g"), log("x.z")
    )
    joined = by_key(list(join(sources, logs)))
    # THEN each key has its newest log: x's success (newer than its failure), x.g's own
    assert joined["x"].log == log("x", Outcome.SUCCESS)
    assert joined["x.g"].log == log("x.g")
    assert joined["x.z"].log == log("x.z")


def test_a_log_older_than_its_object_is_not_done_and_a_newer_one_is() -> None:
    sources = [source("new-upload"), source("processed")]
    logs = s3_sorted_logs(log("new-upload", when=EARLIER), log("processed", when=LATER))
    joined = by_key(list(join(sources, logs)))
    assert not joined["new-upload"].up_to_date
    assert joined["processed"].up_to_date


def test_a_log_from_the_same_second_as_its_object_counts_as_done() -> None:
    # S3 listings give whole seconds: a file processed within its upload's second is done.
    joined = by_key(list(join([source("quick", T0)], [log("quick", when=T0)])))
    assert joined["quick"].up_to_date


def test_an_object_without_a_log_is_not_done() -> None:
    joined = by_key(list(join([source("a"), source("b")], [log("b")])))
    assert joined["a"].log is None
    assert not joined["a"].up_to_date


def test_a_log_without_its_source_comes_out_once_with_no_source() -> None:
    # GIVEN logs of deleted objects before, between and after the objects
    sources = [source("b"), source("d")]
    logs = s3_sorted_logs(log("a"), log("b"), log("c"), log("c", Outcome.FAILED, EARLIER), log("e"))
    joined = by_key(list(join(sources, logs)))
    # THEN each orphan appears once with its newest log and no source
    assert {key for key, entry in joined.items() if entry.source is None} == {"a", "c", "e"}
    assert joined["c"].log == log("c")
    assert joined["b"].up_to_date
    assert joined["d"].log is None


def test_orphan_logs_that_extend_a_source_key_are_not_taken_for_it() -> None:
    # "a b" sorts after "a" as a key but its log before a's log
    joined = by_key(list(join([source("a")], s3_sorted_logs(log("a b"), log("a")))))
    assert joined["a"].log == log("a")
    assert joined["a b"].source is None


def test_sources_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError, match="out of order"):
        list(join([source("b"), source("a")], []))


def test_logs_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError, match="out of order"):
        list(join([], [log("b"), log("a")]))


def test_the_join_holds_only_logs_read_ahead_not_the_whole_listing() -> None:
    # GIVEN many sources and logs, streamed
    count = 5000
    keys = [f"k{index:06d}" for index in range(count)]
    read = 0

    def logs() -> Iterator[LogObject]:
        nonlocal read
        for key in keys:
            read += 1
            yield log(key)

    joined = join((source(key) for key in keys), logs())
    # WHEN the first 10 entries are taken
    first = [next(joined) for _ in range(10)]
    # THEN only a log or two past them has been read
    assert [entry.key for entry in first] == keys[:10]
    assert read <= 12


def test_log_names_parse_into_key_and_outcome() -> None:
    assert parse_log_name("a.jpg.success", T0) == LogObject("a.jpg", Outcome.SUCCESS, T0)
    assert parse_log_name("dir/a b.jpg.failed", T0) == LogObject("dir/a b.jpg", Outcome.FAILED, T0)
    assert parse_log_name("a.jpg", T0) is None
    assert parse_log_name(".success", T0) is None
