"""provision gates the templates it is about to deploy (issue #4 item 5), with the real gate."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from helpers import Spec, captured

from secure_mlops.provision import deployer, gating
from secure_mlops.provision.events import describe_stack

pytestmark = [pytest.mark.emulator, pytest.mark.usefixtures("wide_console")]

PLAIN_BUCKET = """\
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: unit-plain-bucket
"""

# no resource a preventive control applies to: passes the gate
PARAMETER = """\
Parameters:
  Value: {Type: String}
Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties: {Name: /unit/gated, Type: String, Value: !Ref Value}
"""

# a security group whose ingress CIDR is a parameter: safe by default, open with the value passed
INGRESS = """\
Parameters:
  IngressCidr: {Type: String, Default: 10.0.0.0/16}
  VpcId: {Type: String, Default: vpc-12345678}
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: unit
      VpcId: !Ref VpcId
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: !Ref IngressCidr}
"""


def spec_for(tmp_path, name, body, **kw) -> Spec:
    path = tmp_path / f"{name}.yaml"
    path.write_text(body)
    return Spec(name, path, **kw)


@pytest.fixture
def cfg(tmp_path):
    return SimpleNamespace(name="unit", path=tmp_path / "absent.yaml")


def test_gate_failure_stops_provision_before_anything_is_deployed(tmp_path, cfg, local_target, aws, capsys):
    ok_spec = spec_for(tmp_path, "unit-first", PARAMETER, parameters={"Value": "v"})
    bad_spec = spec_for(tmp_path, "unit-bucket", PLAIN_BUCKET)
    assert not deployer.deploy_specs([ok_spec, bad_spec], cfg, local_target, projects=False)
    out = captured(capsys)
    assert "the gate found" in out and "nothing was deployed" in out and "--allow-gate-failures" in out
    assert "S3-01" in out and "S3-02" in out and "unit-bucket.yaml" in out
    cf = aws.client("cloudformation")
    assert describe_stack(cf, "unit-first") is None and describe_stack(cf, "unit-bucket") is None


def test_override_is_printed_and_recorded_on_the_failing_stack(tmp_path, cfg, local_target, aws, capsys):
    ok_spec = spec_for(tmp_path, "unit-first", PARAMETER, parameters={"Value": "v"})
    bad_spec = spec_for(tmp_path, "unit-bucket", PLAIN_BUCKET)
    reason = "SEC-42: throwaway bucket for a load test - approved by the security team"
    # read-back verification may fail on the emulator for a bucket; the gate part is what counts here
    deployer.deploy_specs([ok_spec, bad_spec], cfg, local_target, projects=False, gate_override=reason)
    out = captured(capsys)
    assert f"deploying despite" in out and reason in out
    cf = aws.client("cloudformation")
    tags = {t["Key"]: t["Value"] for t in describe_stack(cf, "unit-bucket")["Tags"]}
    assert tags[gating.GATE_OVERRIDE_TAG] == reason
    assert "S3-01" in tags[gating.GATE_OVERRIDE_CONTROLS_TAG].split()
    assert tags["team"] == "t"
    first = {t["Key"] for t in describe_stack(cf, "unit-first")["Tags"]}
    assert gating.GATE_OVERRIDE_TAG not in first  # only the stack whose template failed carries it


def test_the_gate_judges_the_parameter_values_provision_passes(tmp_path, cfg, local_target, aws, capsys):
    safe = spec_for(tmp_path, "unit-sg", INGRESS)
    from secure_mlops.guardrails.gate import run_gate

    assert run_gate([safe.template_path]).exit_code("info") == 0  # with its defaults the template passes
    open_sg = spec_for(tmp_path, "unit-sg", INGRESS, parameters={"IngressCidr": "0.0.0.0/0"})
    assert not deployer.deploy_specs([open_sg], cfg, local_target, projects=False)
    out = captured(capsys)
    assert "NET-02" in out and "nothing was deployed" in out
    assert describe_stack(aws.client("cloudformation"), "unit-sg") is None


def test_a_passing_template_is_deployed_and_the_gate_says_so(tmp_path, cfg, local_target, aws, capsys):
    spec = spec_for(tmp_path, "unit-first", PARAMETER, parameters={"Value": "v"})
    assert deployer.deploy_specs([spec], cfg, local_target, projects=False)
    out = captured(capsys)
    assert "Gate: 1 template(s) passed every preventive control" in out
    assert describe_stack(aws.client("cloudformation"), "unit-first")["StackStatus"] == "CREATE_COMPLETE"


def test_an_override_without_failures_records_nothing(tmp_path, cfg, local_target, aws, capsys):
    spec = spec_for(tmp_path, "unit-first", PARAMETER, parameters={"Value": "v"})
    assert deployer.deploy_specs([spec], cfg, local_target, projects=False, gate_override="just in case")
    assert "nothing to override and nothing is recorded" in captured(capsys)
    tags = {t["Key"] for t in describe_stack(aws.client("cloudformation"), "unit-first")["Tags"]}
    assert gating.GATE_OVERRIDE_TAG not in tags
