"""The CLI's own errors: each is one line for the user, with the exit code it maps to."""

from __future__ import annotations


class OpsError(Exception):
    """Bad usage or a stack that cannot be operated: exit 2, nothing sent."""


class StackNotFound(OpsError):
    """No parameters under the stack's SSM path."""


class MissingParameter(OpsError):
    """The stack lacks a parameter this command needs (deployed by an older version)."""


class InvalidInventory(OpsError):
    """The S3 Inventory manifest cannot be used."""


class SendFailed(Exception):
    """Messages SQS kept refusing after every retry: an AWS error (exit 1)."""
