"""The planned stacks deploy on the embedded emulator, the way the deployer deploys them.

This drives CloudFormation directly (create_stack, S3 uploads), not through the deployer, so a
failure here points at a template or an emulator gap rather than at the deployer. Read-back
of every property is the verification's job (tests/test_verify*.py).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from secure_mlops import envcontext
from secure_mlops.provision.config import example_config, parse_config
from secure_mlops.provision.stacks import plan_stacks
from secure_mlops.provision.templatefile import parse

CONFIGS = Path(__file__).resolve().parent / "data" / "configs"
INLINE_LIMIT = 51_200  # CloudFormation's TemplateBody limit; larger templates go through S3


def _wait(cf, name: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        stack = cf.describe_stacks(StackName=name)["Stacks"][0]
        if not stack["StackStatus"].endswith("IN_PROGRESS") or time.monotonic() > deadline:
            return stack
        time.sleep(0.2)


def _deploy(session, cfg) -> dict[str, dict]:
    cf = session.client("cloudformation")
    s3 = session.client("s3")
    outputs: dict[str, dict] = {}
    artifacts_bucket = None
    for spec in plan_stacks(cfg):
        params = dict(spec.parameters)
        declared = parse(spec.template_path.read_text(), spec.template_path.name).get("Parameters", {})
        if "CreateSageMakerProjectRoles" in declared:
            params["CreateSageMakerProjectRoles"] = "true"  # a fresh account has neither role
        for up in spec.uploads:  # files as they are, or rendered from the earlier stacks' outputs
            from secure_mlops.provision.uploads import content_key, content_version

            bucket = outputs[up.bucket_output[0]][up.bucket_output[1]]
            body = up.content(outputs)
            key = content_key(body, up.file_name, up.prefix or cfg.name)
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            if up.parameter:
                params[up.parameter] = f"{s3.meta.endpoint_url}/{bucket}/{key}"
            if up.version_parameter:
                params[up.version_parameter] = content_version(body)
        body = spec.template_path.read_text()
        if len(body.encode()) > INLINE_LIMIT:
            key = f"{cfg.name}/templates/{spec.template_path.name}"
            s3.put_object(Bucket=artifacts_bucket, Key=key, Body=body.encode())
            template = {"TemplateURL": f"{s3.meta.endpoint_url}/{artifacts_bucket}/{key}"}
        else:
            template = {"TemplateBody": body}
        cf.create_stack(StackName=spec.name, Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in
                                                          params.items()],
                        Capabilities=list(spec.capabilities), Tags=[{"Key": k, "Value": v} for k, v in spec.tags.items()],
                        **template)
        stack = _wait(cf, spec.name)
        assert stack["StackStatus"] == "CREATE_COMPLETE", (spec.name, stack["StackStatus"],
                                                            stack.get("StackStatusReason"))
        outputs[spec.name] = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        if spec.part == "artifacts":
            artifacts_bucket = outputs[spec.name]["ArtifactsBucketName"]
        blank = [r["LogicalResourceId"] for r in cf.list_stack_resources(StackName=spec.name)["StackResourceSummaries"]
                 if not r.get("PhysicalResourceId")]
        assert not blank, (spec.name, blank)
    return outputs


@pytest.mark.emulator
def test_example_environment_deploys_and_publishes_its_ids(aws):
    cfg = parse_config(example_config(), "example.yaml")
    outputs = _deploy(aws, cfg)
    ctx = envcontext.load_context(aws, cfg.name)
    assert set(ctx.values) == set(envcontext.PARAMETERS)
    assert ctx.internet_free is True
    assert ctx.get("interface-endpoints") == list(cfg.network.interface_endpoints)
    assert ctx.get("staging-accounts") == [] and ctx.get("production-accounts") == []
    env = outputs[f"{cfg.name}-env"]
    assert ctx.get("domain-id") == env["StudioDomainId"]
    assert ctx.get("data-bucket") == env["DataBucket"]
    assert len(ctx.get("private-subnet-ids")) == len(cfg.availability_zones)
    domain = aws.client("sagemaker").describe_domain(DomainId=env["StudioDomainId"])
    assert domain["AppNetworkAccessType"] == "VpcOnly"
    assert domain["KmsKeyId"] == env["StudioKmsKeyArn"]


@pytest.mark.emulator
def test_environment_deploys_into_an_existing_vpc_without_touching_its_routes(aws):
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    for attribute in ("EnableDnsSupport", "EnableDnsHostnames"):  # private DNS endpoints need both
        ec2.modify_vpc_attribute(VpcId=vpc, **{attribute: {"Value": True}})
    subnets, tables = [], []
    for i, zone in enumerate(("us-east-1a", "us-east-1b")):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i * 32}.0/19", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        subnets.append(subnet)
        tables.append(table)
    routes_before = {t: ec2.describe_route_tables(RouteTableIds=[t])["RouteTables"][0]["Routes"] for t in tables}
    text = (CONFIGS / "minimal.yaml").read_text().split("  new_vpc:")[0] + (
        f"  existing_vpc:\n    vpc_id: {vpc}\n    cidr: 10.1.0.0/16\n"
        f"    private_subnet_ids: [{', '.join(subnets)}]\n    private_route_table_ids: [{', '.join(tables)}]\n"
        "audit:\n  create_trail: false\n")
    cfg = parse_config(text, "existing.yaml")
    outputs = _deploy(aws, cfg)
    env = outputs[f"{cfg.name}-env"]
    assert env["VpcId"] == vpc
    assert env["PrivateSubnetIds"] == ",".join(subnets)
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["VpcEndpoints"]
    gateway = [e for e in endpoints if e["VpcEndpointType"] == "Gateway"]
    assert len(gateway) == 1 and sorted(gateway[0]["RouteTableIds"]) == sorted(tables)
    interface = [e for e in endpoints if e["VpcEndpointType"] == "Interface"]
    assert len(interface) == len(cfg.network.interface_endpoints)
    assert all(sorted(e["SubnetIds"]) == sorted(subnets) for e in interface)
    assert [f["ResourceId"] for f in ec2.describe_flow_logs()["FlowLogs"]] == [vpc]
    assert len(ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.0.0.0/16"]}])["Vpcs"]) == 0  # no new VPC
    for t in tables:  # the S3 gateway endpoint adds its prefix-list route; nothing else changes
        after = ec2.describe_route_tables(RouteTableIds=[t])["RouteTables"][0]["Routes"]
        assert [r for r in after if "DestinationPrefixListId" not in r] == routes_before[t]
    assert "Trail" not in {r["LogicalResourceId"] for r in aws.client("cloudformation").list_stack_resources(
        StackName=f"{cfg.name}-env")["StackResourceSummaries"]}
