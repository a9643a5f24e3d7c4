"""An account's first ECS cluster: the service-linked role exists before the cluster is created.

CreateCluster creates AWSServiceRoleForECS itself, asynchronously, so on an account that never
used ECS the capacity providers written right after fail ("Unable to assume the service linked
role"); the mocks refuse them exactly then. A second deploy would succeed, but a first one must.
"""

from __future__ import annotations

from tests.unit.infra import types as t
from tests.unit.infra.mocks import AwsMocks
from tests.unit.infra.program import StackRun, run_program, stack_config


def test_a_new_account_gets_the_role_first_and_keeps_it(default_run: StackRun) -> None:
    # GIVEN the mocks' default account, which has never used ECS
    role = default_run.one(t.SERVICE_LINKED_ROLE)
    cluster = default_run.one(t.CLUSTER)

    assert role.inputs["awsServiceName"] == "ecs.amazonaws.com"
    assert default_run.depends_on(cluster, t.SERVICE_LINKED_ROLE, role.name)
    # later runs (which find it) and destroy leave it: other ECS users in the account need it
    assert role.retained


def test_an_account_that_used_ecs_is_left_as_it_is() -> None:
    # GIVEN an account that already has the role; creating it again would be refused
    run = run_program(stack_config(), mocks=AwsMocks(ecs_service_linked_role=True))

    assert not run.of_type(t.SERVICE_LINKED_ROLE)
    assert run.one(t.CAPACITY_PROVIDERS)
