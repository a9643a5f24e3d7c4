"""Every policy document the program writes, parsed and checked for least privilege."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.infra import types as t
from tests.unit.infra.conftest import BYO_DEST, BYO_QUEUE, BYO_SOURCE
from tests.unit.infra.mocks import (
    ACCOUNT_ID,
    REGION,
    arn,
    bucket_arn,
    physical_name,
    queue_arn,
    repository_url,
    role_arn,
)
from tests.unit.infra.program import StackRun, run_program, stack_config

# The only actions AWS authorises solely on "*", each with the reason the stack uses it.
STAR_RESOURCE_ACTIONS = {
    "ecr:GetAuthorizationToken",  # no resource-level permissions
    "ecs:ListTasks",  # container-instance resources only; pinned by an ecs:cluster condition
}
TRUSTED_SERVICES = {
    "worker-execution-role": "ecs-tasks.amazonaws.com",
    "worker-task-role": "ecs-tasks.amazonaws.com",
    "scaler-role": "lambda.amazonaws.com",
    "scaler-schedule-role": "scheduler.amazonaws.com",
}
SSM_PATH = "/fargate-pipeline/dev/"
CLUSTER_ARN = arn("ecs", "cluster/fargate-pipeline-dev-cluster")


@pytest.fixture(params=["default", "byo"], scope="module")
def run(request: pytest.FixtureRequest) -> StackRun:
    fixture: StackRun = request.getfixturevalue(f"{request.param}_run")
    return fixture


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _role_policies(run: StackRun) -> dict[str, dict[str, dict[str, Any]]]:
    """Role logical name -> statement Sid -> statement."""
    by_role_id = {physical_name(role): role for role in TRUSTED_SERVICES}
    policies: dict[str, dict[str, dict[str, Any]]] = {}
    for resource, document in run.policies():
        if resource.typ == t.ROLE_POLICY:
            role = by_role_id[resource.inputs["role"]]
            policies[role] = {statement["Sid"]: statement for statement in document["Statement"]}
    return policies


def _statement(actions: list[str], resources: list[str], condition: Any = None) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if condition is not None:
        statement["Condition"] = condition
    return statement


def _without_sid(statement: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in statement.items() if key != "Sid"}


def _buckets_and_queue(run: StackRun) -> tuple[str, str, str]:
    queue = run.outputs["queueUrl"].rsplit("/", 1)[1]
    return bucket_arn(run.outputs["sourceBucket"]), bucket_arn(run.outputs["destBucket"]), queue


def test_every_policy_document_is_parsed(run: StackRun) -> None:
    documents = list(run.policies())
    holders = {resource.typ for resource, _ in documents}

    # four roles (trust + inline policy each), and with created storage two bucket policies
    # and the queue policy
    assert sum(r.typ == t.ROLE for r, _ in documents) == 4
    assert sum(r.typ == t.ROLE_POLICY for r, _ in documents) == 4
    created_storage = bool(run.of_type(t.BUCKET))
    assert sum(r.typ == t.BUCKET_POLICY for r, _ in documents) == (2 if created_storage else 0)
    assert (t.QUEUE_POLICY in holders) is created_storage
    for _, document in documents:
        assert document["Version"] == "2012-10-17"


def test_no_allow_statement_has_a_wildcard_action(run: StackRun) -> None:
    for resource, document in run.policies():
        for statement in document["Statement"]:
            if statement["Effect"] == "Allow":
                for action in _as_list(statement["Action"]):
                    assert "*" not in action, (resource.name, action)


def test_star_resources_only_where_aws_allows_nothing_else(run: StackRun) -> None:
    source, dest, _ = _buckets_and_queue(run)
    for resource, document in run.policies():
        for statement in document["Statement"]:
            if statement["Effect"] != "Allow" or "Resource" not in statement:
                continue
            resources = _as_list(statement["Resource"])
            if "*" in resources:
                assert resources == ["*"]
                assert set(_as_list(statement["Action"])) <= STAR_RESOURCE_ACTIONS, resource.name
                continue
            for scoped in resources:
                # one of the stack's two buckets, or an ARN in this account (and region)
                in_buckets = any(scoped == b or scoped.startswith(f"{b}/") for b in (source, dest))
                in_account = f":{REGION}:{ACCOUNT_ID}:" in scoped or f"::{ACCOUNT_ID}:" in scoped
                assert in_buckets or in_account, scoped


def test_trust_policies_name_one_service_on_behalf_of_this_account(run: StackRun) -> None:
    roles = run.of_type(t.ROLE)
    assert {role.name for role in roles} == set(TRUSTED_SERVICES)
    for role in roles:
        document = next(d for r, d in run.policies() if r is role)
        [statement] = document["Statement"]
        assert _without_sid(statement) == {
            "Effect": "Allow",
            "Principal": {"Service": TRUSTED_SERVICES[role.name]},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}},
        }


def test_worker_task_role_reaches_only_its_queue_uploads_outputs_and_switch(
    run: StackRun,
) -> None:
    source, dest, queue = _buckets_and_queue(run)
    statements = {
        sid: _without_sid(s) for sid, s in _role_policies(run)["worker-task-role"].items()
    }

    assert statements == {
        "DrainQueue": _statement(
            [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueAttributes",
            ],
            [queue_arn(queue)],
        ),
        # under the prefix the stack's notification filters on; with your queue, anywhere
        "ReadUploads": _statement(
            ["s3:GetObject"], [f"{source}/ecsproc/*" if run.of_type(t.QUEUE) else f"{source}/*"]
        ),
        "SeeDeletedUploads": _statement(["s3:ListBucket"], [source]),
        "WriteOutputs": _statement(["s3:PutObject"], [f"{dest}/processed/*"]),
        "ReadPipelineSwitch": _statement(
            ["ssm:GetParameter"], [arn("ssm", f"parameter{SSM_PATH}PIPELINE_ENABLED")]
        ),
    }


def test_execution_role_pulls_this_repository_and_writes_this_log_group(run: StackRun) -> None:
    statements = {
        sid: _without_sid(s) for sid, s in _role_policies(run)["worker-execution-role"].items()
    }

    repository = repository_url("ecs-pipeline").split("/", 1)[1]
    assert statements == {
        "PullWorkerImage": _statement(
            ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            [arn("ecr", f"repository/{repository}")],
        ),
        "LogInToEcr": _statement(["ecr:GetAuthorizationToken"], ["*"]),
        "WriteWorkerLogs": _statement(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [arn("logs", "log-group:/fargate-pipeline/dev/worker:*")],
        ),
    }


def test_scaler_role_starts_and_counts_only_this_pipelines_tasks(run: StackRun) -> None:
    _, _, queue = _buckets_and_queue(run)
    statements = {sid: _without_sid(s) for sid, s in _role_policies(run)["scaler-role"].items()}
    on_cluster = {"ArnEquals": {"ecs:cluster": CLUSTER_ARN}}

    assert statements == {
        "StartWorkers": _statement(
            ["ecs:RunTask"],
            [arn("ecs", "task-definition/fargate-pipeline-dev-worker:*")],
            on_cluster,
        ),
        "CountWorkers": _statement(["ecs:ListTasks"], ["*"], on_cluster),
        "PassWorkerRoles": _statement(
            ["iam:PassRole"],
            [role_arn("worker-execution-role"), role_arn("worker-task-role")],
            {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        ),
        "ReadQueueDepth": _statement(["sqs:GetQueueAttributes"], [queue_arn(queue)]),
        "ReadPipelineParameters": _statement(
            ["ssm:GetParametersByPath"],
            [arn("ssm", "parameter/fargate-pipeline/dev"), arn("ssm", f"parameter{SSM_PATH}*")],
        ),
        "WriteScalerLogs": _statement(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [arn("logs", "log-group:/fargate-pipeline/dev/scaler:*")],
        ),
    }


def test_schedule_role_may_only_invoke_the_scaler(run: StackRun) -> None:
    statements = _role_policies(run)["scaler-schedule-role"]

    assert [_without_sid(s) for s in statements.values()] == [
        _statement(
            ["lambda:InvokeFunction"],
            [arn("lambda", f"function:{run.outputs['scalerFunctionName']}")],
        )
    ]


def test_byo_policies_name_the_users_buckets_and_queue(byo_run: StackRun) -> None:
    statements = _role_policies(byo_run)["worker-task-role"]

    # your queue is fed by your notification, whose prefix the stack cannot see: a file under
    # any prefix must be readable, or it would be AccessDenied, retried and dead-lettered
    assert statements["ReadUploads"]["Resource"] == [f"{bucket_arn(BYO_SOURCE)}/*"]
    assert statements["WriteOutputs"]["Resource"] == [f"{bucket_arn(BYO_DEST)}/processed/*"]
    assert statements["DrainQueue"]["Resource"] == [queue_arn(BYO_QUEUE)]


def test_empty_destination_prefix_lets_the_worker_write_anywhere_in_its_bucket(
    root_outputs_run: StackRun,
) -> None:
    run = root_outputs_run
    statements = _role_policies(run)["worker-task-role"]
    dest = bucket_arn(run.outputs["destBucket"])
    assert statements["WriteOutputs"]["Resource"] == [f"{dest}/*"]


def test_a_created_bucket_with_a_queue_you_bring_is_readable_under_any_prefix(
    own_queue_run: StackRun,
) -> None:
    run = own_queue_run
    statements = _role_policies(run)["worker-task-role"]
    source = bucket_arn(run.outputs["sourceBucket"])
    assert statements["ReadUploads"]["Resource"] == [f"{source}/*"]


KMS_KEYS = [
    f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/mrk-1234abcd12ab34cd56ef1234567890ab",
]


def test_kms_keys_you_name_may_decrypt_and_generate_data_keys_and_nothing_else() -> None:
    run = run_program(stack_config({"kmsKeyArns": KMS_KEYS}))

    statements = _role_policies(run)["worker-task-role"]
    assert _without_sid(statements["UseKmsKeys"]) == _statement(
        ["kms:Decrypt", "kms:GenerateDataKey"], KMS_KEYS
    )
    # only the worker's code reads and writes the encrypted data
    for role in ("worker-execution-role", "scaler-role", "scaler-schedule-role"):
        assert "UseKmsKeys" not in _role_policies(run)[role], role


def test_no_kms_permission_without_kms_keys(run: StackRun) -> None:
    for _, document in run.policies():
        for statement in document["Statement"]:
            assert not any(a.startswith("kms:") for a in _as_list(statement["Action"]))
