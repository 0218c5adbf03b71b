"""The report over what `gate` and `audit` really write (not fixtures): the contract between them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import cli

pytestmark = pytest.mark.usefixtures("wide_console")

NOTEBOOK_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Notebook:
    Type: AWS::SageMaker::NotebookInstance
    Properties:
      InstanceType: ml.t3.medium
      RoleArn: arn:aws:iam::123456789012:role/notebook
      DirectInternetAccess: Enabled
      RootAccess: Disabled
"""


def invoke(*args):
    r = cli(*args, catch_exceptions=True)
    return r.code, r.stdout, r.stderr


@pytest.mark.emulator
def test_report_answers_from_real_gate_and_audit_documents(aws, tmp_path):
    template = tmp_path / "notebook.yaml"
    template.write_text(NOTEBOOK_TEMPLATE)
    gate_json, audit_json = tmp_path / "gate.json", tmp_path / "audit.json"
    code, _, err = invoke("gate", str(template), "--format", "json", "-o", str(gate_json))
    assert code == 1 and gate_json.exists(), err

    sm = aws.client("sagemaker")
    role = "arn:aws:iam::123456789012:role/notebook"
    sm.create_notebook_instance(NotebookInstanceName="open-nb", InstanceType="ml.t3.medium", RoleArn=role,
                                DirectInternetAccess="Enabled")
    code, _, err = invoke("audit", "--local", "--controls", "SM-NB-01", "-o", str(audit_json))
    assert code == 1 and audit_json.exists(), err

    code, out, err = invoke("report", str(gate_json), str(audit_json), "--format", "json")
    assert code == 1, err
    data = json.loads(out)
    nb01 = next(c for c in data["controls"] if c["id"] == "SM-NB-01")
    assert nb01["state"] == "failing", nb01
    assert nb01["sources"]["template"]["state"] == "failing"
    assert nb01["sources"]["live"]["state"] == "failing"
    net2 = next(q for q in data["questions"] if q["id"] == "NET-2")
    assert net2["status"] == "not_satisfied" and "SM-NB-01" in net2["controls"]["failing"]
    # the audit ran only SM-NB-01: no question can be satisfied from these inputs
    assert data["summary"]["questions"]["satisfied"] == 0
    live = [f for f in data["findings"] if f["source"] == "live" and f["control_id"] == "SM-NB-01"]
    assert [f["status"] for f in live] == ["FAIL"] and live[0]["account"] == "123456789012", live
    assert "open-nb" in live[0]["resource_id"] + live[0].get("resource_arn", "")
    template_findings = [f for f in data["findings"] if f["source"] == "template" and f["control_id"] == "SM-NB-01"]
    assert [f["status"] for f in template_findings] == ["FAIL"], template_findings
    assert Path(template_findings[0]["file"]).name == "notebook.yaml"
