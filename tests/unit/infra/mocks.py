"""Pulumi mocks that answer like AWS: realistic names, ARNs and URLs, and AWS's own rejections.

Every resource type and data source the program uses is modelled; anything else fails the run,
so a new resource cannot slip through with made-up outputs. Where AWS would reject an input
(a policy that is not JSON, an empty SSM value, a task size Fargate does not offer) the mock
raises too, so the tests fail where ``pulumi up`` would.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from contract.config import FARGATE_MEMORY_MIB

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
PARTITION = "aws"
DEFAULT_VPC_ID = "vpc-0a1b2c3d4e5f60718"
DEFAULT_SUBNET_IDS = ["subnet-0aa11bb22cc33dd44", "subnet-0ee55ff66aa77bb88"]
IMAGE_DIGEST = "sha256:" + "ab" * 32

NEW_ACCOUNT_LAMBDA_CONCURRENCY = 10
UNRESERVED_MINIMUM = 10
"""Lambda keeps this many concurrent executions unreserved in every account."""
SQS_MAX_RETENTION_SECONDS = 1_209_600
SQS_MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200
SQS_MAX_MESSAGE_BYTES = 1_048_576


SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"
"""The key Pulumi's wire format marks a secret value with (rpc._special_sig_key)."""
SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270"


def reveal(value: Any, path: str = "", secrets: set[str] | None = None) -> tuple[Any, set[str]]:
    """``value`` with its secrets unwrapped, and the paths (``a.b[0]``) that were secret."""
    found = set() if secrets is None else secrets
    if isinstance(value, dict):
        if value.get(SECRET_SIGNATURE) == SECRET_SIG_VALUE:
            found.add(path)
            return reveal(value["value"], path, found)[0], found
        return {k: reveal(v, f"{path}.{k}".lstrip("."), found)[0] for k, v in value.items()}, found
    if isinstance(value, list):
        return [reveal(v, f"{path}[{i}]", found)[0] for i, v in enumerate(value)], found
    return value, found


class MockRejection(Exception):
    """What AWS (or the provider) would have refused."""


@dataclass(frozen=True)
class Declared:
    """A resource as the program declared it: inputs with secrets revealed, and which were."""

    typ: str
    name: str
    inputs: dict[str, Any]
    secret_paths: frozenset[str]


@dataclass(frozen=True)
class Call:
    token: str
    args: dict[str, Any]


