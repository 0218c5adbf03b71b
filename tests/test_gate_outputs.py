"""Output formats of the gate (table, JSON, SARIF 2.1.0, JUnit XML) and the command's exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from secure_mlops.findings import Finding, Source, Status, load_documents
from secure_mlops.reports import render_gate
from secure_mlops.reports.sarif import render_sarif

DATA = Path(__file__).resolve().parent / "data"
SARIF_SCHEMA = json.loads((DATA / "sarif" / "sarif-2.1.0-rtm.5.json").read_text())

TEMPLATE = """\
Resources:
  Notebook:
    Type: AWS::SageMaker::NotebookInstance
    Metadata:
      secure-mlops:
        suppress:
          - id: SM-NB-03
            reason: needs system packages for the course
    Properties:
      InstanceType: ml.t3.medium
      DirectInternetAccess: Enabled
      RootAccess: Enabled
      KmsKeyId: alias/team
      SubnetId: subnet-0123456789abcdef0
      SecurityGroupIds: [sg-0123456789abcdef0]
      InstanceMetadataServiceConfiguration: {MinimumInstanceMetadataServiceVersion: "2"}
"""


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    from secure_mlops.guardrails.gate import run_gate

    root = tmp_path_factory.mktemp("out")
    (root / "templates").mkdir()
    (root / "templates" / "nb.yaml").write_text(TEMPLATE)
    return run_gate([root / "templates"], root=root), root


def sarif_validator():
    return jsonschema.Draft4Validator(SARIF_SCHEMA)


def test_json_is_the_shared_findings_document(gated, tmp_path):
    result, _ = gated
    text = render_gate(result, "json")
    path = tmp_path / "gate.json"
    path.write_text(text)
    (doc,) = load_documents([path])  # validates against reports/findings.schema.json
    assert doc["kind"] == "gate" and "SM-NB-01" in doc["evaluated_controls"]
    by_control = {f["control_id"]: f for f in doc["findings"]}
    fail = by_control["SM-NB-01"]
    assert fail["status"] == "FAIL" and fail["source"] == "template" and fail["severity"] == "high"
    assert (fail["file"], fail["line"], fail["column"], fail["logical_id"]) == ("templates/nb.yaml", 11, 29, "Notebook")
    assert fail["questions"] == ["NET-2"] and fail["resource_type"] == "AWS::SageMaker::NotebookInstance"
    sup = by_control["SM-NB-03"]
    assert sup["status"] == "SUPPRESSED" and sup["suppression_reason"] == "needs system packages for the course"
    assert by_control["SM-NB-04"]["status"] == "PASS"


def test_sarif_is_valid_and_points_at_lines(gated):
    result, root = gated
    log = json.loads(render_gate(result, "sarif"))
    errors = sorted(sarif_validator().iter_errors(log), key=str)
    assert not errors, errors[0]
    run = log["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == root.resolve().as_uri() + "/"
    results = {r["ruleId"]: r for r in run["results"]}
    assert "SM-NB-04" not in results  # passing checks are left out unless --show-passed
    fail = results["SM-NB-01"]
    loc = fail["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "templates/nb.yaml", "uriBaseId": "%SRCROOT%"}
    assert loc["region"] == {"startLine": 11, "startColumn": 29}
    assert fail["level"] == "error" and fail["locations"][0]["logicalLocations"][0]["name"] == "Notebook"
    sup = results["SM-NB-03"]
    assert sup["suppressions"] == [{"kind": "inSource", "status": "accepted",
                                    "justification": "needs system packages for the course"}]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert "DirectInternetAccess" in rules["SM-NB-01"]["help"]["text"]
    assert rules["SM-NB-01"]["properties"]["security-severity"] == "8.0"
    assert rules["SM-NB-01"]["shortDescription"]["text"] == "Notebook instances have no direct internet access"
    assert all(r["ruleIndex"] == list(rules).index(r["ruleId"]) for r in run["results"])


def test_sarif_with_passed_checks_is_valid(gated):
    result, _ = gated
    log = json.loads(render_gate(result, "sarif", show_passed=True))
    assert not list(sarif_validator().iter_errors(log))
    kinds = {r["ruleId"]: r["kind"] for r in log["runs"][0]["results"]}
    assert kinds["SM-NB-04"] == "pass" and kinds["SM-NB-01"] == "fail"


def test_sarif_renders_live_findings_with_logical_locations():
    live = [Finding(control_id="SM-NB-01", status=Status.FAIL, severity="high", questions=["NET-2"],
                    source=Source.LIVE, resource_type="sagemaker-notebook", resource_id="nb1",
                    message="DirectInternetAccess is Enabled",
                    resource_arn="arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/nb1",
                    account="123456789012", region="us-east-1", evidence={"DirectInternetAccess": "Enabled"}),
            Finding(control_id="LOG-01", status=Status.ERROR, severity="high", questions=["AUDIT-1"],
                    source=Source.LIVE, resource_type="account", resource_id="123456789012",
                    message="AccessDenied on DescribeTrails")]
    log = json.loads(render_sarif(live))
    assert not list(sarif_validator().iter_errors(log))
    first, second = log["runs"][0]["results"]
    assert "physicalLocation" not in first["locations"][0]
    assert first["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].endswith("notebook-instance/nb1")
    assert first["properties"]["evidence"] == {"DirectInternetAccess": "Enabled"}
    assert second["message"]["text"].startswith("not evaluated")


def test_junit(gated):
    result, _ = gated
    root = ET.fromstring(render_gate(result, "junit").split("\n", 1)[1])
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root}
    assert suites["SM-NB-01"].find("testcase/failure") is not None
    assert suites["SM-NB-03"].find("testcase/skipped").get("message").startswith("suppressed: needs system")
    assert suites["SM-NB-04"].find("testcase/failure") is None
    assert int(root.get("failures")) == sum(f.status is Status.FAIL for f in result.findings)


def test_table(gated):
    result, _ = gated
    text = render_gate(result, "table")
    assert "SM-NB-01" in text and "SUPPRESSED" in text and "SM-NB-04" not in text
    assert "SM-NB-04" in render_gate(result, "table", show_passed=True)


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "secure_mlops.cli", "gate", *args], capture_output=True,
                          text=True, cwd=cwd)


def test_cli_exit_codes_and_fail_on(tmp_path):
    (tmp_path / "t.yaml").write_text(textwrap.dedent("""\
        Resources:
          Notebook:
            Type: AWS::SageMaker::NotebookInstance
            Properties: {InstanceMetadataServiceConfiguration: {MinimumInstanceMetadataServiceVersion: "1"},
                         DirectInternetAccess: Disabled, RootAccess: Disabled, KmsKeyId: alias/k,
                         SubnetId: subnet-1, SecurityGroupIds: [sg-1]}
        """))
    failing = run_cli("t.yaml", cwd=tmp_path)  # SM-NB-05 (medium) fails
    assert failing.returncode == 1 and "SM-NB-05" in failing.stdout
    assert run_cli("t.yaml", "--fail-on", "high", cwd=tmp_path).returncode == 0
    out = tmp_path / "reports" / "gate.sarif"
    written = run_cli("t.yaml", "--format", "sarif", "-o", str(out), cwd=tmp_path)
    assert written.returncode == 1 and written.stdout == "" and json.loads(out.read_text())["version"] == "2.1.0"
    usage = run_cli("missing.yaml", cwd=tmp_path)
    assert usage.returncode == 2
    bad_param = run_cli("t.yaml", "-p", "NoEquals", cwd=tmp_path)
    assert bad_param.returncode == 2 and "NAME=VALUE" in bad_param.stderr
    resolved = run_cli("t.yaml", "--print-resolved", cwd=tmp_path)
    assert resolved.returncode == 0 and "GateContext" in json.loads(resolved.stdout)["t.yaml"]
