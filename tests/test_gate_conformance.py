"""Conformance with peers: gate the peer suite (tests/conformance, copied from ../shared/conformance
with its licences) and compare every case whose check corresponds to one of our controls.

A new disagreement, or a listed one that no longer happens, fails the test: the list in
tests/conformance/mapping.yaml (explained in docs/conformance.md) stays exact.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from secure_mlops.controls import load_catalog

HERE = Path(__file__).resolve().parent
SUITE = HERE / "conformance"
DOC = HERE.parent / "docs" / "conformance.md"


def _mapping() -> dict:
    return yaml.safe_load((SUITE / "mapping.yaml").read_text())


def compare(findings, cases, mapping) -> tuple[list[dict], Counter]:
    """Per corresponding case: the source's verdict and ours. Returns (rows, counts)."""
    from secure_mlops.guardrails.verdicts import scope_types

    catalog = load_catalog()
    anchored: dict[str, list] = {}
    for c in catalog:
        for ids in c.anchors.values():
            for check in ids:
                anchored.setdefault(check, []).append(c)
    for check, ids in (mapping.get("extra_correspondences") or {}).items():
        anchored.setdefault(check, []).extend(catalog.get(i) for i in ids)
    by_file: dict[str, list] = {}
    for f in findings:
        by_file.setdefault(f.file, []).append(f)
    rows, counts = [], Counter()
    for case in cases:
        if case["expected"] not in ("PASS", "FAIL", "SKIP"):
            counts[f"not compared: {case['expected']}"] += 1
            continue
        controls = [c for c in anchored.get(case["check_id"], [])
                    if case["resource_type"] == "-" or case["resource_type"] in scope_types(c)]
        if not controls:
            counts["no corresponding control"] += 1
            assert case["check_id"] in mapping["no_corresponding_control"], case
            continue
        for control in controls:
            mine = [f for f in by_file.get(case["file"], []) if f.control_id == control.id and
                    (case["logical_id"] == "(none)" or f.logical_id == case["logical_id"])]
            ours = "FAIL" if any(f.status.value in ("FAIL", "ERROR") for f in mine) else \
                "SUPPRESSED" if any(f.status.value == "SUPPRESSED" for f in mine) else \
                "PASS" if mine else "SKIP"
            expected = case["expected"]
            suppressed = expected == "SKIP" and "suppressed via" in case["note"]
            if suppressed:
                expected = "FAIL"  # the source's own suppression; the gate does not honour it
            rows.append({"file": case["file"], "logical_id": case["logical_id"], "check": case["check_id"],
                         "control": control.id, "expected": expected, "ours": ours,
                         "suppressed": suppressed, "agree": ours == expected})
            counts["compared"] += 1
            counts["agree" if ours == expected else "disagree"] += 1
    return rows, counts


@pytest.fixture(scope="module")
def conformance():
    from secure_mlops.guardrails.gate import run_gate

    result = run_gate([SUITE], root=SUITE)
    cases = json.loads((SUITE / "cases.json").read_text())["cases"]
    return result, cases


def test_suite_is_a_faithful_copy_with_licences():
    shared = HERE.parent.parent / "shared" / "conformance"
    for lic in ("aws-guard-rules-registry/LICENSE", "aws-guard-rules-registry/NOTICE", "checkov/LICENSE",
                "cfn_nag/LICENSE.md", "INDEX.md", "cases.json"):
        assert (SUITE / lic).is_file(), lic
    if shared.is_dir():
        for src in shared.rglob("*"):
            if src.is_file():
                copy = SUITE / src.relative_to(shared)
                assert copy.read_bytes() == src.read_bytes(), f"{copy} differs from {src}"


def test_no_file_of_the_suite_breaks_the_gate(conformance):
    result, _ = conformance
    errors = [f for f in result.findings if f.control_id == "TEMPLATE-ERROR"]
    assert not errors, [(f.file, f.message) for f in errors]


def test_verdicts_agree_with_peers_or_are_listed(conformance):
    result, cases = conformance
    mapping = _mapping()
    rows, counts = compare(result.findings, cases, mapping)
    listed = {tuple(d[:6]): d[6] for d in mapping["disagreements"]}
    found = {(r["file"], r["logical_id"], r["check"], r["control"], r["expected"], r["ours"])
             for r in rows if not r["agree"]}
    new = sorted(found - set(listed))
    gone = sorted(set(listed) - found)
    assert not new, "new disagreements (fix the rule, or list them with a reason):\n" + "\n".join(map(str, new))
    assert not gone, "listed disagreements that no longer happen (remove them):\n" + "\n".join(map(str, gone))
    for reason in listed.values():
        assert reason in mapping["reasons"], reason
    # the figure docs/conformance.md states
    figure = f"{counts['agree']} of {counts['compared']}"
    assert figure in DOC.read_text(), f"docs/conformance.md must state the agreement figure: {figure}"
    print(f"\nconformance: {figure} corresponding cases agree; {dict(counts)}")


def test_every_disagreement_is_explained_in_the_docs():
    text = DOC.read_text()
    mapping = _mapping()
    for file, logical_id, check, control, *_ in mapping["disagreements"]:
        assert logical_id in text and check in text and control in text, (file, logical_id, check)
    for check in mapping["no_corresponding_control"]:
        assert check in text, check