@dataclass
class Registry:
    """ECR's tags and pulumi-docker's state of the image, kept across program runs (deploys).

    pulumi-docker rebuilds and pushes only when the image's name, build settings or build
    context changed since its state; a rebuild is never byte-identical, so it has a new digest.
    ECR then refuses to move an existing tag in an IMMUTABLE repository ("tag invalid").
    """

    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    """Repository URL -> tag -> digest."""
    built: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Image resource name -> (what it was built from, the digest pushed)."""
    pushes: int = 0


@dataclass
class AwsMocks(pulumi.runtime.Mocks):
    """Records every resource's inputs and every data source call of one program run."""

    existing_buckets: frozenset[str] = frozenset()
    existing_queues: frozenset[str] = frozenset()
    default_subnet_ids: list[str] = field(default_factory=lambda: list(DEFAULT_SUBNET_IDS))
    ecs_service_linked_role: bool = False
    """Whether AWSServiceRoleForECS exists: not in an account that never used ECS."""
    lambda_concurrency_quota: int = NEW_ACCOUNT_LAMBDA_CONCURRENCY
    """The account's Lambda concurrent executions; a new account's is 10."""
    registry: Registry | None = None
    """Given: images are built and pushed as pulumi-docker and ECR would, against this state."""
    resources: list[Declared] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    mutability: dict[str, str] = field(default_factory=dict)
    """Repository URL -> its imageTagMutability, as this run declared it."""

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        inputs, secrets = reveal(args.inputs)
        self.resources.append(Declared(args.typ, args.name, inputs, frozenset(secrets)))
        if not args.custom:
            # A component: it has no cloud counterpart, only the outputs it registers.
            return None, {}
        model = RESOURCES.get(args.typ)
        if model is None:
            raise MockRejection(f"the mocks do not model resource type {args.typ} ({args.name})")
        resource_id, computed = model(args.name, inputs)
        if args.typ == "aws:lambda/function:Function":
            self._check_reservation(args.name, inputs)
        if args.typ == "aws:iam/serviceLinkedRole:ServiceLinkedRole":
            self._create_service_linked_role(args.name, inputs)
        if (
            args.typ == "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"
            and not self.ecs_service_linked_role
        ):
            # CreateCluster creates the role itself, asynchronously: on an account's first
            # cluster, the capacity providers written right after lose that race.
            raise MockRejection(
                f"{args.name}: InvalidParameterException: Unable to assume the service linked "
                "role. Please verify that the ECS service linked role exists."
            )
        if args.typ == "aws:ecr/repository:Repository":
            url = computed["repositoryUrl"]
            self.mutability[url] = inputs.get("imageTagMutability", "MUTABLE")
        if args.typ == "docker:index/image:Image" and self.registry is not None:
            computed["repoDigest"] = self._push(self.registry, args.name, inputs)
        return resource_id, {**args.inputs, **computed}

    def _create_service_linked_role(self, name: str, inputs: dict[str, Any]) -> None:
        if inputs.get("awsServiceName") != "ecs.amazonaws.com":
            raise MockRejection(f"{name}: the mocks model only the ECS service-linked role")
        if self.ecs_service_linked_role:
            raise MockRejection(
                f"{name}: InvalidInput: Service role name AWSServiceRoleForECS has been taken in "
                "this account, please try a different suffix."
            )
        self.ecs_service_linked_role = True

    def _check_reservation(self, name: str, inputs: dict[str, Any]) -> None:
        """PutFunctionConcurrency keeps UNRESERVED_MINIMUM executions unreserved."""
        reserved = inputs.get("reservedConcurrentExecutions", -1)
        if reserved >= 0 and self.lambda_concurrency_quota - reserved < UNRESERVED_MINIMUM:
            raise MockRejection(
                f"{name}: InvalidParameterValueException: Specified ReservedConcurrentExecutions "
                "for function decreases account's UnreservedConcurrentExecution below its "
                f"minimum value of [{UNRESERVED_MINIMUM}]."
            )

    def _push(self, registry: Registry, name: str, inputs: dict[str, Any]) -> str:
        repository, _, tag = inputs["imageName"].rpartition(":")
        source = json.dumps([inputs["imageName"], inputs["build"], _context_digest(inputs)])
        previous = registry.built.get(name)
        if previous is not None and previous[0] == source:
            return previous[1]
        registry.pushes += 1
        # Each build's digest differs, even from the same sources.
        build = hashlib.sha256(f"{source}{registry.pushes}".encode()).hexdigest()
        digest = f"{repository}@sha256:{build}"
        tags = registry.tags.setdefault(repository, {})
        if tag in tags and self.mutability.get(repository) == "IMMUTABLE":
            raise MockRejection(
                f"{name}: tag invalid: The image tag '{tag}' already exists in the "
                f"'{repository}' repository and cannot be overwritten because the repository "
                "is immutable."
            )
        tags[tag] = digest
        registry.built[name] = (source, digest)
        return digest

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        self.calls.append(Call(args.token, dict(args.args)))
        if args.token == "aws:sqs/getQueue:getQueue":
            return self._existing_queue(args.args["name"])
        if args.token == "aws:s3/getBucket:getBucket":
            return self._existing_bucket(args.args["bucket"])
        if args.token == "aws:iam/getRoles:getRoles":
            names = ["AWSServiceRoleForECS"] if self.ecs_service_linked_role else []
            return {"names": names, "arns": [], "id": ACCOUNT_ID}
        if args.token == "aws:ec2/getSubnets:getSubnets":
            return {"ids": self.default_subnet_ids, "id": REGION}
        model = CALLS.get(args.token)
        if model is None:
            raise MockRejection(f"the mocks do not model data source {args.token}")
        return model(args.args)

    def _existing_queue(self, name: str) -> dict[str, Any]:
        if name not in self.existing_queues:
            raise MockRejection(f"no SQS queue named {name}")
        return {"name": name, "url": queue_url(name), "arn": queue_arn(name), "id": queue_url(name)}

    def _existing_bucket(self, name: str) -> dict[str, Any]:
        if name not in self.existing_buckets:
            raise MockRejection(f"no S3 bucket named {name}")
        return {"bucket": name, "arn": bucket_arn(name), "id": name, "bucketRegion": REGION}


