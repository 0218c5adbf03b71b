"""From a configuration to the stacks that make the environment, in deployment order.

``plan_stacks(cfg)`` returns three ``StackSpec``:

1. ``<name>-artifacts`` (artifacts.yaml): a KMS-encrypted bucket for deployment artifacts.
2. ``<name>-core`` (core.yaml): shared persona and service roles, the SageMaker project roles
   (the deployer sets ``CreateSageMakerProjectRoles`` from the account's state), and the
   Service Catalog portfolio whose data-science-environment product is the env template.
   Before this stack, the deployer uploads env.yaml to the bucket named by the artifacts
   stack's ``ArtifactsBucketName`` output and passes its URL as ``EnvironmentTemplateUrl``
   (``uploads``); ``EnvironmentTemplateVersion`` names the product version after the
   template's digest, so a changed template makes a new product version.
3. ``<name>-env`` (env.yaml): the team environment (VPC or existing VPC, endpoints, keys,
   buckets, roles, Studio, registry, parameters, trail, package mirror).

Every stack carries the configuration's tags (team, environment, stage and the extra ones);
the templates tag their resources with team, environment and stage themselves.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .config import MAX_OPTIONAL_ENDPOINTS, MAX_USER_PROFILES, EnvConfig, interface_endpoint_service_name
from .uploads import Upload

TEMPLATES_DIR = Path(__file__).with_name("templates")
NAMED_IAM = ("CAPABILITY_NAMED_IAM",)


@dataclass(frozen=True)
class StackSpec:
    """One stack to deploy (see docs/architecture.md)."""

    name: str
    part: str  # artifacts | core | env
    template_path: Path
    #: every parameter of the template, as CloudFormation strings (the deployer adds the URLs of
    #: `uploads` and ``CreateSageMakerProjectRoles``)
    parameters: dict[str, str]
    capabilities: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    #: files to put in S3 before this stack (their URL goes to Upload.parameter)
    uploads: tuple[Upload, ...] = ()
    description: str = ""


def template_path(part: str) -> Path:
    return TEMPLATES_DIR / f"{part}.yaml"


def template_version(path: Path) -> str:
    """A product version name that changes exactly when the template's content does."""
    return "v-" + hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _join(values) -> str:
    return ",".join(values)


def _persona_parameters(cfg: EnvConfig) -> dict[str, str]:
    auth = cfg.iam.persona_authentication
    return {
        "PersonaAuthentication": auth.method.upper(),
        "IdentityProviderArn": auth.provider_arn or "",
        "MfaAccountId": auth.mfa_account_id or "",
    }


def _environment_parameters(cfg: EnvConfig) -> dict[str, str]:
    return {"EnvName": cfg.name, "Team": cfg.team, "Stage": cfg.stage}


def artifacts_parameters(cfg: EnvConfig) -> dict[str, str]:
    return _environment_parameters(cfg)


def core_parameters(cfg: EnvConfig) -> dict[str, str]:
    roles = cfg.iam.existing_roles
    return {
        **_environment_parameters(cfg),
        "CreateIamRoles": _bool(cfg.iam.create_roles),
        "DsAdministratorRoleArn": roles.get("ds_administrator", ""),
        "ServiceCatalogLaunchRoleArn": roles.get("service_catalog_launch", ""),
        "DetectiveControlRoleArn": roles.get("detective_control", ""),
        **_persona_parameters(cfg),
        "EnvironmentTemplateVersion": template_version(template_path("env")),
    }


def env_parameters(cfg: EnvConfig) -> dict[str, str]:
    net = cfg.network
    new, existing = net.new_vpc, net.existing_vpc
    roles = cfg.iam.existing_roles
    params = {
        **_environment_parameters(cfg),
        "InternetFree": _bool(net.internet_free),
        "VpcCidr": net.vpc_cidr,
        "AvailabilityZones": _join(cfg.availability_zones) if new else "",
        "NumberOfAZs": str(len(cfg.availability_zones)) if new else "2",
        "PrivateSubnetCidrs": _join(new.private_subnet_cidrs) if new else "",
        "CreateNatGateways": _bool(net.nat_gateways),
        "PublicSubnetCidrs": _join(new.public_subnet_cidrs) if new else "",
        "FlowLogRetentionDays": str(net.flow_log_retention_days),
        "ExistingVpcId": existing.vpc_id if existing else "",
        "ExistingPrivateSubnetIds": _join(existing.private_subnet_ids) if existing else "",
        "ExistingPrivateRouteTableIds": _join(existing.private_route_table_ids) if existing else "",
        "InterfaceEndpoints": _join(net.interface_endpoints),
        "CreateIamRoles": _bool(cfg.iam.create_roles),
        "DataScientistRoleArn": roles.get("data_scientist", ""),
        "TeamAdminRoleArn": roles.get("team_admin", ""),
        "SageMakerExecutionRoleArn": roles.get("sagemaker_execution", ""),
        "PipelineExecutionRoleArn": roles.get("pipeline_execution", ""),
        "ModelExecutionRoleArn": roles.get("model_execution", ""),
        **_persona_parameters(cfg),
        "StudioAuthMode": cfg.studio.auth_mode,
        "StagingAccountIds": _join(cfg.targets.staging_accounts),
        "ProductionAccountIds": _join(cfg.targets.production_accounts),
        "TargetOrgPaths": _join(cfg.targets.ous),
        "CreateTrail": _bool(cfg.audit.create_trail),
    }
    optional = [interface_endpoint_service_name(n, cfg.region) for n in net.optional_interface_endpoints]
    for i in range(MAX_OPTIONAL_ENDPOINTS):
        params[f"OptionalInterfaceEndpoint{i + 1}"] = optional[i] if i < len(optional) else ""
    profiles = cfg.studio.user_profiles
    for i in range(MAX_USER_PROFILES):
        params[f"UserProfile{i + 1}Name"] = profiles[i].name if i < len(profiles) else ""
        params[f"UserProfile{i + 1}Owner"] = profiles[i].owner if i < len(profiles) else "unassigned"
    return params


def plan_stacks(cfg: EnvConfig) -> list[StackSpec]:
    """The environment's stacks in deployment order."""
    tags = dict(cfg.tags)
    artifacts = f"{cfg.name}-artifacts"
    return [
        StackSpec(
            name=artifacts, part="artifacts", template_path=template_path("artifacts"),
            parameters=artifacts_parameters(cfg), tags=tags,
            description="KMS-encrypted bucket for the files uploaded before the other stacks",
        ),
        StackSpec(
            name=f"{cfg.name}-core", part="core", template_path=template_path("core"),
            parameters=core_parameters(cfg), capabilities=NAMED_IAM, tags=tags,
            uploads=(Upload(path=template_path("env"), bucket_output=(artifacts, "ArtifactsBucketName"),
                            parameter="EnvironmentTemplateUrl"),),
            description="shared roles, SageMaker project roles, Service Catalog portfolio and product",
        ),
        StackSpec(
            name=f"{cfg.name}-env", part="env", template_path=template_path("env"),
            parameters=env_parameters(cfg), capabilities=NAMED_IAM, tags=tags,
            description="the team's data science environment",
        ),
    ]
