"""Where commands act: an AWS account and region, or the embedded emulator.

The standard AWS environment decides (AWS_PROFILE, AWS_REGION / AWS_DEFAULT_REGION,
AWS_ENDPOINT_URL and the usual credential chain). With ``--local`` commands go to the embedded
emulator (started if needed) and nothing of the user's AWS configuration is read. Without any
AWS setting at all (no credentials, no profile named), they fall back to the emulator, and say
so; a profile or credential variable that was set but yields no credentials is an error, never a
fallback: a CI job whose credentials went missing must not audit the emulator and pass.
A region botocore does not know is refused before any call, on AWS and on the emulator.

The session is built here, by the CLI, and passed to everything else as an argument.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Any


class TargetError(Exception):
    """No usable target (missing region or credentials, unreachable endpoint)."""


#: variables that choose a profile or give credentials: when one is set, AWS is meant
PROFILE_VARS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")
CREDENTIAL_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN",
                   "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                   "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_ENDPOINT_URL")


# ------------------------------------------------------------------------------ regions
@functools.lru_cache(maxsize=None)
def _endpoints() -> dict:
    """botocore's endpoint data, read from its files: no session, so no profile is read."""
    import botocore.loaders

    return botocore.loaders.create_loader().load_data("endpoints")


def known_regions() -> set[str]:
    """Every region of every partition botocore knows."""
    return {r for p in _endpoints()["partitions"] for r in p.get("regions", {})}


def service_regions(endpoint_prefix: str) -> set[str]:
    """The regions where a service is offered, by its endpoint prefix (e.g. ``api.sagemaker``)."""
    import botocore.regions

    resolver = botocore.regions.EndpointResolver(_endpoints())
    return {r for p in resolver.get_available_partitions()
            for r in resolver.get_available_endpoints(endpoint_prefix, p)}


def check_region(region: str, source: str = "--region") -> str:
    """`region` if botocore knows it; otherwise a UserError naming where it came from.

    A typo must not reach AWS (it waits for an endpoint that does not exist) nor the emulator
    (which accepts any region string, so an audit there would find nothing and pass).
    """
    from .errors import UserError

    known = known_regions()
    if region in known:
        return region
    import difflib

    import botocore

    close = difflib.get_close_matches(region, sorted(known), n=1)
    raise UserError(f"{source} {region!r} is not an AWS region (botocore {botocore.__version__} does not know it)",
                    fix=f"use {close[0]}" if close else
                    "use a region code such as us-east-1 or eu-west-1 (a region newer than this botocore "
                    "needs `pip install -U botocore`)")


def check_config_region(cfg, region: str | None) -> str:
    """The region a command with a configuration acts in: the configuration's.

    ``--region`` may repeat it but not contradict it: the availability zones, endpoints and
    keys of the configuration belong to its region (deploying elsewhere fails half-way).
    """
    from .errors import UserError

    if region and region != cfg.region:
        raise UserError(f"--region {region} differs from the configuration's region ({cfg.region})",
                        file=str(cfg.path), field="region",
                        fix="remove --region, or change `region` (and `availability_zones`) in the file")
    return cfg.region


# ------------------------------------------------------------------------------ the emulator only
def use_emulator_environment() -> None:
    """Commands that act on the emulator only (``--local``, ``demo``) read nothing of the user's
    AWS configuration: no profile, no config or credentials file, no credential variable.

    The process environment is changed (as ``emulator_session`` does) because libraries build
    their own sessions, some at import (Cloud Custodian's X-Ray recorder).
    """
    for var in (*PROFILE_VARS, *CREDENTIAL_VARS, "AWS_SECURITY_TOKEN"):
        os.environ.pop(var, None)
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull


def _named_profile(profile: str | None) -> str | None:
    """The profile a command names: --profile, else AWS_PROFILE, else AWS_DEFAULT_PROFILE."""
    return profile or os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")


