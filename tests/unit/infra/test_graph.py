"""The resource graph the real program declares, for the default and bring-your-own configs."""

from __future__ import annotations

from collections import Counter

from contract.ssm import Param
from tests.unit.infra import types as t
from tests.unit.infra.conftest import BYO_DEST, BYO_QUEUE, BYO_SOURCE, byo_mocks
from tests.unit.infra.mocks import queue_url
from tests.unit.infra.program import StackRun, run_program, stack_config

# One ``pulumi up`` on a fresh account: the whole pipeline, nothing done by hand.
DEFAULT_GRAPH = {
    t.STORAGE: 1,
    t.BUCKET: 2,
    t.PUBLIC_ACCESS_BLOCK: 2,
    t.ENCRYPTION: 2,
    t.BUCKET_POLICY: 2,
    t.QUEUE: 2,
    t.QUEUE_POLICY: 1,
    t.NOTIFICATION: 1,
    t.WORKER_IMAGE: 1,
    t.REPOSITORY: 1,
    t.LIFECYCLE_POLICY: 1,
    t.IMAGE: 1,
    t.WORKER_TASKS: 1,
    t.CLUSTER: 1,
    t.CAPACITY_PROVIDERS: 1,
    t.LOG_GROUP: 2,
    t.ROLE: 4,
    t.ROLE_POLICY: 4,
    t.TASK_DEFINITION: 1,
    t.SECURITY_GROUP: 1,
    # the account has never used ECS (test_first_ecs_use.py)
    t.SERVICE_LINKED_ROLE: 1,
    t.STACK_REGISTRY: 1,
    t.PARAMETER: 18,
    t.QUEUE_SCALER: 1,
    t.FUNCTION: 1,
    t.ASYNC_CONFIG: 1,
    t.SCHEDULE: 1,
    t.OBSERVABILITY: 1,
    t.DASHBOARD: 1,
    t.METRIC_ALARM: 4,
}

# What the stack never creates when the buckets and queue are the user's.
USER_OWNED = (
    t.BUCKET,
    t.PUBLIC_ACCESS_BLOCK,
    t.ENCRYPTION,
    t.BUCKET_POLICY,
    t.QUEUE,
    t.QUEUE_POLICY,
    t.NOTIFICATION,
)


def _graph(run: StackRun) -> Counter[str]:
    return Counter(resource.typ for resource in run.resources)


def test_default_stack_declares_the_whole_pipeline(default_run: StackRun) -> None:
    assert _graph(default_run) == Counter(DEFAULT_GRAPH)


def test_every_resource_is_a_child_named_after_its_component(default_run: StackRun) -> None:
    components = {r.typ: r.name for r in default_run.resources if r.typ in t.COMPONENTS}
    assert set(components) == set(t.COMPONENTS)
    for resource in default_run.resources:
        # A URN's type is qualified by its parent's: <parent type>$<type>.
        parent_type, own_type = resource.urn.split("::")[2].split("$")
        assert own_type == resource.typ
        if resource.typ in t.COMPONENTS:
            assert parent_type == "pulumi:pulumi:Stack"
        else:
            assert parent_type in components, resource.urn
            assert resource.name.startswith(f"{components[parent_type]}-"), resource.urn


def test_bring_your_own_creates_nothing_of_theirs(byo_run: StackRun) -> None:
    graph = _graph(byo_run)

    assert not [typ for typ in USER_OWNED if graph[typ]]
    expected = Counter(DEFAULT_GRAPH)
    for typ in USER_OWNED:
        del expected[typ]
    expected[t.METRIC_ALARM] -= 1  # their queue's DLQ, if any, is not the stack's to watch
    expected[t.PARAMETER] -= 1  # nor to redrive: no PIPELINE_DLQ_URL
    assert graph == expected


