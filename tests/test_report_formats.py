"""`secure-mlops report`: every output format (snapshots), the JSON schema, ASFF, HTML, exit codes."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from helpers import cli

from secure_mlops.controls import load_catalog
from secure_mlops.reports.build import build_report
from secure_mlops.reports.merge import load

ROOT = Path(__file__).resolve().parents[1]
SNAP_DIR = ROOT / "tests" / "data" / "report_snapshots"
FINDINGS = ROOT / "tests" / "data" / "findings"
FIXTURES = [str(FINDINGS / n) for n in ("gate.json", "audit-dev.json", "audit-prod.json")]


def _snapshots():
    spec = importlib.util.spec_from_file_location("report_snapshots", SNAP_DIR / "regenerate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


SNAP = _snapshots()

pytestmark = pytest.mark.usefixtures("wide_console")


@pytest.fixture(scope="module")
def report():
    return build_report(load(FIXTURES), generated_at=SNAP.GENERATED_AT)


def report_cli(*args):
    r = cli("report", *args)
    return r.code, r.stdout, r.stderr


# ------------------------------------------------------------------------------ snapshots
@pytest.mark.parametrize("name", sorted(SNAP.SNAPSHOTS))
def test_output_matches_snapshot(name):
    fmt = SNAP.SNAPSHOTS[name]
    rendered = SNAP.render_all([fmt])[name]
    expected = (SNAP_DIR / name).read_text()
    assert rendered == expected, (
        f"--format {fmt} output differs from {SNAP_DIR / name}; if the change is intended, run "
        f".venv/bin/python tests/data/report_snapshots/regenerate.py {fmt} and review the diff")


# ------------------------------------------------------------------------------ JSON
def test_json_report_validates_against_its_schema_and_keeps_every_finding(report):
    import jsonschema
    from referencing import Registry, Resource

    from secure_mlops.reports import report_json

    reports_dir = ROOT / "secure_mlops" / "reports"
    findings_schema = json.loads((reports_dir / "findings.schema.json").read_text())
    schema = json.loads((reports_dir / "report.schema.json").read_text())
    registry = Registry().with_resource(findings_schema["$id"], Resource.from_contents(findings_schema))
    data = json.loads(report_json.render(report))
    jsonschema.Draft202012Validator(schema, registry=registry).validate(data)
    assert [q["id"] for q in data["questions"]] == list(load_catalog().questions)
    assert len(data["findings"]) == 51 + 50 + 48
    assert data["exit_code"] == 1 and data["summary"]["questions"] == {
        "satisfied": 3, "not_satisfied": 6, "not_fully_answered": 4}
    net2 = next(q for q in data["questions"] if q["id"] == "NET-2")
    assert net2["controls"]["failing"] == ["SM-NB-01"]
    assert {f["status"] for f in net2["worst_findings"]} <= {"FAIL", "ERROR"}
    # a broken report is rejected by the schema (the schema is not vacuous)
    data["questions"][0]["status"] = "probably fine"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema, registry=registry).validate(data)


# ------------------------------------------------------------------------------ SARIF
def test_sarif_carries_every_finding_that_is_not_a_pass(report):
    from secure_mlops.reports.report_command import render

    log = json.loads(render(report, "sarif"))
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    results = run["results"]
    not_pass = [f for f in report.findings if f.status.value != "PASS"]
    assert len(results) == len(not_pass) == 12
    assert sorted(r["properties"]["status"] for r in results) == sorted(f.status.value for f in not_pass)
    live = next(r for r in results if r["ruleId"] == "KMS-01")
    names = [loc["fullyQualifiedName"] for x in live["locations"] for loc in x.get("logicalLocations", [])]
    assert "arn:aws:kms:eu-west-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab" in names
    template = next(r for r in results if r["ruleId"] == "S3-01")
    physical = template["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "templates/data.yaml" and physical["region"]["startLine"] == 8
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert all(r["ruleId"] == rule_ids[r["ruleIndex"]] for r in results)


def test_sarif_with_live_findings_validates_against_the_sarif_schema(report):
    import jsonschema

    from secure_mlops.reports.report_command import render

    schema = json.loads((ROOT / "tests" / "data" / "sarif" / "sarif-2.1.0-rtm.5.json").read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(json.loads(render(report, "sarif")))


# ------------------------------------------------------------------------------ ASFF
# https://docs.aws.amazon.com/securityhub/latest/userguide/asff-required-attributes.html
ASFF_REQUIRED = {"AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id", "ProductArn", "Resources",
                 "SchemaVersion", "Severity", "Title", "Types", "UpdatedAt"}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _enum_errors(value, shape, path="") -> list[str]:
    """Values outside the enums of botocore's Security Hub model (botocore does not check enums)."""
    errors = []
    if shape.type_name == "structure" and isinstance(value, dict):
        for key, sub in value.items():
            errors += _enum_errors(sub, shape.members[key], f"{path}.{key}")
    elif shape.type_name == "list" and isinstance(value, list):
        for i, sub in enumerate(value):
            errors += _enum_errors(sub, shape.member, f"{path}[{i}]")
    elif shape.type_name == "string" and shape.enum and value not in shape.enum:
        errors.append(f"{path}: {value!r} not in {shape.enum}")
    return errors


