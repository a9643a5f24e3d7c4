"""Reading the pipeline's parameters from SSM Parameter Store."""

from __future__ import annotations

from scaler.clients import BotoClient


def read_parameters(ssm: BotoClient, path: str) -> dict[str, str]:
    """Every parameter directly under ``path``, by its name within the path.

    GetParametersByPath with the paginator, not GetParameters (at most 10 names per call): the
    pipeline has more parameters than that, and an operator's extra ones must not break a run.
    Values are read fresh on every run, so a flipped PIPELINE_ENABLED takes effect at once.
    """
    values: dict[str, str] = {}
    paginator = ssm.get_paginator("get_parameters_by_path")
    for page in paginator.paginate(Path=path, Recursive=False, WithDecryption=True):
        for parameter in page["Parameters"]:
            values[parameter["Name"].rsplit("/", 1)[-1]] = parameter["Value"]
    return values
