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
   buckets, roles, Studio, registry, parameters, trail, package mirror) and the team's Service
   Catalog portfolio of MLOps project templates, which Studio lists as organization templates.
   Before this stack, the deployer uploads each project's seed code archive and its project
   template, rendered with the defaults a launch from Studio needs (the seed code's bucket and
   key, the AmazonSageMakerServiceCatalogProductsUseRole ARN from the core stack's outputs);
   ``<Product>TemplateUrl`` / ``<Product>TemplateVersion`` name them (``project_uploads``). A
   changed template is a new product version; earlier versions that projects still use are kept
   (``<Product>EarlierTemplate*``, decided from the account's state by ``earlier_versions``).

Every stack carries the configuration's tags (team, environment, stage and the extra ones);
the templates tag their resources with team, environment and stage themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import MAX_OPTIONAL_ENDPOINTS, MAX_USER_PROFILES, EnvConfig, interface_endpoint_service_name
from .deploy_errors import DeployError
from .uploads import Outputs, Upload, content_key, content_version

TEMPLATES_DIR = Path(__file__).with_name("templates")
NAMED_IAM = ("CAPABILITY_NAMED_IAM",)
#: MLOps project template (secure_mlops.seed_code.package) -> env.yaml parameter prefix of its product
PROJECT_PRODUCTS = {"model-build-train": "ModelBuildTrain", "model-deploy": "ModelDeploy"}
#: the tag that lets the SageMaker projects launch role read an object (AWS's convention)
PROVISIONING_TAG = (("servicecatalog:provisioning", "true"),)
#: earlier versions of a project product env.yaml can keep while projects use them
EARLIER_SLOTS = 2


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
    #: parameters decided from the account's current state, read-only: f(session) -> {name: value}
    live_parameters: Callable[[Any], dict[str, str]] | None = None


def template_path(part: str) -> Path:
    return TEMPLATES_DIR / f"{part}.yaml"


def template_version(path: Path) -> str:
    """A product version name that changes exactly when the template's content does."""
    return content_version(Path(path).read_bytes())


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
    for product in PROJECT_PRODUCTS.values():  # none kept until projects use an earlier version (earlier_versions)
        for i in range(1, EARLIER_SLOTS + 1):
            params[f"{product}EarlierTemplateUrl{i}"], params[f"{product}EarlierTemplateVersion{i}"] = "", "none"
    profiles = cfg.studio.user_profiles
    for i in range(MAX_USER_PROFILES):
        params[f"UserProfile{i + 1}Name"] = profiles[i].name if i < len(profiles) else ""
        params[f"UserProfile{i + 1}Owner"] = profiles[i].owner if i < len(profiles) else "unassigned"
    return params


def _seed_archive(name: str, outputs: Outputs) -> bytes:
    from ..seed_code.package import seed_archive

    return seed_archive(name)


def _project_template(name: str, cfg: EnvConfig, outputs: Outputs) -> bytes:
    """The project template with every default a launch from Studio needs, for this environment."""
    from ..seed_code.package import project_template, seed_archive

    use_role = outputs.get(f"{cfg.name}-core", "SageMakerProductsUseRoleArn")
    defaults = {
        "SeedCodeBucket": outputs.get(f"{cfg.name}-artifacts", "ArtifactsBucketName"),
        "SeedCodeKey": content_key(seed_archive(name), f"{name}.zip", cfg.name),
        "ProjectRoleArn": use_role,
    }
    if name == "model-deploy":
        defaults["CloudFormationRoleArn"] = use_role  # deploys the endpoint stacks, as in SageMaker's own templates
    return project_template(name, cfg.name, defaults).encode()


def project_uploads(cfg: EnvConfig) -> tuple[Upload, ...]:
    """The seed archives and project templates the env stack's products are loaded from."""
    from functools import partial

    from ..seed_code.package import PROJECT_TEMPLATES, SEEDS

    bucket = (f"{cfg.name}-artifacts", "ArtifactsBucketName")
    out: list[Upload] = []
    for name, product in PROJECT_PRODUCTS.items():
        out.append(Upload(path=SEEDS[name], name=f"{name}.zip", bucket_output=bucket, prefix=cfg.name,
                          render=partial(_seed_archive, name), tags=PROVISIONING_TAG))
        out.append(Upload(path=PROJECT_TEMPLATES[name], name=f"{name}.yaml", bucket_output=bucket, prefix=cfg.name,
                          render=partial(_project_template, name, cfg), parameter=f"{product}TemplateUrl",
                          version_parameter=f"{product}TemplateVersion", tags=PROVISIONING_TAG))
    return tuple(out)


def earlier_versions(cfg: EnvConfig, session) -> dict[str, str]:
    """The earlier versions of the project products that projects still use, for env.yaml to keep.

    Service Catalog cannot delete a version a provisioned product (a project) uses, and a project
    must be able to stay on it until its team updates it. Reads the deployed env stack (the versions
    it declares and its products), the products' provisioned products, and renders the project
    templates with the deployed stacks' outputs to know the versions about to become current. Every
    slot gets a value ("" when unused), so an unchanged account gives unchanged parameters.
    """
    from .events import describe_stack

    out = {k: v for k, v in env_parameters(cfg).items() if "EarlierTemplate" in k}
    cf, sc = session.client("cloudformation"), session.client("servicecatalog")
    env = describe_stack(cf, f"{cfg.name}-env")
    if env is None or not env["StackStatus"].endswith("_COMPLETE") or "DELETE" in env["StackStatus"]:
        return out
    declared = {p["ParameterKey"]: p.get("ParameterValue", "") for p in env.get("Parameters", [])}
    env_outputs = {o["OutputKey"]: o["OutputValue"] for o in env.get("Outputs", [])}
    deployed = {name: {o["OutputKey"]: o["OutputValue"] for o in (describe_stack(cf, name) or {}).get("Outputs", [])}
                for name in (f"{cfg.name}-artifacts", f"{cfg.name}-core")}
    templates = {u.file_name: u for u in project_uploads(cfg) if u.version_parameter}
    for name, product in PROJECT_PRODUCTS.items():
        product_id = env_outputs.get(f"{product}ProductId")
        if not product_id:
            continue
        current = content_version(templates[f"{name}.yaml"].content(Outputs(deployed, pending=True)))
        versions = [(declared.get(f"{product}TemplateVersion"), declared.get(f"{product}TemplateUrl"))]
        versions += [(declared.get(f"{product}EarlierTemplateVersion{i}"), declared.get(f"{product}EarlierTemplateUrl{i}"))
                     for i in range(1, EARLIER_SLOTS + 1)]
        ids = {a["Name"]: a["Id"] for a in sc.list_provisioning_artifacts(ProductId=product_id)["ProvisioningArtifactDetails"]}
        users: dict[str, list[str]] = {}
        for pp in _provisioned_products(sc, product_id):
            users.setdefault(pp["ProvisioningArtifactId"], []).append(pp.get("Name", pp.get("Id", "?")))
        keep = [(v, url) for v, url in dict.fromkeys(versions) if url and v != current and ids.get(v) in users]
        if len(keep) > EARLIER_SLOTS:
            using = "; ".join(f"{v}: {', '.join(users[ids[v]])}" for v, _ in keep)
            raise DeployError(
                f"projects use {len(keep)} earlier versions of the {name} project template ({using}), and the "
                f"environment keeps at most {EARLIER_SLOTS}: update those projects to the current version "
                "(aws sagemaker update-project --project-name NAME --service-catalog-provisioning-update-details "
                "ProvisioningArtifactId=ID) or delete them, then provision again")
        for i, (version, url) in enumerate(keep, start=1):
            out[f"{product}EarlierTemplateUrl{i}"], out[f"{product}EarlierTemplateVersion{i}"] = url, version
    return out


def _provisioned_products(sc, product_id: str) -> list[dict]:
    found, token = [], None
    while True:
        page = sc.search_provisioned_products(AccessLevelFilter={"Key": "Account", "Value": "self"},
                                              Filters={"SearchQuery": [f"productId:{product_id}"]},
                                              **({"PageToken": token} if token else {}))
        found += [pp for pp in page.get("ProvisionedProducts", []) if pp.get("ProductId") == product_id]
        token = page.get("NextPageToken")
        if not token:
            return found


def plan_stacks(cfg: EnvConfig) -> list[StackSpec]:
    """The environment's stacks in deployment order."""
    from functools import partial

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
            uploads=project_uploads(cfg), live_parameters=partial(earlier_versions, cfg),
            description="the team's data science environment and its MLOps project templates",
        ),
    ]