def test_asff_has_every_required_field_and_fits_the_security_hub_api(report):
    import botocore.session
    from botocore.validate import ParamValidator

    from secure_mlops.reports import asff

    findings = json.loads(asff.render(report))
    live = [f for f in report.findings if f.source.value == "live"]
    assert len(findings) == len(live) == 98  # template findings are not ASFF findings
    model = botocore.session.get_session().get_service_model("securityhub")
    op = model.operation_model("BatchImportFindings")
    for start in range(0, len(findings), 100):
        errors = ParamValidator().validate({"Findings": findings[start:start + 100]}, op.input_shape)
        assert not errors.has_errors(), errors.generate_report()
    shape = model.shape_for("AwsSecurityFinding")
    for item in findings:
        assert ASFF_REQUIRED <= set(item), ASFF_REQUIRED - set(item)
        assert set(shape.required_members) <= set(item)
        assert not _enum_errors(item, shape)
        assert item["SchemaVersion"] == "2018-10-08"
        assert item["Severity"].get("Label") in {"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}
        assert item["Resources"] and all({"Type", "Id"} <= set(r) for r in item["Resources"])
        assert re.fullmatch(r"[^/]+/[^/]+/[^/]+", item["Types"][0])
        acct = item["AwsAccountId"]
        assert item["ProductArn"] == (f"arn:aws:securityhub:{item['Resources'][0]['Region']}:{acct}"
                                      f":product/{acct}/default")
        assert TIMESTAMP.match(item["CreatedAt"]) and item["CreatedAt"] == item["UpdatedAt"]
        assert len(item["Id"]) <= 512 and len(item["Title"]) <= 256 and len(item["Description"]) <= 1024
    assert len({item["Id"] for item in findings}) == len(findings)


def test_asff_maps_every_status(report):
    from secure_mlops.reports import asff

    by_status = {}
    for item in json.loads(asff.render(report)):
        by_status.setdefault(item["ProductFields"]["secure-mlops/Status"], []).append(item)
    assert {i["Compliance"]["Status"] for i in by_status["PASS"]} == {"PASSED"}
    assert {i["Severity"]["Label"] for i in by_status["PASS"]} == {"INFORMATIONAL"}
    assert {i["Compliance"]["Status"] for i in by_status["FAIL"]} == {"FAILED"}
    assert {i["Compliance"]["Status"] for i in by_status["ERROR"]} == {"NOT_AVAILABLE"}
    nb = next(i for i in by_status["FAIL"] if i["GeneratorId"] == "secure-mlops/SM-NB-01")
    assert nb["Severity"]["Label"] == "HIGH"
    assert nb["Resources"][0] == {
        "Type": "AwsSageMakerNotebookInstance", "Partition": "aws", "Region": "us-east-1",
        "Id": "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/scratch-notebook"}
    assert nb["Remediation"]["Recommendation"]["Text"] == load_catalog().get("SM-NB-01").remediation
    assert json.loads(nb["ProductFields"]["secure-mlops/Evidence"])["DirectInternetAccess"] == "Enabled"
    assert nb["Compliance"]["RelatedRequirements"] == ["secure-mlops NET-2"]


def test_asff_suppressed_finding_is_workflow_suppressed(tmp_path):
    from secure_mlops.findings import Finding, make_document

    f = Finding(control_id="S3-06", status="SUPPRESSED", severity="low", questions=["AUDIT-2"], source="live",
                resource_type="AWS::S3::Bucket", resource_id="logs", message="access logging is off",
                resource_arn="arn:aws:s3:::logs", account="123456789012", region="us-east-1",
                suppression_reason="this is the log bucket itself")
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(make_document([f], kind="audit")))
    code, out, _ = report_cli(str(path), "--format", "asff")
    assert code == 0
    (item,) = json.loads(out)
    assert item["Workflow"] == {"Status": "SUPPRESSED"} and item["Compliance"]["Status"] == "FAILED"
    assert item["ProductFields"]["secure-mlops/SuppressionReason"] == "this is the log bucket itself"


def test_asff_needs_the_account_of_live_findings(tmp_path):
    from secure_mlops.findings import Finding, make_document

    f = Finding(control_id="S3-01", status="FAIL", severity="high", questions=["DATA-1"], source="live",
                resource_type="AWS::S3::Bucket", resource_id="b", message="not encrypted")
    path = tmp_path / "no-account.json"
    path.write_text(json.dumps(make_document([f], kind="audit")))
    code, out, err = report_cli(str(path), "--format", "asff")
    assert code == 2 and out == ""
    assert str(path) in err and "account" in err


