"""What remediations know besides the finding: the environment's published values, the time,
the notification topic.

Some remediations need the environment's own values: S3-01 its S3 key, S3-06 its log bucket,
NET-01 its VPC (whose flow log destination a new flow log reuses). They come from the SSM
parameters the environment publishes (``envcontext.load_context``). Which environment:

1. the one named with ``--environment`` (the user's explicit choice: applied to any resource),
   else
2. the one the audit judged the finding in (``details.environment``), else
3. the one that owns the resource: its published values name it (its bucket, its VPC), or the
   resource carries its ``environment`` tag (every resource its stacks create does).

A resource no environment owns is **skipped** (``Skipped``: FAIL, nothing done), never given
the only environment's key or flow log destination: an S3 key or a log group is access to the
environment's data, and a bucket or VPC outside the environment must not get it unless the
user names the environment. Anything missing is ``NotPlanned`` naming the SSM parameter: ERROR,
nothing done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .base import NotPlanned, Skipped, error_text

#: what a remediation takes from the environment, as messages name it
WHAT = {"s3-kms-key-arn": "S3 key", "vpc-id": "flow log destination", "log-bucket": "log bucket"}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class RemediationContext:
    session: Any
    account: str | None = None
    region: str | None = None
    environment: str | None = None  # --environment
    notify_topic: str | None = None  # --notify
    now: str = field(default_factory=_now)
    _names: list[str] | None = None
    _envs: dict[str, Any] = field(default_factory=dict)

    # -- environments ---------------------------------------------------------------------
    def _discover(self) -> list[str]:
        import botocore.exceptions

        from ..envcontext import load_contexts

        if self._names is None:
            try:
                envs = load_contexts(self.session)  # their values too: `_load` need not read them again
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
                raise NotPlanned(f"not remediated: the environments' SSM parameters (/secure-mlops/...) "
                                 f"could not be read ({error_text(exc)})") from None
            self._envs.update({env.name: env for env in envs})
            self._names = [env.name for env in envs]
        return self._names

    def _load(self, name: str):
        import botocore.exceptions

        from ..envcontext import load_context

        if name not in self._envs:
            try:
                self._envs[name] = load_context(self.session, name)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
                raise NotPlanned(f"not remediated: the SSM parameters of environment {name!r} "
                                 f"(/secure-mlops/{name}/...) could not be read ({error_text(exc)})") from None
        return self._envs[name]

    def environment_for(self, finding, keys: tuple[str, ...]):
        """The environment whose values this finding's remediation uses; every key present."""
        name = (finding.details or {}).get("environment") or self._owner(finding, keys)
        where = f"{self.account}/{self.region}"
        env = self._load(name)
        missing = [k for k in keys if env.get(k) in (None, "", [])]
        if missing:
            raise NotPlanned(
                f"not remediated: environment {name!r} does not publish "
                + ", ".join(f"/secure-mlops/{name}/{k}" for k in missing)
                + f" in {where}; redeploy it (`secure-mlops provision`) or pass --environment NAME")
        return env

    def _owner(self, finding, keys: tuple[str, ...]) -> str:
        """The environment that owns the resource, else the one named with --environment, else Skipped."""
        where = f"{self.account}/{self.region}"
        try:
            names = self._discover()
        except NotPlanned:
            if self.environment:
                return self.environment  # the user's choice; owners cannot be known
            raise
        if not names and not self.environment:
            raise NotPlanned(
                f"not remediated: needs the environment's {', '.join(keys)}, but no environment publishes "
                f"its parameters (/secure-mlops/<name>/...) in {where}; deploy one with `secure-mlops "
                "provision`, or pass --environment NAME")
        tag = self._environment_tag(finding) if names else None
        owners = [n for n in names if n == tag or _names_resource(self._load(n), finding.resource_id)]
        if len(owners) == 1:
            return owners[0]
        if len(owners) > 1:
            if self.environment in owners:
                return self.environment
            raise NotPlanned(f"not remediated: several environments claim {finding.resource_id} "
                             f"({', '.join(owners)}); pass --environment with one of them")
        if self.environment:
            return self.environment  # explicitly chosen for a resource outside every environment
        what = " and ".join(WHAT.get(k, k) for k in keys)
        one = names[0] if len(names) == 1 else None
        outside = f"environment {one}" if one else "every environment (" + ", ".join(names) + ")"
        raise Skipped(
            f"skipped: {finding.resource_id} is outside {outside}: no value the environment publishes names it "
            f"and it has no `environment` tag naming one, so no environment's {what} is applied to it; "
            + (f"to apply the {what} of environment {one} anyway, pass --environment {one}" if one else
               f"to apply the {what} of one of them anyway, pass --environment NAME"))

    def _environment_tag(self, finding) -> str | None:
        """The resource's `environment` tag (buckets and VPCs: what these remediations act on), if readable."""
        import botocore.exceptions

        try:
            if finding.resource_type == "AWS::S3::Bucket":
                answer = self.session.client("s3").get_bucket_tagging(Bucket=finding.resource_id)
                tags = answer.get("TagSet") or []
            elif finding.resource_type == "AWS::EC2::VPC":
                vpcs = self.session.client("ec2").describe_vpcs(VpcIds=[finding.resource_id]).get("Vpcs") or []
                tags = (vpcs[0].get("Tags") if vpcs else None) or []
            else:
                return None
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
            return None  # no tags (NoSuchTagSet) or unreadable: the resource claims no environment
        return next((t["Value"] for t in tags if t.get("Key") == "environment"), None)


def _names_resource(env, resource_id: str) -> bool:
    for value in env.values.values():
        if value == resource_id or (isinstance(value, list) and resource_id in value):
            return True
    return False


def ensure(context, session) -> RemediationContext:
    """The given context, or a default one for a direct call of ``plan(finding, session)``."""
    return context if context is not None else RemediationContext(session)
