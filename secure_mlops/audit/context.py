"""The audit's knowledge of the environments in an account and region, as c7n variables.

Some controls can only be judged knowing the environment: its data and model buckets
(S3-04..06, LOG-02), its S3 VPC endpoint (S3-04, NET-04), its VPC and private subnets
(NET-03, NET-05, ART-01), its stage (SM-EPC-02), whether it is internet-free, its persona
roles (IAM-*), its target accounts (SM-REG-03). The context comes from the SSM parameters
the environment publishes (``envcontext``), completed or overridden by ``-c CONFIG``.

A policy that refers to a context variable (``{data_bucket}``) runs once per environment
found; with no environment, or without that value, the control is not evaluated (ERROR),
never passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..envcontext import PARAMETERS, EnvironmentContext

#: interface endpoints NET-03 expects when the environment does not publish its own list
DEFAULT_INTERFACE_ENDPOINTS = [
    "sagemaker.api", "sagemaker.runtime", "notebook", "sts", "logs", "monitoring", "kms",
    "ecr.api", "ecr.dkr", "ssm", "servicecatalog",
]


def _var(key: str) -> str:
    return key.replace("-", "_")


#: every variable an environment can provide (published parameters plus derived values)
ENV_VARIABLES: set[str] = {_var(k) for k in PARAMETERS} | {
    "env_name", "env_buckets", "persona_role_arns", "execution_role_arns", "sagemaker_role_arns",
    "data_scientist_and_execution_role_arns", "target_accounts", "interface_endpoint_services",
}


@dataclass
class AuditContext:
    """What one account-region audit knows: account-level values and its environments."""

    account: str
    region: str
    environments: list[EnvironmentContext] = field(default_factory=list)
    problem: str | None = None  # why no environment is known (shown in ERROR findings)

    def account_variables(self) -> dict[str, Any]:
        from ..sagemaker_images import allowed_image_accounts

        targets: set[str] = set()
        for env in self.environments:
            targets.update(env.get("staging-accounts") or [])
            targets.update(env.get("production-accounts") or [])
        return {
            "allowed_image_accounts": sorted({self.account} | targets | allowed_image_accounts(self.region)),
            "default_interface_endpoints": list(DEFAULT_INTERFACE_ENDPOINTS),
        }

    def environment_variables(self, env: EnvironmentContext) -> dict[str, Any]:
        """The variables of one environment; a value it does not know is absent."""
        v: dict[str, Any] = {"env_name": env.name}
        for key, value in env.values.items():
            if value is None:
                continue
            if key == "internet-free":
                value = str(value).lower() == "true"
            v[_var(key)] = value
        if "data_bucket" in v and "model_bucket" in v:
            v["env_buckets"] = [v["data_bucket"], v["model_bucket"]]
        if "data_scientist_role_arn" in v and "team_admin_role_arn" in v:
            v["persona_role_arns"] = [v["data_scientist_role_arn"], v["team_admin_role_arn"]]
        if "sagemaker_execution_role_arn" in v:
            v["execution_role_arns"] = [v[k] for k in ("sagemaker_execution_role_arn", "pipeline_execution_role_arn",
                                                       "model_execution_role_arn") if k in v]
            if "persona_role_arns" in v:
                v["sagemaker_role_arns"] = v["persona_role_arns"] + v["execution_role_arns"]
            if "data_scientist_role_arn" in v:
                v["data_scientist_and_execution_role_arns"] = [v["data_scientist_role_arn"], *v["execution_role_arns"]]
        if "staging_accounts" in v and "production_accounts" in v:
            v["target_accounts"] = sorted(set(v["staging_accounts"]) | set(v["production_accounts"]))
        v["interface_endpoint_services"] = v.get("interface_endpoints") or list(DEFAULT_INTERFACE_ENDPOINTS)
        return v

    def missing_reason(self, names: set[str]) -> str:
        if not self.environments:
            why = self.problem or "no environment publishes its parameters (/secure-mlops/<name>/...) here"
            return (f"not evaluated: needs the environment's {', '.join(sorted(names))}; {why}. "
                    "Pass -c CONFIG, or audit the account and region where the environment is deployed")
        return ""


def load_audit_context(session, account: str, region: str, cfg=None) -> AuditContext:
    """Find the environments of this account-region (SSM), completed by the configuration."""
    import botocore.exceptions

    from ..envcontext import load_context, load_contexts

    ctx = AuditContext(account=account, region=region)
    try:
        envs = [load_context(session, cfg.name)] if cfg is not None else load_contexts(session)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        ctx.problem = f"the environment's SSM parameters could not be read ({exc})"
        envs = [EnvironmentContext(name=cfg.name)] if cfg is not None else []
    if cfg is not None:
        envs[0].values.update(config_values(cfg))  # the configuration wins over what is published
    ctx.environments = envs
    return ctx


def config_values(cfg) -> dict[str, Any]:
    """Context values a configuration file knows before anything is deployed."""
    values: dict[str, Any] = {}
    for key, getter in (
        ("team", lambda c: c.team),
        ("stage", lambda c: c.stage),
        ("internet-free", lambda c: "true" if c.network.internet_free else "false"),
        ("interface-endpoints", lambda c: list(c.network.interface_endpoints)),
        ("staging-accounts", lambda c: list(c.targets.staging_accounts)),
        ("production-accounts", lambda c: list(c.targets.production_accounts)),
    ):
        try:
            value = getter(cfg)
        except AttributeError:
            continue
        if value is not None:
            values[key] = value
    return values
