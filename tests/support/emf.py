"""Embedded Metric Format documents as CloudWatch Logs reads them: validation and extraction.

``validate`` holds a document to the specification's JSON schema and to the rules the
specification states only in prose; ``published`` lists the metrics CloudWatch would extract,
so tests can compare what the pipeline emits with what its dashboard and alarms query.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA: dict[str, Any] = json.loads((Path(__file__).with_name("emf_schema.json")).read_text())
MAX_VALUES = 100
"""A metric target that is an array "MUST NOT have more than 100 members"."""


@dataclass(frozen=True)
class Published:
    """One metric CloudWatch extracts from a document, with its value."""

    namespace: str
    name: str
    dimensions: frozenset[tuple[str, str]]
    value: float

    @property
    def identity(self) -> tuple[str, str, frozenset[tuple[str, str]]]:
        return self.namespace, self.name, self.dimensions


def validate(document: Any) -> None:
    """Raise AssertionError (or jsonschema's ValidationError) unless ``document`` is valid EMF."""
    jsonschema.validate(document, SCHEMA)
    for directive in document["_aws"]["CloudWatchMetrics"]:
        for dimension_set in directive["Dimensions"]:
            for name in dimension_set:
                # "A dimension target MUST have a string value."
                assert isinstance(document.get(name), str), f"dimension {name!r} is not a string"
        # "This array MUST NOT contain more than 100 MetricDefinition objects."
        assert len(directive["Metrics"]) <= MAX_VALUES
        for metric in directive["Metrics"]:
            value = document.get(metric["Name"])
            # "A metric target MUST be a numeric value or an array of numeric values."
            values = value if isinstance(value, list) else [value]
            assert 0 < len(values) <= MAX_VALUES, f"metric {metric['Name']!r} has no values"
            assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in values), (
                f"metric {metric['Name']!r} is not numeric: {value!r}"
            )


def published(document: dict[str, Any]) -> Iterator[Published]:
    """Every metric ``document`` publishes: one per directive, metric and dimension set."""
    for directive in document["_aws"]["CloudWatchMetrics"]:
        for metric in directive["Metrics"]:
            value = document[metric["Name"]]
            for dimension_set in directive["Dimensions"]:
                dimensions = frozenset((name, document[name]) for name in dimension_set)
                for one in value if isinstance(value, list) else [value]:
                    yield Published(directive["Namespace"], metric["Name"], dimensions, one)


def documents(lines: Iterable[str]) -> list[dict[str, Any]]:
    """The EMF documents among output lines: the JSON objects with an ``_aws`` member."""
    found = []
    for line in lines:
        try:
            loaded = json.loads(line)
        except ValueError:
            continue
        if isinstance(loaded, dict) and "_aws" in loaded:
            found.append(loaded)
    return found


def totals(docs: Iterable[dict[str, Any]], dimension_names: frozenset[str]) -> dict[str, float]:
    """The sum of each metric over the documents, counting the directives with exactly
    ``dimension_names`` (so a value published under two dimension sets counts once)."""
    sums: dict[str, float] = {}
    for document in docs:
        for metric in published(document):
            if {name for name, _ in metric.dimensions} == dimension_names:
                sums[metric.name] = sums.get(metric.name, 0) + metric.value
    return sums
