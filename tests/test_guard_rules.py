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


# ------------------------------------------------------------------------------ messages (review item 10)
def _rule_lint(text: str) -> list[str]:
    """Checks of a rule that would fail without saying why.

    cfn-guard reports a failing clause with its custom message (``<<...>>``); a clause without one,
    or a block over a list that is missing or empty (``some X[*] { ... }``: nothing to iterate), fails
    with no message. So every clause carries a message, and every ``X[*]`` block is preceded by a
    check ``X !empty <<...>>`` (or ``X[*].Key exists <<...>>``) that says what is missing.
    """
    import re

    bad: list[str] = []
    lines = text.splitlines()
    in_rule = False
    for i, line in enumerate(lines):
        s = line.split(" #", 1)[0].strip() if not line.strip().startswith("#") else ""
        if s.startswith("rule "):
            in_rule = True
            continue
        if not in_rule or not s or s in ("{", "}") or s.startswith(("when ", "let ", "<<")):
            continue
        if s.endswith("{"):
            m = re.match(r"^(?:some\s+)?(.+?)\[\*\]\s*\{$", s)
            if m and not re.search(re.escape(m.group(1)) + r"( !empty|\[\*\]\.\w+ exists)", "\n".join(lines[:i])):
                bad.append(f"line {i + 1}: block over {m.group(1)}[*] without a check `{m.group(1)} !empty <<...>>`")
            continue
        following = next((x.strip() for x in lines[i + 1:] if x.strip()), "")
        if not (s.endswith(">>") or s.endswith(" or") or following.startswith("<<")):
            bad.append(f"line {i + 1}: clause without a message: {s}")
    return bad


@pytest.mark.parametrize("control_id", PREVENTIVE)
def test_every_check_of_the_rule_says_why_it_fails(control_id):
    control = load_catalog().get(control_id)
    assert _rule_lint(control.guard_rule_path.read_text()) == []


def test_the_rule_lint_finds_silent_checks():
    silent = "rule X {\n    Resources.*[ Type == 'A' ] {\n        some Derived.Policy[*] {\n" \
             "            Effect == \"Deny\"\n        }\n    }\n}\n"
    assert len(_rule_lint(silent)) == 2
    said = silent.replace("        some Derived", "        Derived.Policy !empty <<no statement>>\n        some Derived") \
        .replace('"Deny"\n', '"Deny" <<not a deny>>\n')
    assert _rule_lint(said) == []


def test_no_failure_is_reported_without_saying_why(gated_cases):
    result, _ = gated_cases
    catalog = load_catalog()
    for f in result.findings:
        if f.status.value == "FAIL":
            assert f.message and f.message != "the rule failed", (f.file, f.control_id, f.message)
            assert not f.message.startswith(catalog.get(f.control_id).title + " does not hold"), (f.file, f.message)
            assert "{resource}" not in f.message and "{statement}" not in f.message and "{and:" not in f.message


def test_iam_failures_name_the_role(gated_cases):
    result, _ = gated_cases
    iam = [f for f in result.findings if f.control_id.startswith("IAM-") and f.status.value == "FAIL"]
    assert len(iam) >= 12
    for f in iam:
        assert f"role {f.logical_id}" in f.message, (f.file, f.message)


def test_messages_that_differ_in_a_list_slot_are_one_sentence():
    from secure_mlops.guardrails.verdicts import merge_lists

    msgs = [f"role R does not deny {{and:{a}}} when {{or:{k}}} is absent" for k in ("K1", "K2") for a in ("A", "B", "C")]
    assert merge_lists(msgs) == ["role R does not deny A, B and C when K1 or K2 is absent"]
    assert merge_lists(["deny {and:A} when {or:K1}", "deny {and:B} when {or:K2}", "plain"]) == \
        ["deny A when K1", "deny B when K2", "plain"]