def _context_digest(inputs: dict[str, Any]) -> str:
    """What pulumi-docker hashes to see a changed build context: every file's path and bytes."""
    digest = hashlib.sha256()
    root = Path(inputs["build"]["context"])
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def physical_name(logical: str) -> str:
    """Pulumi's auto-name: the logical name plus a random suffix (stable here)."""
    return f"{logical}-{hashlib.sha1(logical.encode()).hexdigest()[:7]}"


def arn(service: str, resource: str) -> str:
    return f"arn:{PARTITION}:{service}:{REGION}:{ACCOUNT_ID}:{resource}"


def bucket_arn(name: str) -> str:
    return f"arn:{PARTITION}:s3:::{name}"


def queue_arn(name: str) -> str:
    return arn("sqs", name)


def queue_url(name: str) -> str:
    return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}"


def role_arn(logical: str) -> str:
    return f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/{physical_name(logical)}"


def security_group_id(logical: str) -> str:
    return "sg-" + hashlib.sha1(logical.encode()).hexdigest()[:17]


def repository_url(name: str) -> str:
    return f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/{name}"


def _require(name: str, inputs: dict[str, Any], *keys: str) -> None:
    missing = [key for key in keys if inputs.get(key) in (None, "", [])]
    if missing:
        raise MockRejection(f"{name}: missing required {', '.join(missing)}")


def _policy(name: str, text: Any) -> None:
    """IAM, S3 and SQS reject a policy that is not a JSON document with statements."""
    try:
        document = json.loads(text)
    except (TypeError, json.JSONDecodeError) as error:
        raise MockRejection(f"{name}: policy is not JSON: {error}") from None
    if document.get("Version") != "2012-10-17" or not document.get("Statement"):
        raise MockRejection(f"{name}: policy lacks Version 2012-10-17 or statements")