def test_bring_your_own_touches_no_bucket_or_queue_of_theirs(byo_run: StackRun) -> None:
    # Nothing the stack declares (and so could modify or destroy) targets their resources.
    for resource in byo_run.resources:
        assert resource.inputs.get("bucket") not in (BYO_SOURCE, BYO_DEST), resource.name
        assert resource.inputs.get("queueUrl") != queue_url(BYO_QUEUE), resource.name
        assert "forceDestroy" not in resource.inputs, resource.name


def test_bring_your_own_looks_their_resources_up(byo_run: StackRun) -> None:
    looked_up = {
        (call.token, call.args.get("bucket") or call.args.get("name"))
        for call in byo_run.mocks.calls
    }

    assert ("aws:s3/getBucket:getBucket", BYO_SOURCE) in looked_up
    assert ("aws:s3/getBucket:getBucket", BYO_DEST) in looked_up
    assert ("aws:sqs/getQueue:getQueue", BYO_QUEUE) in looked_up
    assert byo_run.outputs["sourceBucket"] == BYO_SOURCE
    assert byo_run.outputs["destBucket"] == BYO_DEST
    assert byo_run.outputs["queueUrl"] == queue_url(BYO_QUEUE)
    assert byo_run.outputs["dlqUrl"] is None
    # nor a PIPELINE_DLQ_URL: the DLQ (if any) of the user's queue is not the stack's
    parameters = {p.inputs["name"].rsplit("/", 1)[-1] for p in byo_run.of_type(t.PARAMETER)}
    assert Param.DLQ_URL.value not in parameters
    assert Param.UNPROCESSED_SQS_URL.value in parameters


def test_own_queue_means_no_notification_and_no_queue_policy(own_queue_run: StackRun) -> None:
    # GIVEN created buckets but the user's queue (fed by their own notification)
    run = own_queue_run

    graph = _graph(run)
    assert graph[t.BUCKET] == 2
    assert graph[t.QUEUE] == graph[t.QUEUE_POLICY] == graph[t.NOTIFICATION] == 0
    # nothing feeds their queue from a bucket the stack just created: the user is told
    assert any(BYO_QUEUE in w and "without a notification" in w for w in run.warnings)


def test_own_source_bucket_with_a_created_queue_gets_the_notification_and_a_warning() -> None:
    # GIVEN the user's source bucket, and no queue of theirs
    run = run_program(stack_config({"sourceBucket": BYO_SOURCE}), mocks=byo_mocks())

    notification = run.one(t.NOTIFICATION)
    assert notification.inputs["bucket"] == BYO_SOURCE
    assert _graph(run)[t.BUCKET] == 1
    assert "forceDestroy" not in notification.inputs
    # S3 keeps one notification configuration per bucket: the user is told it is replaced.
    assert any(BYO_SOURCE in w and "replaced" in w for w in run.warnings)


def test_consistent_configs_warn_nothing(default_run: StackRun, byo_run: StackRun) -> None:
    assert default_run.warnings == []
    assert byo_run.warnings == []


def test_resources_wait_for_what_aws_checks_when_they_are_created(default_run: StackRun) -> None:
    run = default_run
    # S3 checks it may send to the queue when the notification is written.
    assert run.depends_on(run.one(t.NOTIFICATION), t.QUEUE_POLICY)
    # S3 rejects a bucket policy racing a public access block change.
    for policy in run.of_type(t.BUCKET_POLICY):
        assert run.depends_on(policy, t.PUBLIC_ACCESS_BLOCK), policy.name
    # The first scheduled run finds the scaler's permissions and log group in place...
    function = run.one(t.FUNCTION)
    assert run.depends_on(function, t.ROLE_POLICY, "scaler-role-policy")
    assert run.depends_on(function, t.LOG_GROUP, "scaler-logs")
    assert run.depends_on(run.one(t.SCHEDULE), t.ROLE_POLICY, "scaler-schedule-role-policy")
    # ...and a task started from the new revision finds its roles' policies.
    task = run.one(t.TASK_DEFINITION)
    assert run.depends_on(task, t.ROLE_POLICY, "worker-execution-role-policy")
    assert run.depends_on(task, t.ROLE_POLICY, "worker-task-role-policy")