# ------------------------------------------------------------------------------ HTML
def test_html_is_self_contained_and_answers_every_question(report):
    from secure_mlops.reports import html

    page = html.render(report)
    assert not re.search(r"<script|<link|<iframe|<img|@import|url\(", page, re.I)
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", page, re.I)
    assert refs and all(r.startswith("#") for r in refs), [r for r in refs if not r.startswith("#")]
    assert "http://" not in page and "https://" not in page
    for q in load_catalog().questions.values():
        assert f'id="q-{q.id}"' in page and q.text in page
    assert page.count("<svg") >= 13 + 6  # a chart per question and per area
    remediation = load_catalog().get("KMS-01").remediation
    assert remediation in page  # failing control: its remediation is in the drill-down
    assert "arn:aws:kms:eu-west-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab" in page
    assert "&#34;KeyRotationEnabled&#34;: false" in page  # the evidence, escaped


def test_html_escapes_what_findings_say(tmp_path):
    from secure_mlops.findings import Finding, make_document

    f = Finding(control_id="S3-01", status="FAIL", severity="high", questions=["DATA-1"], source="template",
                resource_type="AWS::S3::Bucket", resource_id="B", message="<script>alert(1)</script>",
                file="x.yaml", line=1)
    path = tmp_path / "gate.json"
    path.write_text(json.dumps(make_document([f], kind="gate")))
    out = tmp_path / "r.html"
    code, _, _ = report_cli(str(path), "--format", "html", "-o", str(out))
    assert code == 1
    page = out.read_text()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# ------------------------------------------------------------------------------ CLI
def test_terminal_summary_lists_every_question_and_exits_1_on_failures():
    code, out, _ = report_cli(*FIXTURES)
    assert code == 1
    for qid in load_catalog().questions:
        assert qid in out
    assert "not fully answered" in out and "not satisfied" in out
    assert "3 satisfied, 6 not satisfied, 4 not fully answered" in out


def test_exit_code_0_when_nothing_fails_at_the_threshold(tmp_path):
    code, _, _ = report_cli(*FIXTURES, "--fail-on", "critical")
    assert code == 0


def test_output_file(tmp_path):
    out = tmp_path / "sub" / "report.json"
    code, stdout, err = report_cli(*FIXTURES, "--format", "json", "-o", str(out))
    assert code == 1 and stdout == "" and str(out) in err
    assert json.loads(out.read_text())["kind"] == "report"
    txt = tmp_path / "report.txt"
    report_cli(*FIXTURES, "-o", str(txt))
    assert "\x1b[" not in txt.read_text() and "AUDIT-2" in txt.read_text()


@pytest.mark.parametrize("content, expected", [
    ("{not json", "line 1: not JSON"),
    ('{"schema_version": 1, "kind": "audit", "findings": [{"control_id": "S3-01"}]}', "field findings/0"),
    ('{"schema_version": 1, "kind": "report", "findings": []}', "field kind"),
])
def test_bad_findings_file_is_one_clear_error_with_exit_2(tmp_path, content, expected):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    code, out, err = report_cli(FIXTURES[0], str(bad))
    assert code == 2 and out == ""
    assert str(bad) in err and expected in err
    assert err.count("error:") == 1


def test_missing_findings_file_exits_2(tmp_path):
    code, _, err = report_cli(str(tmp_path / "nope.json"))
    assert code == 2 and "nope.json: no such file" in err


def test_the_report_never_overwrites_an_input(tmp_path):
    doc = tmp_path / "audit.json"
    doc.write_text(Path(FIXTURES[1]).read_text())
    code, _, err = report_cli(str(doc), "--format", "json", "-o", str(doc))
    assert code == 2 and "also an input" in err and "--output" in err
    assert doc.read_text() == Path(FIXTURES[1]).read_text()


def test_a_remediate_document_is_refused_as_report_input(tmp_path):
    """remediate re-audits only the resources it touched: its PASS says nothing about the others."""
    from secure_mlops.findings import Finding, make_document

    fixed = Finding(control_id="KMS-01", status="PASS", severity="medium", questions=["DATA-2"], source="live",
                    resource_type="AWS::KMS::Key", resource_id="k1", message="fixed: rotation enabled",
                    resource_arn="arn:aws:kms:us-east-1:123456789012:key/k1", account="123456789012",
                    region="us-east-1")
    doc = make_document([fixed], "remediate", target={"account": "123456789012", "region": "us-east-1"},
                        evaluated_controls=["KMS-01"])
    doc["mode"] = "apply"
    rem = tmp_path / "rem.json"
    rem.write_text(json.dumps(doc))
    out_file = tmp_path / "r.json"
    code, out, err = report_cli(FIXTURES[1], str(rem), "--format", "json", "-o", str(out_file))
    assert code == 2 and out == "" and not out_file.exists()
    assert err.count("error:") == 1
    assert f"{rem}: field kind: a remediate document" in err
    assert "secure-mlops audit" in err  # the fix: audit again after remediating
