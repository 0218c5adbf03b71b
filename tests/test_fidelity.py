"""Acceptance of issue #3 on the emulator: the provisioned environment is what the templates
declare, as plain boto3 sees it; tampering makes `secure-mlops verify` fail naming the property;
every logical id of every shipped template has a real physical resource readable through its
own service's API (no silent skips)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.emulator, pytest.mark.slow]


# ------------------------------------------------------------------------------ helpers
def cli(*args: str, home) -> subprocess.CompletedProcess:
    """Run the installed CLI as a user would (same emulator: same SECURE_MLOPS_HOME)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(SECURE_MLOPS_HOME=str(home), COLUMNS="250", NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "secure_mlops.cli", *args], capture_output=True, text=True,
                          env=env, timeout=900)


def plain_boto3(home):
    """A boto3 session configured only by `eval "$(secure-mlops local env)"`."""
    import boto3

    out = cli("local", "env", home=home)
    assert out.returncode == 0, out.stderr
    env = dict(line.removeprefix("export ").split("=", 1) for line in out.stdout.splitlines())
    session = boto3.Session(aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                            region_name=env["AWS_DEFAULT_REGION"])
    endpoint = env["AWS_ENDPOINT_URL"]
    return lambda service: session.client(service, endpoint_url=endpoint)


_PROVISIONED: dict[str, str] = {}  # emulator endpoint -> configuration provisioned on it


@pytest.fixture
def environment(emulator, sm_home, tmp_path_factory):
    """The example environment provisioned on this worker's emulator with `secure-mlops provision`.

    Provisioned again only when the emulator no longer holds it (another test reset it).
    Returns (configuration path, environment name, boto3 client factory).
    """
    from secure_mlops.provision.config import example_config, load_config
    from secure_mlops.provision.stacks import plan_stacks

    client = plain_boto3(sm_home)
    path = _PROVISIONED.get(emulator.endpoint)
    if path is None:
        path = str(tmp_path_factory.mktemp("fidelity") / "secure-mlops.yaml")
        with open(path, "w") as fh:
            fh.write(example_config())
    cfg = load_config(path)
    names = [spec.name for spec in plan_stacks(cfg)]
    stacks = {s["StackName"]: s["StackStatus"] for s in client("cloudformation").describe_stacks()["Stacks"]}
    if emulator.endpoint not in _PROVISIONED or any(stacks.get(n) not in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
                                                    for n in names):
        emulator.reset()
        out = cli("provision", "--local", "-c", path, home=sm_home)
        assert out.returncode == 0, out.stderr[-6000:]
        assert "✓ verified" in out.stderr
        _PROVISIONED[emulator.endpoint] = path
    return path, cfg.name, client


def parameter(client, env: str, key: str) -> str:
    return client("ssm").get_parameter(Name=f"/secure-mlops/{env}/{key}")["Parameter"]["Value"]


def key_arn(client, key: str) -> str:
    return client("kms").describe_key(KeyId=key)["KeyMetadata"]["Arn"]


