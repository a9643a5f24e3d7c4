"""The embedded emulator: moto's server, routing each request to its service cheaply."""

from __future__ import annotations

import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

import pytest
from moto import backends

from local.emulator import Emulator


def test_each_host_is_routed_once_and_every_request_reaches_its_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN moto's lookup of a request's service (a listing of its package directory), counted
    listings = 0
    list_modules = backends.list_of_moto_modules

    def counted() -> Iterable[str]:
        nonlocal listings
        listings += 1
        return list_modules()

    monkeypatch.setattr(backends, "list_of_moto_modules", counted)
    with Emulator() as emulator:
        s3, sqs = emulator.client("s3"), emulator.client("sqs")
        # WHEN two services get several requests each
        s3.create_bucket(Bucket="routed")
        queue_url = sqs.create_queue(QueueName="routed")["QueueUrl"]
        for number in range(3):
            s3.put_object(Bucket="routed", Key=f"{number}", Body=b"x")
            sqs.send_message(QueueUrl=queue_url, MessageBody=f"{number}")
        # THEN each reached its service
        listed = s3.list_objects_v2(Bucket="routed")["Contents"]
        assert sorted(entry["Key"] for entry in listed) == ["0", "1", "2"]
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "3"
    # AND the package was listed once per host (S3's, SQS's), not for every request
    assert listings == 2


def test_leaving_the_block_closes_the_port() -> None:
    with Emulator() as emulator:
        address = urlsplit(emulator.endpoint_url)
        assert address.hostname is not None and address.port is not None
        socket.create_connection((address.hostname, address.port), timeout=5).close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address.hostname, address.port), timeout=5)
