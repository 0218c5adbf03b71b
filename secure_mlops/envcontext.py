"""The environment's published ids: SSM parameters written by the env template.

Projects, pipelines and the audit read an environment's ids (VPC, subnets, security
groups, keys, buckets, roles, ...) from SSM parameters named
``/secure-mlops/<environment name>/<key>``. This module is the one place that names them;
the env template writes exactly these (a test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PREFIX = "/secure-mlops"

#: key -> what it holds. List values are stored comma-separated (SSM StringList).
PARAMETERS: dict[str, str] = {
    "team": "team name",
    "stage": "dev, staging or prod",
    "internet-free": '"true" when the environment has no route to the internet',
    "vpc-id": "VPC id",
    "vpc-cidr": "VPC CIDR block",
    "private-subnet-ids": "private subnet ids (StringList)",
    "sagemaker-security-group-id": "security group of SageMaker workloads",
    "endpoint-security-group-id": "security group of the interface endpoints",
    "s3-vpc-endpoint-id": "the S3 gateway endpoint id",
    "interface-endpoints": "service names of the interface endpoints (StringList)",
    "s3-kms-key-arn": "KMS key of the data and model buckets",
    "volume-kms-key-arn": "KMS key of job, notebook and endpoint volumes",
    "studio-kms-key-arn": "KMS key of Studio storage",
    "data-bucket": "data bucket name",
    "model-bucket": "model bucket name",
    "log-bucket": "access log bucket name",
    "data-scientist-role-arn": "data scientist persona role",
    "team-admin-role-arn": "team administrator persona role",
    "sagemaker-execution-role-arn": "SageMaker (Studio, jobs) execution role",
    "pipeline-execution-role-arn": "SageMaker pipeline execution role",
    "model-execution-role-arn": "model (endpoint) execution role",
    "domain-id": "Studio domain id",
    "model-package-group-name": "the team's model package group",
    "staging-accounts": "staging target account ids (StringList, may be empty)",
    "production-accounts": "production target account ids (StringList, may be empty)",
}

LIST_KEYS = {"private-subnet-ids", "interface-endpoints", "staging-accounts", "production-accounts"}


def parameter_name(env_name: str, key: str) -> str:
    if key not in PARAMETERS:
        raise KeyError(f"unknown environment parameter {key!r}")
    return f"{PREFIX}/{env_name}/{key}"


@dataclass
class EnvironmentContext:
    """What an audit knows about one environment (from SSM, or from the configuration)."""

    name: str
    values: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    @property
    def internet_free(self) -> bool | None:
        v = self.values.get("internet-free")
        return None if v is None else str(v).lower() == "true"


def _decode(key: str, value: str) -> Any:
    if key in LIST_KEYS:
        return [v for v in value.split(",") if v and v != "none"]
    return value


def _read(session, path: str) -> dict[str, EnvironmentContext]:
    """The environments whose parameters lie under `path`, with their values (one paginated call)."""
    ssm = session.client("ssm")
    envs: dict[str, EnvironmentContext] = {}
    paginator = ssm.get_paginator("get_parameters_by_path")
    for page in paginator.paginate(Path=path, Recursive=True):
        for p in page["Parameters"]:
            parts = p["Name"].split("/")
            if len(parts) >= 4:
                env = envs.setdefault(parts[2], EnvironmentContext(name=parts[2]))
                if parts[-1] in PARAMETERS:
                    env.values[parts[-1]] = _decode(parts[-1], p["Value"])
    return envs


def load_contexts(session) -> list[EnvironmentContext]:
    """Every environment that published parameters in this account and region, with its values."""
    envs = _read(session, PREFIX)
    return [envs[name] for name in sorted(envs)]


def load_context(session, env_name: str) -> EnvironmentContext:
    """Read every published parameter of one environment (one paginated call)."""
    return _read(session, f"{PREFIX}/{env_name}").get(env_name) or EnvironmentContext(name=env_name)