# ------------------------------------------------------------------------------ acceptance 1
def test_the_provisioned_environment_reads_back_with_plain_boto3(environment):
    _, env, client = environment
    sm, s3, iam = client("sagemaker"), client("s3"), client("iam")

    # the Studio domain: VPC only, with its KMS key
    domains = [d for d in sm.list_domains()["Domains"] if d["DomainName"] == f"{env}-studio"]
    assert len(domains) == 1
    domain = sm.describe_domain(DomainId=domains[0]["DomainId"])
    assert domain["AppNetworkAccessType"] == "VpcOnly"
    assert domain["DomainId"] == parameter(client, env, "domain-id")
    assert key_arn(client, domain["KmsKeyId"]) == parameter(client, env, "studio-kms-key-arn")
    assert domain["VpcId"] == parameter(client, env, "vpc-id")
    assert set(domain["SubnetIds"]) == set(parameter(client, env, "private-subnet-ids").split(","))

    # the default user profile
    profiles = sm.list_user_profiles(DomainIdEquals=domain["DomainId"])["UserProfiles"]
    assert [p["UserProfileName"] for p in profiles] == ["data-scientist-1"]
    profile = sm.describe_user_profile(DomainId=domain["DomainId"], UserProfileName="data-scientist-1")
    assert profile["Status"] == "InService"

    # both buckets: KMS encryption, all four public-access-block flags, versioning, TLS-only and
    # VPC-endpoint-only denies
    s3_key = parameter(client, env, "s3-kms-key-arn")
    endpoint_id = parameter(client, env, "s3-vpc-endpoint-id")
    for key in ("data-bucket", "model-bucket"):
        bucket = parameter(client, env, key)
        rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        assert key_arn(client, rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]) == s3_key
        pab = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert pab == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                       "RestrictPublicBuckets": True}
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        statements = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
        denies = [s for s in statements if s["Effect"] == "Deny"]
        assert any(s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false" for s in denies)
        assert any(endpoint_id in json.dumps(s.get("Condition", {}).get("StringNotEquals", {})) and
                   "aws:sourcevpce" in json.dumps(s["Condition"]).lower() for s in denies)

    # persona roles with their policies attached
    for key in ("data-scientist-role-arn", "team-admin-role-arn"):
        name = parameter(client, env, key).rsplit("/", 1)[-1]
        iam.get_role(RoleName=name)
        attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        inline = iam.list_role_policies(RoleName=name)["PolicyNames"]
        assert attached or inline, f"{name} has no policy"
        for policy in attached:
            meta = iam.get_policy(PolicyArn=policy["PolicyArn"])["Policy"]
            doc = iam.get_policy_version(PolicyArn=policy["PolicyArn"],
                                         VersionId=meta["DefaultVersionId"])["PolicyVersion"]["Document"]
            assert (json.loads(doc) if isinstance(doc, str) else doc)["Statement"]

    # the Service Catalog portfolio with its products
    sc = client("servicecatalog")
    portfolios = [p for p in sc.list_portfolios()["PortfolioDetails"] if p["DisplayName"] == f"{env} data science"]
    assert len(portfolios) == 1
    products = sc.search_products_as_admin(PortfolioId=portfolios[0]["Id"])["ProductViewDetails"]
    assert [p["ProductViewSummary"]["Name"] for p in products] == [f"{env} data science environment"]
    assert sc.list_principals_for_portfolio(PortfolioId=portfolios[0]["Id"])["Principals"]

    # the trail: logging, multi-region, validated, KMS-encrypted, with the buckets' data events
    ct = client("cloudtrail")
    trails = ct.describe_trails()["trailList"]
    assert len(trails) == 1
    trail = trails[0]
    assert ct.get_trail_status(Name=trail["TrailARN"])["IsLogging"] is True
    assert trail["IsMultiRegionTrail"] and trail["LogFileValidationEnabled"] and trail["KmsKeyId"]
    selectors = json.dumps(ct.get_event_selectors(TrailName=trail["TrailARN"]))
    assert parameter(client, env, "data-bucket") in selectors and parameter(client, env, "model-bucket") in selectors


# ------------------------------------------------------------------------------ acceptance 2
def test_verify_fails_naming_a_tampered_property(environment, sm_home):
    path, env, client = environment
    out = cli("verify", "--local", "-c", path, home=sm_home)
    assert out.returncode == 0, out.stderr[-4000:]
    assert "✓ verified" in out.stderr

    s3 = client("s3")
    bucket = parameter(client, env, "data-bucket")
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    try:
        out = cli("verify", "--local", "-c", path, home=sm_home)
        assert out.returncode == 1
        assert (f"stack {env}-env, DataBucket (AWS::S3::Bucket), property "
                "PublicAccessBlockConfiguration.BlockPublicAcls: declared true, actual false") in out.stderr
        assert "1 mismatch(es)" in out.stderr
    finally:  # leave the environment as provisioned for the other tests of this worker
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True})


# ------------------------------------------------------------------------------ acceptance 3
def test_every_logical_id_of_the_environment_templates_is_a_real_resource(environment):
    from secure_mlops.provision.config import load_config
    from secure_mlops.cfn_template import parse
    from secure_mlops.provision.stacks import plan_stacks
    from secure_mlops.provision.verify import read_back

    path, _, client = environment
    specs = plan_stacks(load_config(path))
    session = _session(client)
    results = read_back(session, [spec.name for spec in specs])
    for spec, result in zip(specs, results):
        declared = parse(open(spec.template_path).read())["Resources"]
        listed = {r["LogicalResourceId"]: r for r in client("cloudformation").get_paginator(
            "list_stack_resources").paginate(StackName=spec.name).build_full_result()["StackResourceSummaries"]}
        assert all(listed), f"{spec.name}: blank rows in list_stack_resources"
        assert set(listed) <= set(declared), f"{spec.name}: undeclared resources {set(listed) - set(declared)}"
        for logical_id in listed:
            assert listed[logical_id]["PhysicalResourceId"], f"{spec.name}/{logical_id}: blank physical id"
        # every declared resource whose condition holds was listed and read through its own API
        assert result.resources_expected == len(listed), spec.name
        assert result.resources_read == result.resources_expected, spec.name
        assert result.mismatches == [], [m.message() for m in result.mismatches]


class _Session:
    """What read_back needs of a boto3 Session, over the plain clients."""

    def __init__(self, make_client):
        self.make_client = make_client
        self.region_name = make_client("sts").meta.region_name

    def client(self, name):
        return self.make_client(name)


def _session(client):
    return _Session(client)


