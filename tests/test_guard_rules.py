"""Every preventive rule: its cfn-guard unit tests, and the gate's verdict on every case.

The cases live in secure_mlops/guardrails/guard/cases/<ID>.yaml (plain templates with the verdict
the rule must give); guard/tests/<ID>_tests.yaml is generated from them in the resolved form
the rules read. Here:

- `cfn-guard test` runs each rule against its generated tests (PASS, FAIL, SKIP and suppressed);
- the generated files must be up to date with the cases and the resolver;
- every case is gated (all of them in ONE gate run, as files) and the gate's findings must
  match: PASS -> only PASS, FAIL -> a FAIL, suppressed -> SUPPRESSED and no FAIL, SKIP -> no
  failure; `gate: NOT_EVALUATED` -> listed as not evaluated; `message:` -> in the FAIL message;
  `isolated: true` -> gated alone (the case is about what the other gated templates hold).
"""

from __future__ import annotations

import json

import pytest

from secure_mlops.controls import load_catalog
from secure_mlops.guardrails import casegen

PREVENTIVE = [c.id for c in load_catalog().with_mode("preventive")]


@pytest.fixture(scope="module")
def guard():
    from secure_mlops.guardrails.cfnguard import find_cfn_guard

    return find_cfn_guard()


@pytest.mark.parametrize("control_id", PREVENTIVE)
def test_cfn_guard_unit_tests(guard, control_id):
    control = load_catalog().get(control_id)
    proc = guard.test(control.guard_rule_path, control.guard_tests_path)
    assert proc.returncode == 0, f"cfn-guard test failed for {control_id}:\n{proc.stdout[-4000:]}\n{proc.stderr}"
    # every case was run (cfn-guard prints one block per case)
    assert proc.stdout.count("Test Case #") == len(casegen.load_cases(control_id))


@pytest.mark.parametrize("control_id", PREVENTIVE)
def test_generated_tests_are_up_to_date(control_id):
    control = load_catalog().get(control_id)
    assert control.guard_tests_path.read_text() == casegen.render_tests(control_id), (
        f"{control.guard_tests_path.name} is out of date: run `python -m secure_mlops.guardrails.casegen`")


@pytest.fixture(scope="module")
def gated_cases(tmp_path_factory):
    """Write every case of every control as a template file and gate them all at once."""
    from secure_mlops.guardrails.gate import run_gate

    root = tmp_path_factory.mktemp("cases")
    parameters = {}
    index = {}
    for control_id in PREVENTIVE:
        for i, case in enumerate(casegen.load_cases(control_id), 1):
            path = root / control_id / f"case{i:02d}.json"
            path.parent.mkdir(exist_ok=True)
            path.write_text(json.dumps(case["template"]))
            rel = path.relative_to(root).as_posix()
            if case.get("parameters"):
                parameters[rel] = {k: str(v) for k, v in case["parameters"].items()}
            index[rel] = (control_id, case)
    isolated = [rel for rel, (_, case) in index.items() if case.get("isolated")]
    batch = [root / rel for rel in index if rel not in isolated]
    result = run_gate(batch, parameters=parameters, root=root)
    for rel in isolated:  # cases about joins across templates are gated on their own
        alone = run_gate([root / rel], parameters=parameters, root=root)
        result.findings.extend(alone.findings)
        result.not_evaluated.extend(alone.not_evaluated)
    return result, index


def _case_ids():
    return [f"{cid}-{i}" for cid in PREVENTIVE for i, _ in enumerate(casegen.load_cases(cid), 1)]


@pytest.mark.parametrize("case_id", _case_ids())
def test_gate_verdict_matches_case(gated_cases, case_id):
    result, index = gated_cases
    control_id, n = case_id.rsplit("-", 1)
    rel = f"{control_id}/case{int(n):02d}.json"
    _, case = index[rel]
    mine = [f for f in result.findings if f.file == rel and f.control_id == control_id]
    statuses = sorted({f.status.value for f in mine})
    errors = [f for f in result.findings if f.file == rel and f.control_id == "TEMPLATE-ERROR"]
    assert not errors, errors
    what = f"{case['name']!r}: {[(f.resource_id, f.status.value, f.message) for f in mine]}"
    gate = case.get("gate")
    if gate == "NOT_EVALUATED":
        assert not mine, what
        assert any(n.control_id == control_id and n.file == rel for n in result.not_evaluated), what
    elif case["expect"] == "PASS":
        assert statuses == ["PASS"], what
    elif case["expect"] == "FAIL":
        assert "FAIL" in statuses, what
        if case.get("message"):
            assert any(case["message"] in f.message for f in mine if f.status.value == "FAIL"), what
    elif casegen.is_suppressed_case(case, control_id):
        assert "SUPPRESSED" in statuses and "FAIL" not in statuses, what
        assert all(f.suppression_reason for f in mine if f.status.value == "SUPPRESSED")
    else:
        assert not set(statuses) & {"FAIL", "ERROR", "SUPPRESSED"}, what


def test_every_case_file_has_pass_fail_skip_and_suppressed():
    for control_id in PREVENTIVE:
        cases = casegen.load_cases(control_id)
        expects = {c["expect"] for c in cases}
        assert {"PASS", "FAIL", "SKIP"} <= expects, control_id
        assert any(casegen.is_suppressed_case(c, control_id) and c["expect"] == "SKIP" for c in cases), control_id