def _bucket(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    bucket = inputs.get("bucket") or physical_name(name)
    return bucket, {"bucket": bucket, "arn": bucket_arn(bucket), "region": REGION}


def _bucket_policy(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    _require(name, inputs, "bucket", "policy")
    _policy(name, inputs["policy"])
    return inputs["bucket"], {}


def _queue(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    queue = inputs.get("name") or physical_name(name)
    retention = inputs.get("messageRetentionSeconds", 345_600)
    visibility = inputs.get("visibilityTimeoutSeconds", 30)
    size = inputs.get("maxMessageSize", 262_144)
    if not (
        60 <= retention <= SQS_MAX_RETENTION_SECONDS
        and 0 <= visibility <= SQS_MAX_VISIBILITY_TIMEOUT_SECONDS
        and 1024 <= size <= SQS_MAX_MESSAGE_BYTES
    ):
        raise MockRejection(f"{name}: queue attributes out of SQS's range")
    if "redrivePolicy" in inputs:
        json.loads(inputs["redrivePolicy"])
    url = queue_url(queue)
    return url, {"name": queue, "url": url, "arn": queue_arn(queue)}


def _queue_policy(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    _require(name, inputs, "queueUrl", "policy")
    _policy(name, inputs["policy"])
    return inputs["queueUrl"], {}


def _role(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    _require(name, inputs, "assumeRolePolicy")
    _policy(name, inputs["assumeRolePolicy"])
    if "name" in inputs:
        raise MockRejection(f"{name}: roles are auto-named, so two stacks never collide")
    return physical_name(name), {"name": physical_name(name), "arn": role_arn(name)}


def _role_policy(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    _require(name, inputs, "role", "policy")
    _policy(name, inputs["policy"])
    return f"{inputs['role']}:{physical_name(name)}", {}


def _repository(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    _require(name, inputs, "name")
    repository = inputs["name"]
    return repository, {
        "arn": arn("ecr", f"repository/{repository}"),
        "registryId": ACCOUNT_ID,
        "repositoryUrl": repository_url(repository),
    }


def _image(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    _require(name, inputs, "imageName", "build")
    image_name = inputs["imageName"]
    repository, _, tag = image_name.rpartition(":")
    if not repository or not tag or "/" in tag:
        raise MockRejection(f"{name}: imageName {image_name!r} has no tag")
    return image_name, {
        "imageName": image_name,
        "repoDigest": f"{repository}@{IMAGE_DIGEST}",
        "registryServer": repository.split("/")[0],
    }


def _cluster(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    cluster = inputs.get("name") or physical_name(name)
    cluster_arn = arn("ecs", f"cluster/{cluster}")
    return cluster_arn, {"name": cluster, "arn": cluster_arn}


def _task_definition(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    _require(name, inputs, "family", "containerDefinitions", "cpu", "memory")
    containers = json.loads(inputs["containerDefinitions"])
    if not containers or not all(c.get("name") and c.get("image") for c in containers):
        raise MockRejection(f"{name}: every container needs a name and an image")
    cpu, memory = int(inputs["cpu"]), int(inputs["memory"])
    if memory not in FARGATE_MEMORY_MIB.get(cpu, ()):
        raise MockRejection(f"{name}: no Fargate configuration for cpu {cpu} memory {memory}")
    family = inputs["family"]
    without_revision = arn("ecs", f"task-definition/{family}")
    return family, {
        "arn": f"{without_revision}:1",
        "arnWithoutRevision": without_revision,
        "revision": 1,
    }


def _log_group(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    _require(name, inputs, "name")
    # As the provider reports it: without the ":*" the API appends.
    return inputs["name"], {"arn": arn("logs", f"log-group:{inputs['name']}")}


def _function(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    _require(name, inputs, "role", "runtime", "handler", "code")
    function = inputs.get("name") or physical_name(name)
    function_arn = arn("lambda", f"function:{function}")
    return function, {
        "name": function,
        "arn": function_arn,
        "invokeArn": f"arn:{PARTITION}:apigateway:{REGION}:lambda:path/{function_arn}",
    }


def _schedule(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    _require(name, inputs, "scheduleExpression", "flexibleTimeWindow", "target")
    _require(name, inputs["target"], "arn", "roleArn")
    schedule = inputs.get("name") or physical_name(name)
    return f"default/{schedule}", {
        "name": schedule,
        "arn": arn("scheduler", f"schedule/default/{schedule}"),
    }


def _parameter(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    _require(name, inputs, "name", "type")
    value = inputs.get("value")
    # PutParameter: "Value ... Member must have length greater than or equal to 1".
    if not isinstance(value, str) or not value:
        raise MockRejection(f"{name}: SSM rejects an empty value for {inputs['name']}")
    return inputs["name"], {"arn": arn("ssm", f"parameter{inputs['name']}")}


def _security_group(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    _require(name, inputs, "vpcId")
    group_id = security_group_id(name)
    return group_id, {"arn": arn("ec2", f"security-group/{group_id}")}


def _notification(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    _require(name, inputs, "bucket", "queues")
    # PutBucketNotificationConfiguration refuses two configurations that could both match one
    # key for one event type: "Configuration is ambiguously defined".
    for first, second in itertools.combinations(inputs["queues"], 2):
        prefixes = (first.get("filterPrefix", ""), second.get("filterPrefix", ""))
        suffixes = (first.get("filterSuffix", ""), second.get("filterSuffix", ""))
        if (
            set(first["events"]) & set(second["events"])
            and (prefixes[0].startswith(prefixes[1]) or prefixes[1].startswith(prefixes[0]))
            and (suffixes[0].endswith(suffixes[1]) or suffixes[1].endswith(suffixes[0]))
        ):
            raise MockRejection(f"{name}: Configuration is ambiguously defined: {first}, {second}")
    return inputs["bucket"], {}


def _plain(*required: str) -> Callable[[str, dict[str, Any]], tuple[str, dict[str, Any]]]:
    def model(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        _require(name, inputs, *required)
        return physical_name(name), {}

    return model


# CloudWatch and SNS, as PutDashboard, PutMetricAlarm, CreateTopic and Subscribe validate them.
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
DASHBOARD_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
DASHBOARD_MAX_WIDGETS = 500
DASHBOARD_COLUMNS = 24
DASHBOARD_MAX_HEIGHT = 1000
WIDGET_REQUIRED = {
    "metric": ("metrics", "region"),
    "log": ("query", "region"),
    "text": ("markdown",),
    "alarm": ("alarms",),
}
ALARM_WIDGET_MAX_ALARMS = 100
STATISTICS = frozenset({"SampleCount", "Average", "Sum", "Minimum", "Maximum"})
PERCENTILE = re.compile(r"p(\d{1,2}(\.\d+)?|100)")
HIGH_RESOLUTION_PERIODS = (1, 5, 10, 20, 30)
ALARM_HIGH_RESOLUTION_PERIODS = (10, 20, 30)
COMPARISONS = frozenset(
    {
        "GreaterThanOrEqualToThreshold",
        "GreaterThanThreshold",
        "LessThanThreshold",
        "LessThanOrEqualToThreshold",
    }
)
TREAT_MISSING_DATA = frozenset({"breaching", "notBreaching", "ignore", "missing"})
ALARM_QUERY_ID = re.compile(r"[a-z][a-zA-Z0-9_]*")
ALARM_MAX_QUERIES = 20
ALARM_MAX_ACTIONS = 5
ALARM_NAME_MAX = 255
ALARM_DESCRIPTION_MAX = 1024
ALARM_DIMENSIONS_MAX = 30
ONE_DAY_SECONDS = 86_400
SEVEN_DAYS_SECONDS = 7 * ONE_DAY_SECONDS
SNS_PROTOCOLS = frozenset(
    {"http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"}
)
SNS_DISPLAY_NAME_MAX = 100


def _period(
    name: str, period: Any, evaluation_periods: int, allowed_short: tuple[int, ...]
) -> None:
    # Numbers arrive as floats (Pulumi's wire format); a period must still be whole.
    if not isinstance(period, int | float) or not (
        period in allowed_short or (period >= 60 and period % 60 == 0)
    ):
        raise MockRejection(f"{name}: period {period!r} is not {allowed_short} or a multiple of 60")
    # "Period multiplied by EvaluationPeriods can't be more than 604,800 seconds. For alarms with
    # a period of less than one hour, the total evaluation period can't be longer than one day."
    limit = ONE_DAY_SECONDS if period < 3600 else SEVEN_DAYS_SECONDS
    if period * evaluation_periods > limit:
        raise MockRejection(f"{name}: period x evaluation periods is over {limit} s")


def _statistic(name: str, stat: Any) -> None:
    if stat not in STATISTICS and not (isinstance(stat, str) and PERCENTILE.fullmatch(stat)):
        raise MockRejection(f"{name}: {stat!r} is not a CloudWatch statistic")


def _dimensions(name: str, dimensions: Any) -> None:
    if not isinstance(dimensions, dict) or len(dimensions) > ALARM_DIMENSIONS_MAX:
        raise MockRejection(f"{name}: dimensions must be a map of at most 30")
    for key, value in dimensions.items():
        if not key or not isinstance(value, str) or not value:
            raise MockRejection(f"{name}: dimension {key!r} has no value")


def _dashboard(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    _require(name, inputs, "dashboardName", "dashboardBody")
    dashboard = inputs["dashboardName"]
    if not DASHBOARD_NAME.fullmatch(dashboard):
        raise MockRejection(f"{name}: dashboard name {dashboard!r} has characters AWS refuses")
    try:
        body = json.loads(inputs["dashboardBody"])
    except (TypeError, json.JSONDecodeError) as error:
        raise MockRejection(f"{name}: dashboard body is not JSON: {error}") from None
    widgets = body.get("widgets") if isinstance(body, dict) else None
    if not isinstance(widgets, list) or len(widgets) > DASHBOARD_MAX_WIDGETS:
        raise MockRejection(f"{name}: dashboard body needs a widgets array of at most 500")
    for widget in widgets:
        _widget(name, widget)
    return dashboard, {
        "dashboardArn": f"arn:{PARTITION}:cloudwatch::{ACCOUNT_ID}:dashboard/{dashboard}"
    }


def _widget(name: str, widget: Any) -> None:
    kind = widget.get("type") if isinstance(widget, dict) else None
    properties = widget.get("properties") if isinstance(widget, dict) else None
    if kind not in WIDGET_REQUIRED or not isinstance(properties, dict):
        raise MockRejection(f"{name}: widget {widget!r} has no known type and properties")
    width, height = widget.get("width", 6), widget.get("height", 6)
    x, y = widget.get("x", 0), widget.get("y", 0)
    if not (
        1 <= width <= DASHBOARD_COLUMNS
        and 1 <= height <= DASHBOARD_MAX_HEIGHT
        and 0 <= x < DASHBOARD_COLUMNS
        and y >= 0
    ):
        raise MockRejection(f"{name}: widget {properties.get('title')!r} is outside the grid")
    missing = [key for key in WIDGET_REQUIRED[kind] if not properties.get(key)]
    if missing:
        raise MockRejection(f"{name}: {kind} widget lacks {', '.join(missing)}")
    if kind == "metric":
        if "stat" in properties:
            _statistic(name, properties["stat"])
        if "period" in properties:
            _period(name, properties["period"], 1, HIGH_RESOLUTION_PERIODS)
        for metric in properties["metrics"]:
            _dashboard_metric(name, metric)
    if kind == "alarm":
        alarms = properties["alarms"]
        if len(alarms) > ALARM_WIDGET_MAX_ALARMS or not all(
            isinstance(a, str) and a.startswith(f"arn:{PARTITION}:cloudwatch:") for a in alarms
        ):
            raise MockRejection(f"{name}: an alarm widget lists at most 100 alarm ARNs")


def _dashboard_metric(name: str, metric: Any) -> None:
    """``[namespace, name, dimension, value, ..., {options}]`` or ``[{expression options}]``."""
    if not isinstance(metric, list) or not metric:
        raise MockRejection(f"{name}: a widget metric must be a non-empty array")
    *parts, last = metric
    options = last if isinstance(last, dict) else {}
    parts = parts if isinstance(last, dict) else metric
    if "stat" in options:
        _statistic(name, options["stat"])
    if not parts:
        if not options.get("expression"):
            raise MockRejection(f"{name}: a metric of options alone needs an expression")
        return
    if len(parts) < 2 or len(parts) % 2 or not all(isinstance(p, str) and p for p in parts):
        raise MockRejection(f"{name}: metric {metric!r} is not namespace, name, dimension pairs")


def _metric_alarm(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    _require(name, inputs, "comparisonOperator", "evaluationPeriods")
    alarm = inputs.get("name") or physical_name(name)
    if (
        len(alarm) > ALARM_NAME_MAX
        or len(inputs.get("alarmDescription", "")) > ALARM_DESCRIPTION_MAX
    ):
        raise MockRejection(f"{name}: alarm name or description too long")
    if inputs["comparisonOperator"] not in COMPARISONS:
        raise MockRejection(f"{name}: comparison {inputs['comparisonOperator']!r} unknown")
    evaluation_periods = inputs["evaluationPeriods"]
    if not 1 <= inputs.get("datapointsToAlarm", evaluation_periods) <= evaluation_periods:
        raise MockRejection(f"{name}: datapointsToAlarm must be 1 to evaluationPeriods")
    if inputs.get("treatMissingData", "missing") not in TREAT_MISSING_DATA:
        raise MockRejection(f"{name}: treatMissingData {inputs['treatMissingData']!r} unknown")
    if "threshold" not in inputs and "thresholdMetricId" not in inputs:
        raise MockRejection(f"{name}: a static alarm needs a threshold")
    for key in ("alarmActions", "okActions", "insufficientDataActions"):
        actions = inputs.get(key, [])
        if len(actions) > ALARM_MAX_ACTIONS or not all(a.startswith("arn:") for a in actions):
            raise MockRejection(f"{name}: {key} takes at most 5 ARNs")
    queries = inputs.get("metricQueries")
    single = ("metricName", "namespace", "statistic", "extendedStatistic", "period", "dimensions")
    if queries:
        if any(key in inputs for key in single):
            raise MockRejection(f"{name}: metricQueries exclude metricName, statistic, period...")
        _metric_queries(name, queries, evaluation_periods)
    else:
        _require(name, inputs, "metricName", "namespace", "period")
        if ("statistic" in inputs) == ("extendedStatistic" in inputs):
            raise MockRejection(f"{name}: give exactly one of statistic and extendedStatistic")
        if "statistic" in inputs and inputs["statistic"] not in STATISTICS:
            raise MockRejection(f"{name}: statistic {inputs['statistic']!r} unknown")
        _period(name, inputs["period"], evaluation_periods, ALARM_HIGH_RESOLUTION_PERIODS)
        _dimensions(name, inputs.get("dimensions", {}))
    alarm_arn = arn("cloudwatch", f"alarm:{alarm}")
    return alarm, {"name": alarm, "arn": alarm_arn}


def _metric_queries(name: str, queries: list[dict[str, Any]], evaluation_periods: int) -> None:
    ids = [query.get("id", "") for query in queries]
    if len(queries) > ALARM_MAX_QUERIES or len(set(ids)) != len(ids):
        raise MockRejection(f"{name}: metric query ids must be unique, at most 20 queries")
    # ReturnData defaults to true; an alarm watches exactly one query.
    if sum(1 for query in queries if query.get("returnData", True)) != 1:
        raise MockRejection(f"{name}: exactly one metric query must return data")
    for query in queries:
        if not ALARM_QUERY_ID.fullmatch(query.get("id", "")):
            raise MockRejection(f"{name}: query id {query.get('id')!r} must start lowercase")
        if ("expression" in query) == ("metric" in query):
            raise MockRejection(f"{name}: a query has an expression or a metric, not both")
        if "metric" in query:
            metric = query["metric"]
            _require(name, metric, "metricName", "period", "stat")
            _statistic(name, metric["stat"])
            _period(name, metric["period"], evaluation_periods, ALARM_HIGH_RESOLUTION_PERIODS)
            _dimensions(name, metric.get("dimensions", {}))
        else:
            used = set(re.findall(r"\b[a-z][a-zA-Z0-9_]*\b", query["expression"]))
            unknown = {word for word in used if word not in ids and not word.isupper()}
            # Functions and keywords are upper case (FILL, IF, AND); the rest must be query ids.
            if unknown:
                raise MockRejection(f"{name}: expression names unknown queries {sorted(unknown)}")


def _topic(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    topic = inputs.get("name") or physical_name(name)
    if len(inputs.get("displayName", "")) > SNS_DISPLAY_NAME_MAX:
        raise MockRejection(f"{name}: display name over 100 characters")
    topic_arn = arn("sns", topic)
    return topic_arn, {"name": topic, "arn": topic_arn}


def _subscription(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    _require(name, inputs, "topic", "protocol", "endpoint")
    protocol, endpoint = inputs["protocol"], inputs["endpoint"]
    if protocol not in SNS_PROTOCOLS:
        raise MockRejection(f"{name}: protocol {protocol!r} unknown to SNS")
    if protocol.startswith("email") and (
        endpoint.count("@") != 1 or any(c.isspace() for c in endpoint)
    ):
        # Subscribe: "Invalid parameter: Email address".
        raise MockRejection(f"{name}: SNS rejects the email address {endpoint!r}")
    if not inputs["topic"].startswith(f"arn:{PARTITION}:sns:"):
        raise MockRejection(f"{name}: topic must be a topic ARN")
    # An email subscription's ARN is "pending confirmation" until the address confirms.
    return f"{inputs['topic']}:{physical_name(name)}", {"arn": "pending confirmation"}


RESOURCES: dict[str, Callable[[str, dict[str, Any]], tuple[str, dict[str, Any]]]] = {
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _plain("bucket"),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        _plain("bucket", "rules")
    ),
    "aws:s3/bucketPolicy:BucketPolicy": _bucket_policy,
    "aws:s3/bucketNotification:BucketNotification": _notification,
    "aws:sqs/queue:Queue": _queue,
    "aws:sqs/queuePolicy:QueuePolicy": _queue_policy,
    "aws:iam/role:Role": _role,
    "aws:iam/rolePolicy:RolePolicy": _role_policy,
    "aws:ecr/repository:Repository": _repository,
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": _plain("repository", "policy"),
    "docker:index/image:Image": _image,
    "aws:ecs/cluster:Cluster": _cluster,
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": _plain("clusterName"),
    "aws:ecs/taskDefinition:TaskDefinition": _task_definition,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:lambda/function:Function": _function,
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": _plain("functionName"),
    "aws:scheduler/schedule:Schedule": _schedule,
    "aws:ssm/parameter:Parameter": _parameter,
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": lambda name, inputs: (
        f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/aws-service-role/ecs.amazonaws.com/"
        "AWSServiceRoleForECS",
        {"name": "AWSServiceRoleForECS"},
    ),
    "aws:cloudwatch/dashboard:Dashboard": _dashboard,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _metric_alarm,
    "aws:sns/topic:Topic": _topic,
    "aws:sns/topicSubscription:TopicSubscription": _subscription,
}

CALLS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": lambda _: {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:user/deployer",
        "userId": "AIDAEXAMPLEDEPLOYER",
        "id": ACCOUNT_ID,
    },
    "aws:index/getRegion:getRegion": lambda _: {
        "region": REGION,
        "name": REGION,
        "endpoint": f"ec2.{REGION}.amazonaws.com",
        "description": "Europe (Ireland)",
        "id": REGION,
    },
    "aws:index/getPartition:getPartition": lambda _: {
        "partition": PARTITION,
        "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws",
        "id": PARTITION,
    },
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": lambda args: {
        "authorizationToken": "QVdTOnNlY3JldA==",
        "userName": "AWS",
        "password": "secret-token",
        "proxyEndpoint": f"https://{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com",
        "expiresAt": "2030-01-01T00:00:00Z",
        "registryId": args.get("registryId", ACCOUNT_ID),
        "id": REGION,
    },
    "aws:ec2/getVpc:getVpc": lambda _: {
        "id": DEFAULT_VPC_ID,
        "default": True,
        "cidrBlock": "172.31.0.0/16",
        "arn": arn("ec2", f"vpc/{DEFAULT_VPC_ID}"),
    },
    "aws:ec2/getSubnet:getSubnet": lambda args: {
        "id": args["id"],
        "vpcId": "vpc-0fedcba9876543210",
        "arn": arn("ec2", f"subnet/{args['id']}"),
    },
}
