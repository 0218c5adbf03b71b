"""The CloudFormation templates and the stack plan: structure, controls, tags, published ids."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest

from secure_mlops import envcontext
from secure_mlops.provision.config import (
    MAX_AZS,
    MAX_OPTIONAL_ENDPOINTS,
    MAX_USER_PROFILES,
    REQUIRED_INTERFACE_ENDPOINTS,
    example_config,
    interface_endpoint_service_name,
    parse_config,
)
from secure_mlops.provision.stacks import TEMPLATES_DIR, plan_stacks, template_version
from secure_mlops.provision.templatefile import parse

TEMPLATES = sorted(TEMPLATES_DIR.glob("*.yaml"))
CONFIGS = Path(__file__).resolve().parent / "data" / "configs"
#: parameters the deployer sets at run time (projects.py decides; uploads give URLs)
RUNTIME_PARAMETERS = {"CreateSageMakerProjectRoles"}
STANDARD_TAGS = ("team", "environment", "stage")


@functools.lru_cache(maxsize=None)
def _parsed(path: Path) -> dict:
    return parse(path.read_text(), path.name)


def _load(name: str) -> dict:
    return _parsed(TEMPLATES_DIR / f"{name}.yaml")


@pytest.fixture(scope="module")
def env():
    return _load("env")


@pytest.fixture(scope="module")
def core():
    return _load("core")


def _of_type(template: dict, rtype: str) -> dict[str, dict]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == rtype}


def _variants() -> dict[str, str]:
    """The example, the minimal configuration and tests/data/configs/variant-*.yaml."""
    out = {"example": example_config(), "minimal": (CONFIGS / "minimal.yaml").read_text()}
    for path in sorted(CONFIGS.glob("variant-*.yaml")):
        out[path.stem.removeprefix("variant-")] = path.read_text()
    return out


VARIANTS = _variants()


# ------------------------------------------------------------------------------ what is deployed
def test_no_nested_stacks_custom_resources_or_lambda():
    for path in TEMPLATES:
        for lid, res in _parsed(path)["Resources"].items():
            rtype = res["Type"]
            assert rtype != "AWS::CloudFormation::Stack", (path.name, lid)
            assert not rtype.startswith(("Custom::", "AWS::CloudFormation::CustomResource", "AWS::Lambda::")), (
                path.name, lid)


def test_templates_use_no_yaml_anchors():
    """CloudFormation does not resolve YAML aliases the way PyYAML does; write everything out."""
    for path in TEMPLATES:
        assert not re.search(r":\s+[&*][\w-]+\s*$", path.read_text(), re.M), path.name


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_plan_gives_every_template_parameter_a_valid_value(variant):
    cfg = parse_config(VARIANTS[variant], f"{variant}.yaml")
    specs = plan_stacks(cfg)
    assert [s.name for s in specs] == [f"{cfg.name}-artifacts", f"{cfg.name}-core", f"{cfg.name}-env"]
    assert [s.part for s in specs] == ["artifacts", "core", "env"]
    for spec in specs:
        template = _parsed(spec.template_path)
        declared = template.get("Parameters", {})
        from_uploads = {p for u in spec.uploads for p in (u.parameter, u.version_parameter) if p}
        assert set(spec.parameters) | from_uploads | RUNTIME_PARAMETERS >= set(declared), spec.name
        assert set(spec.parameters) <= set(declared), spec.name
        for name, value in spec.parameters.items():
            assert isinstance(value, str), (spec.name, name)
            decl = declared[name]
            values = value.split(",") if decl["Type"] == "CommaDelimitedList" else [value]
            if "AllowedValues" in decl:
                assert value in [str(v) for v in decl["AllowedValues"]], (spec.name, name, value)
            if "AllowedPattern" in decl:
                for v in values:
                    assert re.fullmatch(decl["AllowedPattern"], v), (spec.name, name, v)
        assert dict(spec.tags) == dict(cfg.tags)
        needs_iam = any(r["Type"].startswith("AWS::IAM::") for r in template["Resources"].values())
        assert ("CAPABILITY_NAMED_IAM" in spec.capabilities) == needs_iam, spec.name


def test_core_gets_the_env_template_from_the_artifacts_bucket():
    cfg = parse_config(example_config(), "example.yaml")
    artifacts, core, env = plan_stacks(cfg)
    (upload,) = core.uploads
    assert upload.path == env.template_path
    assert upload.bucket_output == (artifacts.name, "ArtifactsBucketName")
    assert upload.parameter == "EnvironmentTemplateUrl"
    assert "ArtifactsBucketName" in _load("artifacts")["Outputs"]
    assert core.parameters["EnvironmentTemplateVersion"] == template_version(env.template_path)
    product = _of_type(_load("core"), "AWS::ServiceCatalog::CloudFormationProduct")["EnvironmentProduct"]
    artifact = product["Properties"]["ProvisioningArtifactParameters"][0]
    assert artifact["Info"] == {"LoadTemplateFromURL": {"Ref": "EnvironmentTemplateUrl"}}


def test_env_parameters_follow_the_configuration():
    cfg = parse_config(VARIANTS["existing-vpc-byo-roles"], "v.yaml")
    p = plan_stacks(cfg)[2].parameters
    assert p["ExistingVpcId"] == "vpc-0123456789abcdef0"
    assert p["ExistingPrivateSubnetIds"] == "subnet-0123456789abcdef0,subnet-0fedcba9876543210"
    assert p["CreateIamRoles"] == "false" and p["DataScientistRoleArn"].endswith(":role/data_scientist")
    assert (p["PersonaAuthentication"], p["StudioAuthMode"], p["CreateTrail"]) == ("SAML", "SSO", "false")
    assert p["TargetOrgPaths"] == "o-a1b2c3d4e5/r-ab12/ou-ab12-33333333"
    assert [p[f"UserProfile{i + 1}Name"] for i in range(MAX_USER_PROFILES)] == [
        f"user-{i}" for i in range(MAX_USER_PROFILES)]
    example = plan_stacks(parse_config(example_config(), "e.yaml"))[2].parameters
    assert example["ExistingVpcId"] == "" and example["PrivateSubnetCidrs"] == "10.0.0.0/19,10.0.32.0/19"
    assert [example[f"OptionalInterfaceEndpoint{i}"] for i in (1, 2, 3, 4)] == [
        interface_endpoint_service_name(n, "us-east-1") for n in ("codecommit", "codebuild", "codepipeline")] + [""]
    assert example["InterfaceEndpoints"].split(",") == list(parse_config(example_config(), "e").network
                                                            .interface_endpoints)


# ------------------------------------------------------------------------------ published ids
def test_env_publishes_exactly_the_envcontext_parameters(env):
    published = {}
    for lid, res in _of_type(env, "AWS::SSM::Parameter").items():
        name = res["Properties"]["Name"]
        assert set(name) == {"Fn::Sub"}, lid
        key = name["Fn::Sub"].removeprefix("/secure-mlops/${EnvName}/")
        published[key] = res["Properties"]["Type"]
        assert envcontext.parameter_name("x", key) == f"/secure-mlops/x/{key}"
    assert set(published) == set(envcontext.PARAMETERS)
    for key, ptype in published.items():
        assert ptype == ("StringList" if key in envcontext.LIST_KEYS else "String"), key


# ------------------------------------------------------------------------------ tags
def _taggable_types() -> set[str]:
    import cfnlint.data.schemas as schemas_pkg

    base = Path(schemas_pkg.__file__).parent
    provider = json.loads((base / "providers" / "us-east-1.json").read_text())
    out = set()
    for path in TEMPLATES:
        for res in _parsed(path)["Resources"].values():
            ref = provider[res["Type"]]
            schema = json.loads((base / "resources" / f"{ref}.json").read_text())
            if "Tags" in schema.get("properties", {}):
                out.add(res["Type"])
    return out


def test_every_taggable_resource_carries_team_environment_and_stage():
    taggable = _taggable_types()
    assert {"AWS::KMS::Key", "AWS::S3::Bucket", "AWS::SageMaker::Domain", "AWS::EC2::VPCEndpoint"} <= taggable
    for path in TEMPLATES:
        for lid, res in _parsed(path)["Resources"].items():
            if res["Type"] not in taggable:
                continue
            tags = res.get("Properties", {}).get("Tags")
            assert tags, (path.name, lid)
            keys = set(tags) if isinstance(tags, dict) else {t["Key"] for t in tags}
            assert set(STANDARD_TAGS) <= keys, (path.name, lid, keys)
            values = tags if isinstance(tags, dict) else {t["Key"]: t["Value"] for t in tags}
            assert values["team"] == {"Ref": "Team"} and values["environment"] == {"Ref": "EnvName"}, (path.name, lid)
            assert values["stage"] == {"Ref": "Stage"}, (path.name, lid)
    for lid, res in _of_type(_load("env"), "AWS::SageMaker::UserProfile").items():
        assert "owner" in {t["Key"] for t in res["Properties"]["Tags"]}, lid  # SM-UP-01


# ------------------------------------------------------------------------------ controls in the templates
def _statements(policy: dict) -> list[dict]:
    return policy["PolicyDocument"]["Statement"] if "PolicyDocument" in policy else policy["Statement"]


def test_guardrail_statements_are_the_same_everywhere(env, core):
    reference = _statements(env["Resources"]["SageMakerGuardrailsPolicy"]["Properties"])
    for lid in ("SharedSageMakerGuardrailsPolicy", "ProjectRoleSageMakerGuardrailsPolicy"):
        assert _statements(core["Resources"][lid]["Properties"]) == reference, lid


def test_iam_01_and_02_deny_one_condition_key_per_statement(env):
    """Keys in one Condition block are ANDed: each "missing X" deny must stand alone."""
    statements = {s["Sid"]: s for s in _statements(env["Resources"]["SageMakerGuardrailsPolicy"]["Properties"])}
    for st in statements.values():
        assert st["Effect"] == "Deny"
        (operator,) = st["Condition"]
        (key,) = st["Condition"][operator]
    vpc_actions = set(statements["DenyWorkloadsWithoutVpcSubnets"]["Action"])
    assert vpc_actions == set(statements["DenyWorkloadsWithoutVpcSecurityGroups"]["Action"])
    assert {"sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob", "sagemaker:CreateNotebookInstance",
            "sagemaker:CreateHyperParameterTuningJob", "sagemaker:CreateModel"} <= vpc_actions
    keys = {(op, k, v) for st in statements.values() for op, cond in st["Condition"].items() for k, v in cond.items()}
    assert {("Null", "sagemaker:VpcSubnets", "true"), ("Null", "sagemaker:VpcSecurityGroupIds", "true"),
            ("Null", "sagemaker:VolumeKmsKey", "true"), ("Null", "sagemaker:OutputKmsKey", "true"),
            ("Bool", "sagemaker:InterContainerTrafficEncryption", "false"),
            ("StringNotEquals", "sagemaker:DirectInternetAccess", "Disabled"),
            ("StringNotEquals", "sagemaker:RootAccess", "Disabled")} <= keys
    attached = {r["Ref"] for r in env["Resources"]["SageMakerGuardrailsPolicy"]["Properties"]["Roles"]}
    assert attached == {"DataScientistRole", "TeamAdminRole", "SageMakerExecutionRole", "PipelineExecutionRole",
                        "ModelExecutionRole"}


def test_no_broad_managed_policies_and_no_star_on_star():
    for path in TEMPLATES:
        t = _parsed(path)
        for lid, res in t["Resources"].items():
            props = res.get("Properties", {})
            for arn in props.get("ManagedPolicyArns", []):
                assert not re.search(r"AdministratorAccess|AmazonSageMakerFullAccess", json.dumps(arn)), (path.name, lid)
            docs = [p["PolicyDocument"] for p in props.get("Policies", [])]
            if res["Type"] == "AWS::IAM::ManagedPolicy":
                docs.append(props["PolicyDocument"])
            for doc in docs:
                for st in doc["Statement"]:
                    if st.get("Effect") == "Allow":
                        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                        assert "*" not in actions, (path.name, lid, st.get("Sid"))


def test_data_scientists_cannot_approve_models_team_admins_can(env):
    deny = env["Resources"]["DenyModelApprovalPolicy"]["Properties"]
    assert {"Ref": "DataScientistRole"} in deny["Roles"] and {"Ref": "TeamAdminRole"} not in deny["Roles"]
    (st,) = _statements(deny)
    assert (st["Effect"], st["Action"]) == ("Deny", "sagemaker:UpdateModelPackage")
    admin = env["Resources"]["TeamAdminPolicy"]["Properties"]
    assert admin["Roles"] == [{"Ref": "TeamAdminRole"}]
    assert any(s["Effect"] == "Allow" and s["Action"] == "sagemaker:UpdateModelPackage" for s in _statements(admin))


def test_persona_policies_isolate_teams_by_tag(env):
    persona = env["Resources"]["PersonaSageMakerPolicy"]["Properties"]
    by_sid = {s["Sid"]: s for s in _statements(persona)}
    use = by_sid["UseResourcesOfTheCallersTeam"]
    assert use["Condition"] == {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}
    assert by_sid["DenyCreatingWithoutATeamTag"]["Condition"] == {"Null": {"aws:RequestTag/team": "true"}}
    assert set(by_sid["DenyCreatingWithoutATeamTag"]["Action"]) == set(by_sid["CreateResourcesTaggedWithTheCallersTeam"]["Action"])


def _trust_branches(role: dict) -> list[dict]:
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    branches, todo = [], [statement]
    while todo:
        node = todo.pop()
        if "Fn::If" in node:
            todo += node["Fn::If"][1:]
        else:
            branches.append(node)
    return branches


@pytest.mark.parametrize("template,role", [("env", "DataScientistRole"), ("env", "TeamAdminRole"),
                                           ("core", "DsAdministratorRole")])
def test_persona_roles_are_assumed_through_federation_or_with_mfa(template, role):
    branches = _trust_branches(_load(template)["Resources"][role])
    actions = sorted(b["Action"] for b in branches)
    assert actions == ["sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"]
    for b in branches:
        if b["Action"] == "sts:AssumeRole":
            assert b["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
        else:
            assert b["Principal"] == {"Federated": {"Ref": "IdentityProviderArn"}}
        assert "sts:TagSession" not in json.dumps(b)  # session tags could override the team tag


def test_keys_rotate_are_kept_and_name_their_principals():
    for path in TEMPLATES:
        for lid, res in _of_type(_parsed(path), "AWS::KMS::Key").items():
            assert res["Properties"]["EnableKeyRotation"] is True, (path.name, lid)
            assert res["DeletionPolicy"] == "Retain" and res["UpdateReplacePolicy"] == "Retain", (path.name, lid)
            for st in res["Properties"]["KeyPolicy"]["Statement"]:
                assert st["Principal"] != "*" and st["Principal"] != {"AWS": "*"}, (path.name, lid)


def test_buckets_are_encrypted_private_versioned_tls_only_and_kept():
    for path in TEMPLATES:
        t = _parsed(path)
        policies = {r["Properties"]["Bucket"]["Ref"]: r["Properties"]["PolicyDocument"]
                    for r in _of_type(t, "AWS::S3::BucketPolicy").values()}
        for lid, res in _of_type(t, "AWS::S3::Bucket").items():
            props = res["Properties"]
            (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms", lid
            assert "Fn::GetAtt" in rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"], lid
            assert set(props["PublicAccessBlockConfiguration"].values()) == {True}, lid
            assert len(props["PublicAccessBlockConfiguration"]) == 4, lid
            assert props["VersioningConfiguration"] == {"Status": "Enabled"}, lid
            assert res["DeletionPolicy"] == "Retain", lid
            tls = [s for s in policies[lid]["Statement"] if s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}]
            assert tls and tls[0]["Effect"] == "Deny" and tls[0]["Action"] == "s3:*", lid


def test_data_and_model_buckets_only_through_the_s3_endpoint_and_logged(env):
    for bucket in ("DataBucket", "ModelBucket"):
        props = env["Resources"][bucket]["Properties"]
        assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "LogBucket"}
        policy = env["Resources"][f"{bucket}Policy"]["Properties"]["PolicyDocument"]
        (vpce,) = [s for s in policy["Statement"] if "aws:sourceVpce" in json.dumps(s)]
        assert vpce["Effect"] == "Deny"
        assert vpce["Condition"]["StringNotEquals"] == {"aws:sourceVpce": {"Ref": "S3GatewayEndpoint"}}
        assert {"s3:GetObject", "s3:PutObject", "s3:ListBucket"} <= set(vpce["Action"])
    trail = env["Resources"]["Trail"]["Properties"]
    assert trail["IsMultiRegionTrail"] is True and trail["EnableLogFileValidation"] is True
    assert trail["IsLogging"] is True and "KMSKeyId" in trail
    (selector,) = trail["EventSelectors"]
    assert [d["Type"] for d in selector["DataResources"]] == ["AWS::S3::Object"]
    assert {json.dumps(v) for v in selector["DataResources"][0]["Values"]} == {
        json.dumps({"Fn::Sub": "${DataBucket.Arn}/"}), json.dumps({"Fn::Sub": "${ModelBucket.Arn}/"})}


def test_s3_endpoint_policy_names_buckets_not_star(env):
    endpoint = env["Resources"]["S3GatewayEndpoint"]["Properties"]
    assert endpoint["VpcEndpointType"] == "Gateway"
    for st in endpoint["PolicyDocument"]["Statement"]:
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        assert "*" not in resources and "arn:aws:s3:::*" not in resources, st["Sid"]


def test_interface_endpoints_and_slots(env):
    endpoints = _of_type(env, "AWS::EC2::VPCEndpoint")
    services = {}
    for lid, res in endpoints.items():
        props = res["Properties"]
        if props["VpcEndpointType"] == "Interface":
            assert props["PrivateDnsEnabled"] is True, lid
            assert props["SecurityGroupIds"] == [{"Ref": "EndpointSecurityGroup"}], lid
            name = props["ServiceName"]
            services[lid] = name.get("Fn::Sub") or name.get("Ref")
    for svc in REQUIRED_INTERFACE_ENDPOINTS + ("codeartifact.api", "codeartifact.repositories"):
        want = interface_endpoint_service_name(svc, "${AWS::Region}")
        assert want in services.values(), svc
    assert sum(1 for v in services.values() if v.startswith("OptionalInterfaceEndpoint")) == MAX_OPTIONAL_ENDPOINTS
    for lid in ("CodeArtifactApiEndpoint", "CodeArtifactRepositoriesEndpoint", "CodeArtifactDomain",
                "CodeArtifactPypiRepository"):
        assert env["Resources"][lid]["Condition"] == "IsInternetFree", lid
    assert env["Resources"]["CodeArtifactPypiRepository"]["Properties"]["ExternalConnections"] == ["public:pypi"]
    ingress = env["Resources"]["EndpointSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert ingress == [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": {"Ref": "VpcCidr"},
                        "Description": "HTTPS from the environment VPC"}]
    assert "SecurityGroupIngress" not in env["Resources"]["SageMakerSecurityGroup"]["Properties"]
    self_ingress = env["Resources"]["SageMakerSecurityGroupSelfIngress"]["Properties"]
    assert self_ingress["SourceSecurityGroupId"] == self_ingress["GroupId"] == {"Ref": "SageMakerSecurityGroup"}


def test_template_slots_match_the_configuration_limits(env):
    resources = env["Resources"]
    assert sum(1 for lid in resources if re.fullmatch(r"PrivateSubnet\d", lid)) == MAX_AZS
    assert sum(1 for lid in resources if re.fullmatch(r"UserProfile\d", lid)) == MAX_USER_PROFILES
    assert sum(1 for lid in resources if re.fullmatch(r"NatGateway\d", lid)) == MAX_AZS
    for lid, res in resources.items():
        if re.fullmatch(r"(NatGateway|PublicSubnet|NatEip|PrivateNatRoute)\d|InternetGateway.*|PublicRouteTable.*", lid):
            assert res["Condition"].startswith("CreateNat"), lid


def test_studio_domain_is_vpc_only_with_the_studio_key(env):
    props = env["Resources"]["StudioDomain"]["Properties"]
    assert props["AppNetworkAccessType"] == "VpcOnly"
    assert props["KmsKeyId"] == {"Fn::GetAtt": ["StudioKey", "Arn"]}
    assert props["AuthMode"] == {"Fn::If": ["UseSso", "SSO", "IAM"]}
    assert props["DefaultUserSettings"]["SecurityGroups"] == [{"Ref": "SageMakerSecurityGroup"}]


def test_flow_logs_are_encrypted_and_kept(env):
    group = env["Resources"]["FlowLogGroup"]["Properties"]
    assert group["KmsKeyId"] == {"Fn::GetAtt": ["FlowLogKey", "Arn"]}
    assert group["RetentionInDays"] == {"Ref": "FlowLogRetentionDays"}
    flow = env["Resources"]["VpcFlowLog"]["Properties"]
    assert flow["TrafficType"] == "ALL" and flow["ResourceType"] == "VPC"
    assert "Condition" not in env["Resources"]["VpcFlowLog"]  # existing VPCs get one too


def test_model_package_group_is_shared_only_with_target_accounts(env):
    policy = env["Resources"]["ModelPackageGroup"]["Properties"]["ModelPackageGroupPolicy"]
    assert policy["Fn::If"][0] == "SharesModelPackageGroup" and policy["Fn::If"][2] == {"Ref": "AWS::NoValue"}
    accounts, ous = policy["Fn::If"][1]["Statement"]
    accounts = accounts["Fn::If"][1]
    assert "UpdateModelPackage" not in json.dumps(accounts["Action"])  # target accounts never approve
    assert "StagingAccountIds" in json.dumps(accounts["Principal"]) and "ProductionAccountIds" in json.dumps(
        accounts["Principal"])
    assert ous["Fn::If"][1]["Condition"] == {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": {"Ref": "TargetOrgPaths"}}}
