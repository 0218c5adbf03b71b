"""Where commands act: an AWS account and region, or the embedded emulator.

The standard AWS environment decides (AWS_PROFILE, AWS_REGION / AWS_DEFAULT_REGION,
AWS_ENDPOINT_URL and the usual credential chain). Without credentials, or with ``--local``,
commands go to the embedded emulator, which is started if needed. The choice is always
announced; falling back to the emulator is never silent.

The session is built here, by the CLI, and passed to everything else as an argument.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any


class TargetError(Exception):
    """No usable target (missing region or credentials, unreachable endpoint)."""


@dataclass
class Target:
    kind: str  # "aws" or "emulator"
    session: Any  # boto3.Session
    region: str
    account: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def is_emulator(self) -> bool:
        return self.kind == "emulator"

    def describe(self) -> str:
        if self.is_emulator:
            return (
                f"embedded emulator at {self.endpoint_url} "
                f"(account {self.account}, region {self.region})"
            )
        where = f"AWS account {self.account or '?'}, region {self.region}"
        if self.profile:
            where += f", profile {self.profile}"
        if self.endpoint_url:
            where += f", endpoint {self.endpoint_url}"
        return where

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "account": self.account,
            "region": self.region,
            "endpoint_url": self.endpoint_url,
            "profile": self.profile,
        }


def emulator_session(endpoint_url: str, region: str):
    """A boto3 session bound to the emulator.

    The process environment is pointed at the emulator too (the same variables that
    ``secure-mlops local env`` prints), so that libraries which build their own sessions
    (Cloud Custodian, c7n-org) reach the same endpoint.
    """
    import boto3

    from .provision.emulator import server

    env = {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": server.ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": server.SECRET_KEY,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        # moto answers unimplemented calls with HTTP 500: do not retry them for seconds
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "standard",
    }
    os.environ.update(env)
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(var, None)
    return boto3.Session(
        aws_access_key_id=server.ACCESS_KEY,
        aws_secret_access_key=server.SECRET_KEY,
        region_name=region,
    )


def _emulator_target(region: str | None, reason: str, announce) -> Target:
    from .provision.emulator import server

    emu, started = server.start()
    if started and announce:
        announce(f"Started the embedded emulator at {emu.endpoint} (stop it with `secure-mlops local down`).")
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or server.DEFAULT_REGION
    session = emulator_session(emu.endpoint, region)
    return Target(kind="emulator", session=session, region=region, account=server.ACCOUNT_ID,
                  endpoint_url=emu.endpoint, reason=reason)


def resolve(
    local: bool = False,
    region: str | None = None,
    profile: str | None = None,
    announce=None,
) -> Target:
    """Decide where to act and build the session. `announce` receives one-line notices.

    Raises TargetError with a message that says how to fix the environment.
    """
    if local:
        return _emulator_target(region, "--local was given", announce)

    import boto3
    import botocore.exceptions

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except botocore.exceptions.ProfileNotFound as exc:
        raise TargetError(f"{exc}; set AWS_PROFILE / --profile to a profile in ~/.aws/config") from None

    creds = session.get_credentials()
    if creds is None:
        reason = "no AWS credentials were found"
        if announce:
            announce(
                "No AWS credentials found: using the embedded emulator instead "
                "(configure credentials to target AWS, or pass --local to choose the emulator explicitly)."
            )
        return _emulator_target(region, reason, announce)

    if not session.region_name:
        raise TargetError(
            "no AWS region is set: pass --region, or set AWS_REGION / AWS_DEFAULT_REGION, "
            "or add `region` to your AWS profile"
        )
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    try:
        ident = session.client("sts").get_caller_identity()
    except botocore.exceptions.NoCredentialsError:
        raise TargetError("AWS credentials could not be loaded; run `aws configure` or set AWS_PROFILE") from None
    except botocore.exceptions.ClientError as exc:
        raise TargetError(f"the AWS credentials were refused by STS: {exc}") from None
    except botocore.exceptions.EndpointConnectionError as exc:
        raise TargetError(f"could not reach AWS: {exc}") from None
    kind = "aws"
    if endpoint:
        from .provision.emulator import server

        emu = server.current()
        if emu and endpoint.rstrip("/") == emu.endpoint:
            kind = "emulator"
    return Target(kind=kind, session=session, region=session.region_name, account=ident["Account"],
                  endpoint_url=endpoint, profile=profile or os.environ.get("AWS_PROFILE"),
                  reason="AWS credentials found", details={"caller_arn": ident.get("Arn")})


def resolve_and_print(local: bool = False, region: str | None = None, profile: str | None = None) -> Target:
    """What every command does first: resolve the target (notices on stderr) and print where it
    acts, before any other AWS call."""
    from . import console

    target = resolve(local=local, region=region, profile=profile, announce=console.announce)
    console.print_target(target)
    return target
