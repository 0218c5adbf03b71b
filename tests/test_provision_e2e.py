"""`secure-mlops provision` / `destroy` end to end on the emulator, with the real configuration and templates."""

from __future__ import annotations

import json
import re

import pytest
from helpers import cli

pytestmark = [pytest.mark.emulator, pytest.mark.slow, pytest.mark.usefixtures("wide_console")]

STACKS = ("ds-team-dev-artifacts", "ds-team-dev-core", "ds-team-dev-env")


def run(*args) -> tuple[int, str]:
    r = cli(*args)
    return r.code, r.text  # stdout and stderr, interleaved


def statuses(aws) -> dict[str, str]:
    cf = aws.client("cloudformation")
    out = {}
    for s in cf.describe_stacks()["Stacks"]:
        if s["StackName"] in STACKS:
            out[s["StackName"]] = s["StackStatus"]
    return out


def test_provision_twice_then_plan_then_destroy(config_file, aws, emulator):
    first = cli("provision", "--local", "-c", str(config_file))
    code, out = first.code, first.text
    assert code == 0, out
    assert out.index("Target: embedded emulator") < out.index("Gate:")  # the target is printed first
    assert statuses(aws) == {name: "CREATE_COMPLETE" for name in STACKS}
    assert "SageMaker projects: associate" in out
    roles = "AmazonSageMakerServiceCatalogProductsLaunchRole and AmazonSageMakerServiceCatalogProductsUseRole"
    assert (f"ds-team-dev-core: the SageMaker project roles {roles} are not in the account yet: this stack "
            "creates them (CreateSageMakerProjectRoles=true).") in out
    # stdout is not a terminal: the outputs are plain lines, whole values (review H2 item 11)
    cf = aws.client("cloudformation")
    expected = [f"{name}\t{o['OutputKey']}\t{o['OutputValue']}" for name in STACKS
                for o in sorted(cf.describe_stacks(StackName=name)["Stacks"][0]["Outputs"], key=lambda o: o["OutputKey"])]
    assert first.stdout.splitlines() == expected

    change_sets = {name: cf.list_change_sets(StackName=name)["Summaries"] for name in STACKS}
    second = cli("provision", "--local", "-c", str(config_file), "--outputs-format", "json")
    code, out = second.code, second.text
    assert code == 0, out
    assert "No change: the environment is deployed as configured." in out
    assert (f"ds-team-dev-core: the SageMaker project roles {roles} were created by this stack: it keeps them "
            "(CreateSageMakerProjectRoles=true).") in out
    assert json.loads(second.stdout) == {
        name: {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName=name)["Stacks"][0]["Outputs"]}
        for name in STACKS}
    for name in STACKS:
        assert f"{name}: no change" in out
    assert {name: cf.list_change_sets(StackName=name)["Summaries"] for name in STACKS} == change_sets
    assert "SageMaker projects: no change" in out

    # a changed configuration, planned only: nothing changes
    config_file.write_text(config_file.read_text().replace('cost-center: "1234"', 'cost-center: "5678"'))
    before = {s["StackName"]: s for s in cf.describe_stacks()["Stacks"] if s["StackName"] in STACKS}
    code, out = run("provision", "--local", "-c", str(config_file), "--plan")
    assert code == 0, out
    assert "Plan only: nothing was changed" in out
    after = {s["StackName"]: s for s in cf.describe_stacks()["Stacks"] if s["StackName"] in STACKS}
    for name in STACKS:
        assert after[name]["Tags"] == before[name]["Tags"]
        assert after[name]["StackStatus"] == "CREATE_COMPLETE"

    # what Studio created for the users' home directories (not in any stack)
    domain = aws.client("sagemaker").describe_domain(
        DomainId=aws.client("sagemaker").list_domains()["Domains"][0]["DomainId"])
    home_efs, vpc = domain["HomeEfsFileSystemId"], domain["VpcId"]
    efs = aws.client("efs")
    mounted = {t["SubnetId"] for t in efs.describe_mount_targets(FileSystemId=home_efs)["MountTargets"]}
    assert mounted and mounted <= set(domain["SubnetIds"])

    code, out = run("destroy", "--local", "-c", str(config_file), "-y")
    assert code == 0, out
    assert statuses(aws) == {}
    assert "Kept" in out and "DeletionPolicy: Retain" in out
    assert out.index("ds-team-dev-env: DELETE_COMPLETE") < out.index("ds-team-dev-core: DELETE_COMPLETE")
    # the home directories are kept, and with them the subnets they are mounted in and the VPC
    def kept(*cells: str) -> bool:  # a row of the "Kept" table
        return " │ ".join(cells) in out

    assert kept("AWS::EFS::FileSystem", home_efs, "Studio users' home directories"), out
    assert f"efs delete-file-system --file-system-id {home_efs}" in out
    for subnet in mounted:
        assert kept("AWS::EC2::Subnet", subnet, "in use by the EFS mount targets"), out
        assert f"ec2 delete-subnet --subnet-id {subnet}" in out
    assert kept("AWS::EC2::VPC", vpc, "in use by the EFS mount targets")
    assert f"ec2 delete-vpc --vpc-id {vpc}" in out
    assert efs.describe_file_systems(FileSystemId=home_efs)["FileSystems"][0]["NumberOfMountTargets"] == len(mounted)
    assert aws.client("ec2").describe_vpcs(VpcIds=[vpc])["Vpcs"]


def test_a_bad_configuration_value_fails_the_stack_and_destroy_cleans_up(config_file, aws, emulator):
    # an existing VPC that does not exist: the configuration is valid, CloudFormation refuses it
    text = config_file.read_text()
    text = re.sub(r"  new_vpc:\n    cidr: 10.0.0.0/16\n    private_subnet_cidrs: \[[^\]]*\]\n",
                  "  existing_vpc:\n    vpc_id: vpc-0123456789abcdef0\n    cidr: 10.1.0.0/16\n"
                  "    private_subnet_ids: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]\n"
                  "    private_route_table_ids: [rtb-0123456789abcdef0, rtb-0fedcba9876543210]\n", text)
    assert "existing_vpc" in text
    config_file.write_text(text)
    code, out = run("provision", "--local", "-c", str(config_file))
    assert code == 1, out
    failure = re.search(r"stack ds-team-dev-env failed \(ROLLBACK_COMPLETE\): resource (\w+) \((AWS::[\w:]+)\) "
                        r"CREATE_FAILED: (.+?)\. It uses the parameters (.+?) \(set from the configuration\)", out)
    assert failure, out
    # EC2's reason, as AWS gives it: the first resource placed in the VPC fails
    assert ("The vpc ID 'vpc-0123456789abcdef0' does not exist" in failure.group(3)
            and "(HandlerErrorCode: InvalidVpcID.NotFound)" in failure.group(3)), failure.group(0)
    assert "ExistingVpcId='vpc-0123456789abcdef0'" in failure.group(4)  # the configuration value behind it
    assert statuses(aws)["ds-team-dev-env"] == "ROLLBACK_COMPLETE"

    code, out = run("destroy", "--local", "-c", str(config_file), "-y")
    assert code == 0, out
    assert statuses(aws) == {}
