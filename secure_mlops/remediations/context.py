"""What remediations know besides the finding: the environment's published values, the time,
the notification topic.

Some remediations need the environment's own values: S3-01 its S3 key, S3-06 its log bucket,
NET-01 its VPC (whose flow log destination a new flow log reuses). They come from the SSM
parameters the environment publishes (``envcontext.load_context``). Which environment:

1. the one the audit judged the finding in (``details.environment``), else
2. the one named with ``--environment``, else
3. the only environment publishing parameters in the account and region, else
4. the one whose published values name the resource (its bucket, its VPC).

Anything missing is ``NotPlanned`` naming the SSM parameter: ERROR, nothing done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .base import NotPlanned, error_text


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

        from ..envcontext import discover_environments

        if self._names is None:
            try:
                self._names = discover_environments(self.session)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
                raise NotPlanned(f"not remediated: the environments' SSM parameters (/secure-mlops/...) "
                                 f"could not be read ({error_text(exc)})") from None
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
        name = (finding.details or {}).get("environment") or self.environment
        where = f"{self.account}/{self.region}"
        if not name:
            names = self._discover()
            if not names:
                raise NotPlanned(
                    f"not remediated: needs the environment's {', '.join(keys)}, but no environment publishes "
                    f"its parameters (/secure-mlops/<name>/...) in {where}; deploy one with `secure-mlops "
                    "provision`, or pass --environment NAME")
            if len(names) == 1:
                name = names[0]
            else:
                owners = [n for n in names if _names_resource(self._load(n), finding.resource_id)]
                if len(owners) != 1:
                    raise NotPlanned(
                        f"not remediated: several environments publish parameters in {where} "
                        f"({', '.join(names)}) and none owns {finding.resource_id}; pass --environment NAME")
                name = owners[0]
        env = self._load(name)
        missing = [k for k in keys if env.get(k) in (None, "", [])]
        if missing:
            raise NotPlanned(
                f"not remediated: environment {name!r} does not publish "
                + ", ".join(f"/secure-mlops/{name}/{k}" for k in missing)
                + f" in {where}; redeploy it (`secure-mlops provision`) or pass --environment NAME")
        return env


def _names_resource(env, resource_id: str) -> bool:
    for value in env.values.values():
        if value == resource_id or (isinstance(value, list) and resource_id in value):
            return True
    return False


def ensure(context, session) -> RemediationContext:
    """The given context, or a default one for a direct call of ``plan(finding, session)``."""
    return context if context is not None else RemediationContext(session)
