"""How the report answers the questions: control states per source, question verdicts."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from secure_mlops.controls import load_catalog
from secure_mlops.findings import Finding, make_document
from secure_mlops.reports.build import build_report
from secure_mlops.reports.merge import load, merge

DATA = Path(__file__).resolve().parent / "data" / "findings"
FIXTURES = [DATA / "gate.json", DATA / "audit-dev.json", DATA / "audit-prod.json"]
CATALOG = load_catalog()


def f(control_id: str, status: str, source: str = "live", resource: str = "r1", **extra) -> Finding:
    control = CATALOG.controls.get(control_id)
    base = dict(control_id=control_id, status=status, severity=control.severity if control else "high",
                questions=list(control.questions) if control else [], source=source,
                resource_type="AWS::S3::Bucket", resource_id=resource, message=f"{control_id} {status}")
    if source == "template":
        base["file"] = "t.yaml"
    else:
        base.update(account="111111111111", region="us-east-1", resource_arn=f"arn:aws:s3:::{resource}")
    if status == "SUPPRESSED":
        base["suppression_reason"] = "accepted"
    base.update(extra)
    return Finding(**base)


def doc(kind: str, findings: list[Finding], evaluated=None, path: str | None = None) -> dict:
    d = make_document(findings, kind=kind, target={"account": "111111111111", "region": "us-east-1"}
                      if kind == "audit" else {}, evaluated_controls=evaluated)
    d["_path"] = path or f"{kind}.json"
    return d


def all_pass(kind: str, skip=(), resource: str = "r1") -> list[Finding]:
    """PASS for every control that has the mode of `kind`."""
    mode, source = ("preventive", "template") if kind == "gate" else ("detective", "live")
    return [f(c.id, "PASS", source, resource) for c in CATALOG if mode in c.modes and c.id not in skip]


def answers(*docs) -> dict[str, str]:
    report = build_report(merge(list(docs)))
    return {a.question.id: a.status for a in report.evaluation.answers}


def control(report_docs, control_id):
    return build_report(merge(list(report_docs))).evaluation.controls[control_id]


def test_everything_passing_on_both_sources_satisfies_every_question():
    result = answers(doc("gate", all_pass("gate")), doc("audit", all_pass("audit")))
    assert set(result) == set(CATALOG.questions) and len(result) == 13
    assert set(result.values()) == {"satisfied"}


def test_one_failing_finding_makes_its_questions_not_satisfied_and_no_others():
    live = all_pass("audit") + [f("SM-NB-01", "FAIL", resource="open-notebook")]
    result = answers(doc("gate", all_pass("gate")), doc("audit", live))
    failing = {q for q, s in result.items() if s != "satisfied"}
    assert failing == set(CATALOG.get("SM-NB-01").questions) == {"NET-2"}
    assert result["NET-2"] == "not_satisfied"


def test_only_error_findings_mean_not_evaluated_and_not_fully_answered():
    live = all_pass("audit", skip={"SM-UP-01"}) + [f("SM-UP-01", "ERROR")]
    docs = [doc("gate", all_pass("gate")), doc("audit", live)]
    assert control(docs, "SM-UP-01").state == "not_evaluated"
    result = answers(*docs)
    assert result["NET-3"] == result["AUTHZ-2"] == "not_fully_answered"
    assert result["NET-1"] == "satisfied"


def test_pass_and_error_mean_error_never_passing():
    live = all_pass("audit") + [f("LOG-02", "ERROR", resource="other-trail")]
    docs = [doc("gate", all_pass("gate")), doc("audit", live)]
    c = control(docs, "LOG-02")
    assert c.state == "error" and "ERROR on 1 of 2 checks" in c.reason
    assert answers(*docs)["AUDIT-2"] == "not_fully_answered"


def test_failure_takes_precedence_over_incomplete():
    live = all_pass("audit", skip={"SM-UP-01"}) + [f("SM-NB-03", "FAIL", resource="root-nb")]
    result = answers(doc("gate", all_pass("gate")), doc("audit", live))
    assert result["AUTHZ-2"] == "not_satisfied"  # SM-NB-03 fails, SM-UP-01 not evaluated
    assert result["NET-3"] == "not_fully_answered"  # SM-UP-01 not evaluated only


PREVENTIVE = [c.id for c in CATALOG if "preventive" in c.modes]
DETECTIVE = [c.id for c in CATALOG if "detective" in c.modes]


def test_template_pass_and_no_live_resource_of_its_type_is_passing():
    # SM-NB-01 passes in the templates; the audit ran it and found no notebook: nothing live to fail
    gate = doc("gate", all_pass("gate"))
    audit = doc("audit", all_pass("audit", skip={"SM-NB-01"}), evaluated=DETECTIVE)
    c = control([gate, audit], "SM-NB-01")
    assert c.state == "passing", c.reason
    assert c.sources["template"].state == "passing"
    assert c.sources["live"].state == "not_applicable"
    assert "no resource it applies to" in c.sources["live"].reason
    assert answers(gate, audit)["NET-2"] == "satisfied"


def test_no_resource_in_the_templates_does_not_block_a_control_that_passes_live():
    # notebooks exist only at run time: the gate ran SM-NB-01 and found none; the audit passes it
    gate = doc("gate", all_pass("gate", skip={"SM-NB-01"}), evaluated=PREVENTIVE)
    audit = doc("audit", all_pass("audit"))
    c = control([gate, audit], "SM-NB-01")
    assert c.state == "passing", c.reason
    assert c.sources["template"].state == "not_applicable"
    assert c.sources["template"].reason == "templates: evaluated, no resource it applies to"
    assert c.sources["live"].state == "passing"
    net2 = next(a for a in build_report(merge([gate, audit])).evaluation.answers if a.question.id == "NET-2")
    assert net2.status == "satisfied"
    assert net2.explanation.endswith("(1 control had nothing to check in the templates)")


def test_a_control_with_no_resource_on_any_source_stays_not_evaluated():
    gate = doc("gate", all_pass("gate", skip={"SM-NB-01"}), evaluated=PREVENTIVE)
    audit = doc("audit", all_pass("audit", skip={"SM-NB-01"}), evaluated=DETECTIVE)
    c = control([gate, audit], "SM-NB-01")
    assert c.state == "not_evaluated"
    assert {s.state for s in c.sources.values()} == {"not_applicable"}
    assert c.reason == ("ran, but found no resource it applies to in the templates or the live resources: "
                        "nothing was checked")
    assert answers(gate, audit)["NET-2"] == "not_fully_answered"
    # one source alone with no resource: not evaluated either
    assert control([audit], "SM-NB-01").state == "not_evaluated"
    assert control([gate], "SM-NB-01").state == "not_evaluated"


def test_no_resource_in_the_templates_never_hides_a_live_failure_or_a_missing_run():
    gate = doc("gate", all_pass("gate", skip={"SM-NB-01"}), evaluated=PREVENTIVE)
    live_fail = doc("audit", all_pass("audit", skip={"SM-NB-01"}) + [f("SM-NB-01", "FAIL", resource="nb")])
    assert control([gate, live_fail], "SM-NB-01").state == "failing"
    assert answers(gate, live_fail)["NET-2"] == "not_satisfied"
    live_error = doc("audit", all_pass("audit", skip={"SM-NB-01"}) + [f("SM-NB-01", "ERROR", resource="nb")])
    assert control([gate, live_error], "SM-NB-01").state == "not_evaluated"
    not_run = doc("audit", all_pass("audit", skip={"SM-NB-01"}))  # SM-NB-01 not in evaluated_controls
    c = control([gate, not_run], "SM-NB-01")
    assert c.state == "not_evaluated" and "not run" in c.sources["live"].reason
    # and a template failure with a live pass is still a failure
    gate_fail = doc("gate", all_pass("gate", skip={"SM-NB-01"}) + [f("SM-NB-01", "FAIL", "template", "Nb")])
    c = control([gate_fail, doc("audit", all_pass("audit"))], "SM-NB-01")
    assert c.state == "failing" and c.sources["live"].state == "passing"


def test_no_resource_claimed_by_a_source_that_was_not_fully_evaluated_is_not_trusted():
    # one gate input ran SM-NB-01 and found no notebook, the other did not run it
    ran = doc("gate", all_pass("gate", skip={"SM-NB-01"}), evaluated=PREVENTIVE, path="env-gate.json")
    other = [x for x in all_pass("gate", resource="r2") if x.control_id != "SM-NB-01"]
    partial = doc("gate", other, evaluated=[x.control_id for x in other], path="project-gate.json")
    c = control([ran, partial, doc("audit", all_pass("audit"))], "SM-NB-01")
    assert c.state == "not_evaluated" and "not run in project-gate.json" in c.reason
    # a template that could not be read: "no notebook in the templates" is not known
    broken = doc("gate", all_pass("gate", skip={"SM-NB-01"}) + [f("GATE-PARSE", "ERROR", "template", "x.yaml")],
                 evaluated=PREVENTIVE)
    c = control([broken, doc("audit", all_pass("audit"))], "SM-NB-01")
    assert c.state == "error" and c.sources["template"].state == "error"
    # the gate declares it could not evaluate the control for a file: not evaluated
    declared = doc("gate", all_pass("gate", skip={"SM-EPC-02"}), evaluated=PREVENTIVE)
    declared["target"] = {"not_evaluated": [{"control_id": "SM-EPC-02", "file": "e.yaml", "reason": "stage unknown"}]}
    assert control([declared, doc("audit", all_pass("audit"))], "SM-EPC-02").state == "not_evaluated"


def test_a_control_fails_when_it_fails_on_one_source_only():
    gate = doc("gate", all_pass("gate") + [f("S3-01", "FAIL", "template", "Bucket2")])
    c = control([gate, doc("audit", all_pass("audit"))], "S3-01")
    assert c.state == "failing"
    assert c.sources["template"].state == "failing" and c.sources["live"].state == "passing"


def test_gate_only_inputs_answer_only_with_preventive_controls():
    result_docs = [doc("gate", all_pass("gate"))]
    rep = build_report(merge(result_docs))
    reg04 = rep.evaluation.controls["SM-REG-04"]  # detective only: nothing checks it on templates
    assert reg04.state == "not_evaluated" and "give audit findings" in reg04.reason
    states = {a.question.id: a.status for a in rep.evaluation.answers}
    detective_only = {q for c in CATALOG if "preventive" not in c.modes for q in c.questions}
    assert {q for q, s in states.items() if s != "satisfied"} == detective_only
    assert all(states[q] == "not_fully_answered" for q in detective_only)


def test_suppressed_findings_are_accepted_exceptions_that_stay_visible():
    gate = doc("gate", all_pass("gate", skip={"ART-02"}) + [f("ART-02", "SUPPRESSED", "template", "Repo")])
    rep = build_report(merge([gate, doc("audit", all_pass("audit"))]))
    assert rep.evaluation.controls["ART-02"].state == "passing"
    art1 = next(a for a in rep.evaluation.answers if a.question.id == "ART-1")
    assert art1.status == "satisfied" and art1.suppressed == 1 and "suppressed exception" in art1.explanation
    assert rep.exit_code == 0


def test_a_control_not_run_in_one_audit_is_not_evaluated():
    dev = doc("audit", all_pass("audit"), path="dev.json")
    prod_findings = [x for x in all_pass("audit", resource="r2") if x.control_id != "SM-EPC-02"]
    prod = doc("audit", prod_findings, evaluated=[x.control_id for x in prod_findings], path="prod.json")
    c = control([doc("gate", all_pass("gate")), dev, prod], "SM-EPC-02")
    assert c.state == "not_evaluated" and "not run in prod.json" in c.reason


def test_a_control_the_gate_declares_not_evaluated_is_not_evaluated():
    # the gate lists controls it could not evaluate for a file (e.g. context missing) in
    # target.not_evaluated, without a finding
    gate = doc("gate", all_pass("gate"))
    gate["target"] = {"not_evaluated": [
        {"control_id": "SM-EPC-02", "file": "templates/endpoint.yaml", "reason": "the stage is not known"}]}
    c = control([gate, doc("audit", all_pass("audit"))], "SM-EPC-02")
    assert c.state == "not_evaluated"
    assert c.sources["template"].reason == (
        "templates: not evaluated in templates/endpoint.yaml: the stage is not known")
    assert c.sources["live"].state == "passing"
    # a failure still wins
    gate["findings"].append(f("SM-EPC-02", "FAIL", "template", "Other").to_dict())
    assert control([gate], "SM-EPC-02").state == "failing"


def test_no_findings_at_all_for_a_control_is_not_evaluated_not_run():
    audit = doc("audit", all_pass("audit", skip={"KMS-01"}))
    c = control([doc("gate", all_pass("gate")), audit], "KMS-01")
    assert c.state == "not_evaluated" and "not run" in c.reason


def test_an_error_outside_the_catalogue_leaves_its_source_in_error():
    gate = doc("gate", all_pass("gate") + [f("GATE-PARSE", "ERROR", "template", "broken.yaml")])
    rep = build_report(merge([gate, doc("audit", all_pass("audit"))]))
    assert [x.control_id for x in rep.evaluation.other_findings] == ["GATE-PARSE"]
    assert rep.evaluation.controls["SM-NB-01"].state == "error"  # preventive: checked on templates
    assert rep.evaluation.controls["SM-REG-04"].state == "passing"  # detective only: unaffected
    assert {a.status for a in rep.evaluation.answers} <= {"not_fully_answered", "satisfied"}
    assert rep.exit_code == 1


def test_exit_code_follows_fail_on_and_counts_errors():
    live = all_pass("audit") + [f("SM-EPC-02", "FAIL", resource="c2")]  # low severity
    docs = [doc("gate", all_pass("gate")), doc("audit", live)]
    assert CATALOG.get("SM-EPC-02").severity == "low"
    assert build_report(merge(docs), fail_on="low").exit_code == 1
    assert build_report(merge(docs), fail_on="medium").exit_code == 0
    err = [doc("audit", all_pass("audit") + [f("SM-NB-01", "ERROR", resource="x")])]
    assert build_report(merge(err), fail_on="high").exit_code == 1


def test_duplicates_are_dropped_and_live_findings_get_the_documents_account():
    finding = f("S3-01", "PASS")
    finding.account = finding.region = None
    d = doc("audit", [finding])
    merged = merge([d, json.loads(json.dumps(d))])
    assert len(merged.findings) == 1 and merged.duplicates == 1
    assert (merged.findings[0].account, merged.findings[0].region) == ("111111111111", "us-east-1")


def test_the_fixture_documents_give_every_kind_of_answer():
    report = build_report(load(FIXTURES))
    states = {a.question.id: a.status for a in report.evaluation.answers}
    assert states == {
        "NET-1": "not_satisfied", "NET-2": "not_satisfied", "NET-3": "not_fully_answered",
        "AUTHN-1": "satisfied", "AUTHN-2": "satisfied",
        "AUTHZ-1": "not_fully_answered", "AUTHZ-2": "not_satisfied",
        "DATA-1": "not_satisfied", "DATA-2": "not_satisfied",
        "ART-1": "satisfied", "ART-2": "not_fully_answered",
        "AUDIT-1": "not_satisfied", "AUDIT-2": "not_fully_answered",
    }
    controls = report.evaluation.controls
    assert {c for c, r in controls.items() if r.state == "failing"} == {
        "SM-NB-01", "SM-NB-02", "SM-NB-03", "S3-01", "KMS-01", "LOG-01"}
    assert {c for c, r in controls.items() if r.state == "error"} == {"SM-PIPE-01", "LOG-02"}
    assert {c for c, r in controls.items() if r.state == "not_evaluated"} == {
        "SM-UP-01", "SM-REG-02", "SM-EPC-02"}
    # no live monitoring schedule, but it passes in the templates; no live endpoint and not in the templates
    assert (controls["SM-MON-01"].state, controls["SM-MON-01"].sources["live"].state) == ("passing", "not_applicable")
    assert controls["SM-REG-02"].reason == (
        "ran, but found no resource it applies to in the live resources: nothing was checked")
    assert report.status_counts() == {"PASS": 137, "FAIL": 7, "ERROR": 4, "SUPPRESSED": 1}
    worst = next(a for a in report.evaluation.answers if a.question.id == "DATA-2").worst()
    assert [x.status.value for x in worst] == ["FAIL", "FAIL", "ERROR"]
    assert worst[0].severity == "high"  # worst first: high before medium


def test_fixture_documents_are_what_the_generator_writes(tmp_path):
    """tests/data/findings/*.json are regenerated by generate.py, never edited by hand."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate_findings", DATA / "generate.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    for source, env, name in (("template", None, "gate.json"), ("live", "dev", "audit-dev.json"),
                              ("live", "prod", "audit-prod.json")):
        findings, evaluated = gen.build(source, env)
        stored = json.loads((DATA / name).read_text())
        assert stored["findings"] == [x.to_dict() for x in findings], \
            f"{name} is stale: run .venv/bin/python tests/data/findings/generate.py"
        assert stored["evaluated_controls"] == sorted(evaluated)


@pytest.mark.parametrize("epoch", ["0", "1795600000"])
def test_report_time_honours_source_date_epoch(monkeypatch, epoch):
    from datetime import datetime, timezone

    from secure_mlops.reports.build import now_iso

    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    assert now_iso() == datetime.fromtimestamp(int(epoch), timezone.utc).isoformat(timespec="seconds")
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert abs(datetime.fromisoformat(now_iso()).timestamp() - datetime.now(timezone.utc).timestamp()) < 5
    assert os.environ.get("SOURCE_DATE_EPOCH") is None