def _deploy(client, name: str, body: str, parameters: dict[str, str]) -> str:
    import time

    cf = client("cloudformation")
    cf.create_stack(StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_NAMED_IAM"],
                    Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
    while True:
        stack = cf.describe_stacks(StackName=name)["Stacks"][0]
        if not stack["StackStatus"].endswith("IN_PROGRESS"):
            return stack["StackStatus"]
        time.sleep(0.3)


def test_every_logical_id_of_the_project_and_endpoint_templates_is_a_real_resource(environment):
    """The MLOps project templates (Service Catalog products launched by SageMaker projects) and
    the endpoint template their deploy pipeline uses, deployed on the provisioned environment."""
    from secure_mlops.cfn_template import parse
    from secure_mlops.provision.verify import read_back
    from secure_mlops.seed_code.package import PROJECT_TEMPLATES, SEEDS, project_template, seed_archive

    _, env, client = environment
    cf, s3, sm = client("cloudformation"), client("s3"), client("sagemaker")
    outputs = {o["OutputKey"]: o["OutputValue"]
               for o in cf.describe_stacks(StackName=f"{env}-artifacts")["Stacks"][0].get("Outputs", [])}
    bucket = outputs["ArtifactsBucketName"]
    use_role = client("iam").get_role(RoleName="AmazonSageMakerServiceCatalogProductsUseRole")["Role"]["Arn"]
    project = {"SageMakerProjectName": "abalone", "SageMakerProjectId": "p-fidelity1", "SeedCodeBucket": bucket,
               "ProjectRoleArn": use_role}
    stacks = {}
    for name in PROJECT_TEMPLATES:
        s3.put_object(Bucket=bucket, Key=f"seed-code/{name}.zip", Body=seed_archive(name))
        stack = f"sagemaker-abalone-p-fidelity1-{name}"
        if not any(s["StackName"] == stack for s in cf.describe_stacks()["Stacks"]):
            extra = {"CloudFormationRoleArn": use_role} if name == "model-deploy" else {}
            assert _deploy(client, stack, project_template(name, env), {**project, **extra}) == "CREATE_COMPLETE"
        stacks[stack] = parse(project_template(name, env))

    # the endpoint template, for an approved version of the model the build project registers (in the team's group)
    group = f"{env}-models"
    package = sm.create_model_package(
        ModelPackageGroupName=group, ModelApprovalStatus="Approved",
        InferenceSpecification={"Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/"
                                                         "sagemaker-xgboost:1.7-1",
                                                "ModelDataUrl": f"s3://{bucket}/model.tar.gz"}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
    )["ModelPackageArn"]
    endpoint_template = (SEEDS["model-deploy"] / "endpoint-config-template.yaml").read_text()
    endpoint_template = endpoint_template.replace("/secure-mlops/ds-team-dev/", f"/secure-mlops/{env}/")
    assert _deploy(client, "abalone-staging", endpoint_template,
                   {"ProjectName": "abalone", "StageName": "staging", "ModelPackageArn": package}) == "CREATE_COMPLETE"
    stacks["abalone-staging"] = parse(endpoint_template)

    results = read_back(_session(client), list(stacks))
    for (name, template), result in zip(stacks.items(), results):
        assert result.resources_expected == len(template["Resources"]), name
        assert result.resources_read == result.resources_expected, name
        assert result.mismatches == [], [m.message() for m in result.mismatches]


def test_every_logical_id_of_the_env_template_with_internet_access_is_a_real_resource(aws, tmp_path):
    """The other branch of env.yaml: NAT gateways, public subnets, internet gateway and routes
    (no package mirror), deployed on its own with the parameters `plan_stacks` gives it."""
    import time

    import yaml

    from secure_mlops.provision.config import example_config, load_config
    from secure_mlops.cfn_template import parse
    from secure_mlops.provision.stacks import plan_stacks
    from secure_mlops.provision.verify import read_back

    data = yaml.safe_load(example_config())
    data["network"]["internet_free"] = False
    data["network"]["new_vpc"].update(nat_gateways=True, public_subnet_cidrs=["10.0.128.0/24", "10.0.129.0/24"])
    path = tmp_path / "secure-mlops.yaml"
    path.write_text(yaml.safe_dump(data))
    spec = next(s for s in plan_stacks(load_config(path)) if s.part == "env")
    cf = aws.client("cloudformation")
    cf.create_stack(StackName=spec.name, TemplateBody=spec.template_path.read_text(),
                    Capabilities=list(spec.capabilities) or ["CAPABILITY_NAMED_IAM"],
                    Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in spec.parameters.items()])
    while (status := cf.describe_stacks(StackName=spec.name)["Stacks"][0]["StackStatus"]).endswith("IN_PROGRESS"):
        time.sleep(0.3)
    assert status == "CREATE_COMPLETE"
    result = read_back(aws, [spec.name])[0]
    types = {d["Type"] for d in parse(spec.template_path.read_text())["Resources"].values()}
    assert {"AWS::EC2::NatGateway", "AWS::EC2::EIP", "AWS::EC2::InternetGateway", "AWS::EC2::Route"} <= types
    listed = cf.get_paginator("list_stack_resources").paginate(StackName=spec.name).build_full_result()
    listed_types = {r["ResourceType"] for r in listed["StackResourceSummaries"]}
    assert {"AWS::EC2::NatGateway", "AWS::EC2::EIP", "AWS::EC2::InternetGateway", "AWS::EC2::Route"} <= listed_types
    assert "AWS::CodeArtifact::Domain" not in listed_types
    assert result.resources_read == result.resources_expected == len(listed["StackResourceSummaries"])
    assert result.mismatches == [], [m.message() for m in result.mismatches]
