"""The deployer on the emulator, with small templates of its own (the real ones: test_provision_e2e.py).

The gate is exercised in test_provision_gate.py; here it is replaced by a passing gate so
that these tests are about change sets, events, idempotency, failures and destroy.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import Spec, captured

from secure_mlops.provision import deployer, destroy, gating
from secure_mlops.provision.uploads import Upload

pytestmark = [pytest.mark.emulator, pytest.mark.usefixtures("wide_console")]


PARAM_TEMPLATE = {
    "Parameters": {"Value": {"Type": "String"}, "Prefix": {"Type": "String", "Default": "/unit"}},
    "Resources": {
        "Param": {"Type": "AWS::SSM::Parameter",
                  "Properties": {"Name": {"Fn::Sub": "${Prefix}/value"}, "Type": "String", "Value": {"Ref": "Value"}}},
    },
    "Outputs": {"ParamName": {"Value": {"Ref": "Param"}}},
}

NETWORK_TEMPLATE = {
    "Parameters": {"SubnetCidr": {"Type": "String"}},
    "Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.20.0.0/16"}},
        "PrivateSubnet": {"Type": "AWS::EC2::Subnet",
                          "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": {"Ref": "SubnetCidr"},
                                         "AvailabilityZone": "us-east-1a"}},
    },
    "Outputs": {"VpcId": {"Value": {"Ref": "Vpc"}}},
}


def write(tmp_path: Path, name: str, template: dict) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(template, indent=2))
    return path


@pytest.fixture
def cfg(tmp_path):
    return SimpleNamespace(name="unit", path=tmp_path / "secure-mlops.yaml")


@pytest.fixture
def passing_gate(monkeypatch):
    calls = []

    def gate(specs, override, *args, **kwargs):
        calls.append([s.name for s in specs])
        return gating.GateOutcome(ok=True)

    monkeypatch.setattr(deployer, "gate_templates", gate)
    return calls


def deploy(specs, cfg, target, **kw):
    return deployer.deploy_specs(specs, cfg, target, projects=False, **kw)


def stack(aws, name):
    from secure_mlops.provision.events import describe_stack

    return describe_stack(aws.client("cloudformation"), name)


def test_create_then_second_run_changes_nothing(tmp_path, cfg, local_target, aws, passing_gate, capsys):
    spec = Spec("unit-params", write(tmp_path, "params", PARAM_TEMPLATE), {"Value": "one"})
    assert deploy([spec], cfg, local_target)
    first = stack(aws, "unit-params")
    assert first["StackStatus"] == "CREATE_COMPLETE"
    assert aws.client("ssm").get_parameter(Name="/unit/value")["Parameter"]["Value"] == "one"
    out = captured(capsys)
    assert "unit-params: CREATE_COMPLETE" in out
    assert "/unit/value" in out  # the outputs are printed
    assert passing_gate == [["unit-params"]]  # the gate saw the stack before it was deployed

    cf = aws.client("cloudformation")
    change_sets_before = cf.list_change_sets(StackName="unit-params")["Summaries"]
    assert deploy([spec], cfg, local_target)
    out = captured(capsys)
    assert "unit-params: no change" in out
    assert "No change: the environment is deployed as configured." in out
    again = stack(aws, "unit-params")
    assert again["StackStatus"] == "CREATE_COMPLETE"
    assert again.get("LastUpdatedTime") == first.get("LastUpdatedTime")
    assert cf.list_change_sets(StackName="unit-params")["Summaries"] == change_sets_before


def test_changed_parameter_updates_through_a_change_set(tmp_path, cfg, local_target, aws, passing_gate, capsys):
    path = write(tmp_path, "params", PARAM_TEMPLATE)
    assert deploy([Spec("unit-params", path, {"Value": "one"})], cfg, local_target)
    capsys.readouterr()
    assert deploy([Spec("unit-params", path, {"Value": "two"})], cfg, local_target)
    assert stack(aws, "unit-params")["StackStatus"] == "UPDATE_COMPLETE"
    assert aws.client("ssm").get_parameter(Name="/unit/value")["Parameter"]["Value"] == "two"
    assert "update" in captured(capsys)


def test_changed_tags_are_a_change(tmp_path, cfg, local_target, aws, passing_gate, capsys):
    path = write(tmp_path, "params", PARAM_TEMPLATE)
    assert deploy([Spec("unit-params", path, {"Value": "one"})], cfg, local_target)
    capsys.readouterr()
    spec = Spec("unit-params", path, {"Value": "one"}, tags={"team": "t", "environment": "unit", "stage": "prod"})
    assert deploy([spec], cfg, local_target)
    assert "no change" not in captured(capsys)
    tags = {t["Key"]: t["Value"] for t in stack(aws, "unit-params")["Tags"]}
    assert tags["stage"] == "prod"


def test_plan_of_a_new_stack_creates_nothing(tmp_path, cfg, local_target, aws, passing_gate, capsys):
    spec = Spec("unit-params", write(tmp_path, "params", PARAM_TEMPLATE), {"Value": "one"})
    assert deploy([spec], cfg, local_target, plan=True)
    out = captured(capsys)
    assert "1 to add" in out and "Param" in out and "AWS::SSM::Parameter" in out
    assert "Plan only: nothing was changed" in out
    assert stack(aws, "unit-params") is None
    assert aws.client("ssm").describe_parameters()["Parameters"] == []


def test_plan_of_an_update_changes_nothing(tmp_path, cfg, local_target, aws, passing_gate, capsys):
    path = write(tmp_path, "params", PARAM_TEMPLATE)
    assert deploy([Spec("unit-params", path, {"Value": "one"})], cfg, local_target)
    before = stack(aws, "unit-params")
    capsys.readouterr()
    assert deploy([Spec("unit-params", path, {"Value": "two"})], cfg, local_target, plan=True)
    out = captured(capsys)
    assert "Plan only: nothing was changed" in out
    after = stack(aws, "unit-params")
    assert after["StackStatus"] == before["StackStatus"] == "CREATE_COMPLETE"
    assert after["Parameters"] == before["Parameters"]
    assert aws.client("ssm").get_parameter(Name="/unit/value")["Parameter"]["Value"] == "one"
    summaries = aws.client("cloudformation").list_change_sets(StackName="unit-params")["Summaries"]
    assert all(s["ExecutionStatus"] == "EXECUTE_COMPLETE" for s in summaries)  # the plan's change set is gone


def test_uploads_go_to_the_bucket_an_earlier_stack_outputs(tmp_path, cfg, local_target, aws, passing_gate, capsys):
    bucket_tpl = {"Resources": {"Artifacts": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "unit-artifacts"}}},
                  "Outputs": {"ArtifactsBucket": {"Value": {"Ref": "Artifacts"}}}}
    product = tmp_path / "product.yaml"
    product.write_text("Resources: {}\n")
    user_tpl = {"Parameters": {"ProductUrl": {"Type": "String"}},
                "Resources": {"Url": {"Type": "AWS::SSM::Parameter",
                                      "Properties": {"Name": "/unit/url", "Type": "String", "Value": {"Ref": "ProductUrl"}}}}}
    specs = [Spec("unit-artifacts", write(tmp_path, "bucket", bucket_tpl)),
             Spec("unit-user", write(tmp_path, "user", user_tpl),
                  uploads=[Upload(product, ("unit-artifacts", "ArtifactsBucket"), parameter="ProductUrl")])]
    assert deploy(specs, cfg, local_target)
    keys = [o["Key"] for o in aws.client("s3").list_objects_v2(Bucket="unit-artifacts").get("Contents", [])]
    assert len(keys) == 1 and keys[0].startswith("unit/") and keys[0].endswith("/product.yaml")
    url = aws.client("ssm").get_parameter(Name="/unit/url")["Parameter"]["Value"]
    assert url.endswith(f"/unit-artifacts/{keys[0]}")
    capsys.readouterr()
    assert deploy(specs, cfg, local_target)
    out = captured(capsys)
    assert "uploaded" not in out and "No change" in out


def test_stack_failure_names_the_resource_and_reason_and_destroy_cleans_up(
        tmp_path, cfg, local_target, aws, passing_gate, capsys):
    # a subnet CIDR outside the VPC, as a bad configuration value would pass it
    spec = Spec("unit-network", write(tmp_path, "network", NETWORK_TEMPLATE), {"SubnetCidr": "192.168.0.0/24"})
    assert not deploy([spec], cfg, local_target)
    out = captured(capsys)
    assert "stack unit-network failed" in out
    assert "resource PrivateSubnet (AWS::EC2::Subnet) CREATE_FAILED" in out
    assert "192.168.0.0/24" in out and "SubnetCidr='192.168.0.0/24'" in out
    assert stack(aws, "unit-network")["StackStatus"] == "ROLLBACK_COMPLETE"

    assert destroy.destroy_specs([spec], cfg, local_target)
    assert stack(aws, "unit-network") is None
    assert [v for v in aws.client("ec2").describe_vpcs()["Vpcs"] if v["CidrBlock"] == "10.20.0.0/16"] == []

    # fixed configuration: provision works again
    spec.parameters = {"SubnetCidr": "10.20.1.0/24"}
    assert deploy([spec], cfg, local_target)
    assert stack(aws, "unit-network")["StackStatus"] == "CREATE_COMPLETE"


def test_provision_after_a_failed_creation_recreates_the_stack(tmp_path, cfg, local_target, aws, passing_gate, capsys):
    spec = Spec("unit-network", write(tmp_path, "network", NETWORK_TEMPLATE), {"SubnetCidr": "192.168.0.0/24"})
    assert not deploy([spec], cfg, local_target)
    spec.parameters = {"SubnetCidr": "10.20.1.0/24"}
    capsys.readouterr()
    assert deploy([spec], cfg, local_target)
    assert "from an earlier failed creation" in captured(capsys)
    assert stack(aws, "unit-network")["StackStatus"] == "CREATE_COMPLETE"


def test_destroy_lists_what_it_keeps_and_how_to_remove_it(tmp_path, cfg, local_target, aws, passing_gate, capsys):
    tpl = {"Resources": {
        "Data": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                 "Properties": {"BucketName": "unit-kept-data"}},
        "Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/unit/gone", "Type": "String", "Value": "v"}},
    }}
    spec = Spec("unit-data", write(tmp_path, "data", tpl))
    assert deploy([spec], cfg, local_target)
    aws.client("s3").put_object(Bucket="unit-kept-data", Key="x.csv", Body=b"1,2\n")
    capsys.readouterr()
    assert destroy.destroy_specs([spec], cfg, local_target)
    out = captured(capsys)
    assert stack(aws, "unit-data") is None
    assert "unit-kept-data" in out and "DeletionPolicy: Retain" in out
    assert "s3api delete-bucket --bucket unit-kept-data" in out
    assert f"--endpoint-url {local_target.endpoint_url}" in out
    # nothing holding data was deleted
    assert aws.client("s3").get_object(Bucket="unit-kept-data", Key="x.csv")["Body"].read() == b"1,2\n"


def test_destroy_of_an_absent_environment_is_a_no_op(tmp_path, cfg, local_target, passing_gate, capsys):
    spec = Spec("unit-none", write(tmp_path, "params", PARAM_TEMPLATE))
    assert destroy.destroy_specs([spec], cfg, local_target)
    assert "unit-none: does not exist, nothing to delete" in captured(capsys)


def test_destroy_deletes_in_reverse_order(tmp_path, cfg, local_target, aws, passing_gate, monkeypatch):
    a = Spec("unit-a", write(tmp_path, "a", PARAM_TEMPLATE), {"Value": "a", "Prefix": "/a"})
    b = Spec("unit-b", write(tmp_path, "b", PARAM_TEMPLATE), {"Value": "b", "Prefix": "/b"})
    assert deploy([a, b], cfg, local_target)
    order = []
    real = destroy._delete_stack

    def spy(session, target, name):
        order.append(name)
        return real(session, target, name)

    monkeypatch.setattr(destroy, "_delete_stack", spy)
    assert destroy.destroy_specs([a, b], cfg, local_target)
    assert order == ["unit-b", "unit-a"]
    assert stack(aws, "unit-a") is None and stack(aws, "unit-b") is None


def test_delete_failures_of_buckets_holding_data_are_kept_and_others_block(aws):
    from secure_mlops.provision.retained import HOLDS_DATA, IN_USE_BY_EFS

    s3 = aws.client("s3")
    for name in ("unit-full", "unit-empty"):
        s3.create_bucket(Bucket=name)
    s3.put_object(Bucket="unit-full", Key="k", Body=b"data")

    def failed(lid, rtype, physical, reason):
        return {"LogicalResourceId": lid, "ResourceType": rtype, "PhysicalResourceId": physical,
                "ResourceStatus": "DELETE_FAILED", "ResourceStatusReason": reason}

    events = {
        "Full": failed("Full", "AWS::S3::Bucket", "unit-full", "The bucket you tried to delete is not empty"),
        "Empty": failed("Empty", "AWS::S3::Bucket", "unit-empty", "Access Denied"),
        "Vpc": failed("Vpc", "AWS::EC2::VPC", "vpc-1", "The vpc 'vpc-1' has dependencies and cannot be deleted. "
                                                        "(Service: Ec2, Status Code: 400, Error Code: DependencyViolation)"),
    }
    keep, blockers = destroy._classify_delete_failures(aws, events, live_efs=[])
    assert keep == {"Full": HOLDS_DATA}
    assert set(blockers) == {"Empty", "Vpc"}  # an empty bucket is no reason to keep anything
    keep, blockers = destroy._classify_delete_failures(aws, events, live_efs=["fs-12345678"])
    assert keep == {"Full": HOLDS_DATA, "Vpc": IN_USE_BY_EFS}
    assert set(blockers) == {"Empty"}


def test_destroy_keeps_a_bucket_that_holds_data_and_removes_the_rest(
        tmp_path, cfg, local_target, aws, passing_gate, capsys):
    tpl = {"Resources": {
        "Data": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "unit-data-left"}},
        "Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/unit/p", "Type": "String", "Value": "v"}},
    }}
    spec = Spec("unit-data", write(tmp_path, "data", tpl))
    assert deploy([spec], cfg, local_target)
    aws.client("s3").put_object(Bucket="unit-data-left", Key="x.csv", Body=b"1,2\n")
    capsys.readouterr()
    assert destroy.destroy_specs([spec], cfg, local_target)
    out = captured(capsys)
    assert stack(aws, "unit-data") is None
    assert "keeping Data" in out and "holds objects or object versions" in out
    assert aws.client("s3").get_object(Bucket="unit-data-left", Key="x.csv")["Body"].read() == b"1,2\n"
    with pytest.raises(Exception):
        aws.client("ssm").get_parameter(Name="/unit/p")
