"""The worker image: its ECR repository, and the image built from ``worker/`` and pushed there."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

from components.sources import content_hash
from contract.config import CpuArchitecture

KEPT_IMAGES: Final = 10
"""Images the lifecycle policy keeps: the one in use and a few to roll back to."""
TAG_HASH_CHARS: Final = 16
"""64 bits of the content hash: collisions are out of reach for one repository's history."""

PACKAGES: Final = ("contract", "worker")
"""What the build context sends (the root .dockerignore lets only these through): the worker
package, holding the Dockerfile, and the contract it imports."""
DOCKERFILE: Final = "worker/Dockerfile"

DOCKER_PLATFORMS: Final = {
    CpuArchitecture.X86_64: "linux/amd64",
    CpuArchitecture.ARM64: "linux/arm64",
}


@dataclass(frozen=True)
class WorkerImageArgs:
    repository_name: str
    """The ECR repository to create."""
    context: Path
    """The build context: the project directory, holding ``PACKAGES``."""
    cpu_architecture: CpuArchitecture
    """The architecture the tasks run on; the image is built for it."""


def image_tag(
    context: Path, cpu_architecture: CpuArchitecture, packages: tuple[str, ...] = PACKAGES
) -> str:
    """A tag derived from the build context's content and the target platform.

    An unchanged worker keeps its tag (nothing rebuilt or pushed) and a changed worker, or a
    switch of architecture, gets a new one. Going back to an earlier worker brings back its tag,
    and a rebuild is not byte-identical (timestamps, layer order), so the push must be allowed to
    move the tag: the repository's tags are mutable, and tasks run the pushed digest, never a tag.
    """
    platform = DOCKER_PLATFORMS[cpu_architecture].rpartition("/")[2]
    return f"{platform}-{content_hash(context, packages)[:TAG_HASH_CHARS]}"


class WorkerImage(pulumi.ComponentResource):
    """The ECR repository and the worker image pushed to it."""

    repository_arn: pulumi.Output[str]
    repository_url: pulumi.Output[str]
    image_digest: pulumi.Output[str]
    """``<repository>@sha256:...``: what the task definition runs, pinned to this build."""

    def __init__(
        self, name: str, args: WorkerImageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fargate-pipeline:index:WorkerImage", name, None, opts)
        repository = aws.ecr.Repository(
            f"{name}-repository",
            name=args.repository_name,
            # So `pulumi destroy` can delete the repository with its images in it.
            force_delete=True,
            # Mutable: a rollback (worker A, then B, then A again) pushes a rebuild of A under A's
            # tag, which an IMMUTABLE repository refuses. What runs is pinned by digest instead.
            image_tag_mutability="MUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                scan_on_push=True
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=repository.name,
            policy=json.dumps(_lifecycle_policy()),
            opts=pulumi.ResourceOptions(parent=self),
        )
        token = aws.ecr.get_authorization_token_output(
            registry_id=repository.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        tag = image_tag(args.context, args.cpu_architecture)
        context = Path(os.path.relpath(args.context))
        image = docker.Image(
            f"{name}-image",
            image_name=pulumi.Output.concat(repository.repository_url, ":", tag),
            # Relative paths keep the state the same wherever the project is checked out.
            build=docker.DockerBuildArgs(
                context=context.as_posix(),
                dockerfile=(context / DOCKERFILE).as_posix(),
                platform=DOCKER_PLATFORMS[args.cpu_architecture],
            ),
            registry=docker.RegistryArgs(
                server=repository.repository_url,
                username=token.user_name,
                password=pulumi.Output.secret(token.password),
            ),
            # False (the default): preview builds nothing and the digest is unknown until up.
            # The provider still connects to the Docker daemon for preview, refresh and destroy.
            build_on_preview=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.repository_arn = repository.arn
        self.repository_url = repository.repository_url
        self.image_digest = image.repo_digest
        self.register_outputs(
            {
                "repository_arn": self.repository_arn,
                "repository_url": self.repository_url,
                "image_digest": self.image_digest,
            }
        )


def _lifecycle_policy() -> dict[str, object]:
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Keep the last {KEPT_IMAGES} worker images",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": KEPT_IMAGES,
                },
                "action": {"type": "expire"},
            }
        ]
    }
