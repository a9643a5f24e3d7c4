"""Pulumi mocks that answer like AWS: realistic names, ARNs and URLs, and AWS's own rejections.

Every resource type and data source the program uses is modelled; anything else fails the run,
so a new resource cannot slip through with made-up outputs. Where AWS would reject an input
(a policy that is not JSON, an empty SSM value, a task size Fargate does not offer) the mock
raises too, so the tests fail where ``pulumi up`` would.
"""

from __future__ import annotations

import hashlib
import json
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
        if args.typ == "aws:ecr/repository:Repository":
            url = computed["repositoryUrl"]
            self.mutability[url] = inputs.get("imageTagMutability", "MUTABLE")
        if args.typ == "docker:index/image:Image" and self.registry is not None:
            computed["repoDigest"] = self._push(self.registry, args.name, inputs)
        return resource_id, {**args.inputs, **computed}

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
    return inputs["bucket"], {}


def _plain(*required: str) -> Callable[[str, dict[str, Any]], tuple[str, dict[str, Any]]]:
    def model(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        _require(name, inputs, *required)
        return physical_name(name), {}

    return model


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
