"""Provision after drift: "no change" for every stack, the read-back fails, and provision says what to do.

Review H2 item 22: provision reported "no change" per stack, then failed verification with no hint
that `remediate` repairs the drift (or what to do about the rest).
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from helpers import Spec, captured, cli

from secure_mlops.provision import deployer, gating

pytestmark = [pytest.mark.emulator, pytest.mark.usefixtures("wide_console")]

KEY_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Sid": "Account", "Effect": "Allow", "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
    "Action": "kms:*", "Resource": "*"}]}
TEMPLATE = {"Resources": {
    "Key": {"Type": "AWS::KMS::Key", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"Description": "unit", "EnableKeyRotation": True, "KeyPolicy": KEY_POLICY}},
    "Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/unit/drift", "Type": "String", "Value": "v"}},
}}


@pytest.fixture
def spec(tmp_path, monkeypatch):
    monkeypatch.setattr(deployer, "gate_templates", lambda *a, **k: gating.GateOutcome(ok=True))
    path = tmp_path / "drift.json"
    path.write_text(json.dumps(TEMPLATE))
    return Spec("unit-drift", path)


def test_after_drift_provision_says_how_to_repair_it(tmp_path, spec, local_target, aws, capsys):
    cfg = SimpleNamespace(name="unit", path=tmp_path / "secure-mlops.yaml")
    assert deployer.deploy_specs([spec], cfg, local_target, projects=False)
    key = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in aws.client("cloudformation").list_stack_resources(
        StackName="unit-drift")["StackResourceSummaries"]}["Key"]
    aws.client("kms").disable_key_rotation(KeyId=key)  # drift: a change outside CloudFormation
    capsys.readouterr()

    assert not deployer.deploy_specs([spec], cfg, local_target, projects=False)
    out = captured(capsys)
    assert "unit-drift: no change" in out
    assert "property EnableKeyRotation: declared true, actual false" in out
    assert ("Every stack is deployed as configured (no change), so these differences were made outside "
            "CloudFormation (drift); deploying the same templates again does not undo them.") in out
    assert ("`secure-mlops remediate --audit --controls KMS-01 --local` shows what the responsive controls for "
            "these resources would repair (dry run; add --apply to do it): KMS-01 enable rotation.") in out
    assert "a property no control repairs: set it back to the declared value shown above" in out
    assert f"then check: `secure-mlops verify -c {cfg.path} --local`" in out

    # the advice works: remediate repairs it, and the next provision verifies
    r = cli("remediate", "--audit", "--controls", "KMS-01", "--local", "--apply")
    assert r.code == 0, r.text
    assert aws.client("kms").get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True
    capsys.readouterr()
    assert deployer.deploy_specs([spec], cfg, local_target, projects=False)
    out = captured(capsys)
    assert "✓ verified" in out and "outside CloudFormation" not in out


def test_advice_names_deleted_resources_and_only_the_controls_of_the_drifted_types():
    from secure_mlops.provision.verify import Mismatch

    cfg = SimpleNamespace(path="team-a.yaml")
    target = SimpleNamespace(kind="aws", profile="prod", region="eu-west-1")
    text = deployer.drift_advice([
        Mismatch("team-env", "LogBucket", "AWS::S3::Bucket", "VersioningConfiguration.Status", "Enabled", "Suspended"),
        Mismatch("team-env", "FlowLogGroup", "AWS::Logs::LogGroup", "(resource)", "x", "not listed", "missing"),
    ], False, cfg, target)
    assert text.startswith("A difference made outside CloudFormation (drift) is not undone by deploying again.")
    assert "`secure-mlops remediate --audit --controls S3-01,S3-02,S3-03,S3-05,S3-06 --profile prod --region eu-west-1`" in text
    assert "KMS-01" not in text
    assert ("a resource deleted outside CloudFormation (team-env/FlowLogGroup) is not re-created by provision: "
            "re-create it with `secure-mlops destroy` (it keeps data) and provision again.") in text
    assert "`secure-mlops verify -c team-a.yaml --profile prod --region eu-west-1`" in text