def check_profile(profile: str | None) -> None:
    """Whether the named profile (``--profile``, AWS_PROFILE or AWS_DEFAULT_PROFILE) exists, read
    from the config files only (no AWS call). Raises TargetError naming the profile and the fix."""
    name = _named_profile(profile)
    if not name:
        return
    import botocore.session

    try:
        available = botocore.session.Session(profile=None).available_profiles
    except Exception as exc:  # noqa: BLE001 - an unreadable config file is the user's to fix
        raise TargetError(f"the AWS config files could not be read: {exc}") from None
    if name not in available:
        config = os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"
        known = ", ".join(sorted(available)) or "none"
        raise TargetError(f"AWS profile {name!r} is not in {config} or the credentials file (profiles: {known}); "
                          "set --profile / AWS_PROFILE to one of them, unset AWS_PROFILE, or pass --local "
                          "for the embedded emulator")


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
    (Cloud Custodian, c7n-org) reach the same endpoint; nothing of the user's AWS
    configuration (profiles, config and credentials files) is read.
    """
    import boto3

    from .provision.emulator import server

    use_emulator_environment()
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
    return boto3.Session(
        aws_access_key_id=server.ACCESS_KEY,
        aws_secret_access_key=server.SECRET_KEY,
        region_name=region,
    )


def _region_source(region: str | None) -> str:
    """Where the region a command acts in came from, to name it in an error."""
    if region and region != os.environ.get("AWS_REGION"):
        return "--region"
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(var):
            return var
    return "the AWS profile's region"


def _emulator_target(region: str | None, reason: str, announce) -> Target:
    from .provision.emulator import server

    source = _region_source(region)
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or server.DEFAULT_REGION
    check_region(region, source)  # the emulator accepts any string: an audit of a typo would pass
    emu, started = server.start()
    if started and announce:
        announce(f"Started the embedded emulator at {emu.endpoint} (stop it with `secure-mlops local down`).")
    session = emulator_session(emu.endpoint, region)
    return Target(kind="emulator", session=session, region=region, account=server.ACCOUNT_ID,
                  endpoint_url=emu.endpoint, reason=reason)


def _meant_aws(profile: str | None) -> str | None:
    """Why AWS (not the emulator) was meant, when no credentials came of it; None if nothing says so."""
    name = _named_profile(profile)
    if name:
        return f"AWS profile {name} has no credentials"
    given = [var for var in CREDENTIAL_VARS if os.environ.get(var)]
    if given:
        return f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} set, but no AWS credentials could be loaded"
    return None


def _load_credentials(session, profile: str | None):
    """The session's credentials, loaded now (SSO token, credential_process, assumed role), so
    that a failure is one message naming the profile and the fix, not a traceback later."""
    import botocore.exceptions

    name = _named_profile(profile) or "default"
    try:
        creds = session.get_credentials()
        if creds is not None:
            creds.get_frozen_credentials()
        return creds
    except botocore.exceptions.SSOError as exc:
        raise TargetError(f"the SSO session of AWS profile {name} has expired or was never started ({exc}); "
                          f"run `aws sso login --profile {name}`, or pass --local for the embedded emulator"
                          ) from None
    except botocore.exceptions.CredentialRetrievalError as exc:
        raise TargetError(f"AWS profile {name}: credentials could not be retrieved ({exc}); fix the profile's "
                          "credential_process (run it by hand to see why), or pass --local") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise TargetError(f"AWS credentials could not be loaded (profile {name}): {exc}; fix ~/.aws/config or "
                          "the AWS_* variables, or pass --local") from None


def resolve(
    local: bool = False,
    region: str | None = None,
    profile: str | None = None,
    announce=None,
) -> Target:
    """Decide where to act and build the session. `announce` receives one-line notices.

    Raises TargetError (or UserError for a region botocore does not know) with a message that
    says how to fix the environment; no AWS call is made before the region and credentials
    are known to be usable.
    """
    if local:
        use_emulator_environment()
        return _emulator_target(region, "--local was given", announce)

    import boto3
    import botocore.exceptions

    check_profile(profile)
    # botocore reads AWS_DEFAULT_REGION and the profile's region, not AWS_REGION (which the AWS CLI
    # v2 and the other SDKs honour first); the documented AWS_REGION must not be silently ignored
    region = region or os.environ.get("AWS_REGION") or None
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except botocore.exceptions.ProfileNotFound as exc:
        raise TargetError(f"{exc}; set AWS_PROFILE / --profile to a profile in ~/.aws/config") from None

    creds = _load_credentials(session, profile)
    if creds is None:
        meant = _meant_aws(profile)
        if meant:  # AWS was meant: falling back to the emulator would audit the wrong thing and pass
            config = os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"
            raise TargetError(f"{meant}; fix {config} (or the AWS_* variables), or pass --local "
                              "for the embedded emulator")
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
    check_region(session.region_name, _region_source(region))
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    try:
        ident = session.client("sts").get_caller_identity()
    except botocore.exceptions.NoCredentialsError:
        raise TargetError("AWS credentials could not be loaded; run `aws configure` or set AWS_PROFILE") from None
    except botocore.exceptions.ClientError as exc:
        raise TargetError(f"the AWS credentials were refused by STS: {exc}") from None
    except botocore.exceptions.EndpointConnectionError as exc:
        raise TargetError(f"could not reach AWS: {exc}") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise TargetError(f"could not identify the caller with STS: {exc}") from None
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
