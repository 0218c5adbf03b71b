"""The error a deployment step raises when AWS refuses or fails it (exit code 1, not 2)."""

from __future__ import annotations


class DeployError(Exception):
    """A deployment step failed in the target account; the message says what and why."""


def aws_error_text(exc) -> str:
    """The code and message of a botocore ClientError, on one line."""
    err = exc.response.get("Error", {})
    return f"{err.get('Code', '')} {err.get('Message', exc)}".strip()
