"""Every IAM document the stack builds passes parliament, AWS-policy linting from the IAM reference.

parliament knows every service's actions, the resource ARN formats each action is authorised on,
and the condition keys each supports, so it catches what a hand-written expected statement cannot:
a misspelt action, an object ARN where a bucket ARN is needed, a condition key the action ignores.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.infra import types as t
from tests.unit.infra.conftest import BYO_DEST, BYO_QUEUE, BYO_SOURCE, byo_mocks
from tests.unit.infra.program import Resource, StackRun, run_program, stack_config

ALLOWED_FINDINGS = {
    # parliament's IAM data scopes ListTasks to container instances, which Fargate tasks have
    # none of, so AWS accepts only "*" for it; the statement's ecs:cluster condition pins it to
    # the pipeline's cluster (test_iam.py checks that condition).
    ("RESOURCE_STAR", "ecs:ListTasks"),
}
"""(finding, action) pairs parliament reports that the stack keeps on purpose, with the reason."""


KMS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture(scope="module")
def kms_run() -> StackRun:
    """Every optional statement on: KMS keys, and the users' own buckets and queue."""
    return run_program(
        stack_config(
            {
                "sourceBucket": BYO_SOURCE,
                "destBucket": BYO_DEST,
                "queueName": BYO_QUEUE,
                "kmsKeyArns": [KMS_KEY],
            }
        ),
        mocks=byo_mocks(),
    )


@pytest.fixture(params=["default", "byo", "kms"], scope="module")
def run(request: pytest.FixtureRequest) -> StackRun:
    fixture: StackRun = request.getfixturevalue(f"{request.param}_run")
    return fixture


def _as_linted(resource: Resource, document: dict[str, Any]) -> dict[str, Any]:
    """The document as parliament reads it.

    parliament lints identity and resource policies, and reads a statement without ``Resource``
    as malformed; a trust policy has none (IAM refuses one there), because what it grants is
    ``sts:AssumeRole`` on the role itself. So a trust policy is linted as exactly that grant.
    """
    if resource.typ != t.ROLE or "assumeRolePolicy" not in resource.inputs:
        return document
    role = f"arn:aws:iam::123456789012:role/{resource.name}"
    return {
        **document,
        "Statement": [{**statement, "Resource": role} for statement in document["Statement"]],
    }


def _findings(document: dict[str, Any]) -> set[tuple[str, str]]:
    # Imported here, not at the top: loading parliament's IAM database takes a second of CPU, and
    # every test process imports this module to collect it while only one runs it.
    from parliament import analyze_policy_string

    policy = analyze_policy_string(json.dumps(document))
    found = set()
    for finding in policy.findings:
        actions = finding.detail if isinstance(finding.detail, list) else [str(finding.detail)]
        for action in actions:
            found.add((finding.issue, str(action)))
    return found


def test_every_policy_document_passes_parliament(run: StackRun) -> None:
    documents = list(run.policies())
    assert documents, "the run wrote no policy documents"
    for resource, document in documents:
        unexpected = _findings(_as_linted(resource, document)) - ALLOWED_FINDINGS
        assert not unexpected, f"{resource.urn}: {sorted(unexpected)}"


def test_the_allowed_finding_is_still_reported(default_run: StackRun) -> None:
    # GIVEN the scaler's policy WHEN linted THEN parliament still sees ListTasks on "*": the
    # allowance above is needed, and parliament's checks are running at all
    [scaler] = [r for r, _ in default_run.policies() if r.name == "scaler-role-policy"]
    document = json.loads(scaler.inputs["policy"])
    assert _findings(document) == ALLOWED_FINDINGS


@pytest.mark.parametrize(
    ("statement", "issue"),
    [
        ({"Action": ["s3:GetObjects"], "Resource": ["arn:aws:s3:::b/*"]}, "UNKNOWN_ACTION"),
        ({"Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b"]}, "RESOURCE_MISMATCH"),
        (
            {
                "Action": ["sqs:ReceiveMessage"],
                "Resource": ["arn:aws:sqs:eu-west-1:123456789012:q"],
                "Condition": {"StringEquals": {"s3:prefix": "a/"}},
            },
            "UNKNOWN_CONDITION_FOR_ACTION",
        ),
    ],
)
def test_parliament_catches_the_mistakes_it_guards_against(
    statement: dict[str, Any], issue: str
) -> None:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]}

    assert issue in {found for found, _ in _findings(document)}
