"""The control catalogue stays honest: ids, fields, questions, and a rule for every preventive control."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from secure_mlops.controls import CONTROLS_DIR, GUARD_DIR, SEVERITIES, load_catalog

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "controls.yaml"
ID = re.compile(r"^[A-Z0-9]+(-[A-Z0-9]+)*-[0-9]{2}$")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def reference():
    if not REFERENCE.is_file():
        pytest.skip("../shared/reference/controls.yaml is not beside the project")
    return {c["id"]: c for c in yaml.safe_load(REFERENCE.read_text())["controls"]}


def test_ids_are_unique_well_formed_and_match_file_names(catalog):
    files = sorted(p.stem for p in CONTROLS_DIR.glob("*.yaml"))
    assert len(files) == len(set(files)) == len(catalog)
    for c in catalog:
        assert ID.match(c.id), c.id
        assert (CONTROLS_DIR / f"{c.id}.yaml").is_file()
        assert c.severity in SEVERITIES


def test_catalogue_holds_every_reference_control_with_the_same_fields(catalog, reference):
    assert set(reference) <= set(catalog.controls), set(reference) - set(catalog.controls)
    for cid, ref in reference.items():
        c = catalog.get(cid)
        assert c.title == ref["title"], cid
        assert c.severity == ref["severity"], cid
        assert list(c.questions) == ref["questions"], cid
        assert list(c.modes) == ref["modes"], cid
        assert list(c.resources) == ref["resources"], cid
        assert c.pass_when == ref["pass_when"], cid
        if ref.get("responsive"):
            assert c.responsive == ref["responsive"], cid
        for tool, ids in (ref.get("anchors") or {}).items():
            for anchor in str(ids).split(", "):
                assert anchor in c.anchors.get(tool, ()), (cid, tool, anchor)


def test_every_question_is_answered_by_some_control(catalog):
    assert len(catalog.questions) == 13
    for qid in catalog.questions:
        assert catalog.for_question(qid), f"no control answers {qid}"


def test_every_preventive_control_has_a_rule_named_after_it(catalog):
    preventive = catalog.with_mode("preventive")
    assert len(preventive) == 49
    for c in preventive:
        text = c.guard_rule_path.read_text()
        names = re.findall(r"^rule\s+(\w+)", text, re.M)
        assert names == [c.guard_rule_name], (c.id, names)
        assert c.guard_tests_path.is_file(), c.guard_tests_path
        assert f"id == '{c.id}' reason == /\\S/" in text, f"{c.id}: selections must honour suppressions"
        for rtype in c.gate_scope:
            assert f"'{rtype}'" in text, (c.id, rtype)


def test_no_rule_without_a_preventive_control(catalog):
    ids = {c.id for c in catalog.with_mode("preventive")}
    for path in GUARD_DIR.glob("*.guard"):
        assert path.stem in ids, f"{path.name} belongs to no preventive control"


def test_every_rule_can_report_its_scope(catalog):
    from secure_mlops.guardrails.rulesfile import scope_rule

    for c in catalog.with_mode("preventive"):
        assert scope_rule(c.guard_rule_path.read_text()) is not None, c.id


def test_controls_list_filters(catalog):
    out = subprocess.run([sys.executable, "-m", "secure_mlops.cli", "controls", "list", "--mode", "preventive",
                          "--question", "NET-2", "--severity", "high", "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    import json

    ids = {c["id"] for c in json.loads(out)}
    expected = {c.id for c in catalog.filter(mode="preventive", question="NET-2", severity="high")}
    assert ids == expected and "SM-NB-01" in ids and "SM-NB-03" not in ids


def test_controls_list_table_and_unknown_question():
    ok = subprocess.run([sys.executable, "-m", "secure_mlops.cli", "controls", "list"], capture_output=True,
                        text=True)
    assert ok.returncode == 0 and "SM-PIPE-01" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "secure_mlops.cli", "controls", "list", "--question", "NET-9"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "NET-9" in bad.stderr


def test_controls_show():
    out = subprocess.run([sys.executable, "-m", "secure_mlops.cli", "controls", "show", "sm-nb-01"],
                         capture_output=True, text=True, check=True).stdout
    data = yaml.safe_load(out)
    assert data["id"] == "SM-NB-01" and data["implementations"]["guard_rule"].endswith("SM-NB-01.guard")
    assert data["remediation"] and "guard_registry" in data["anchors"]
    bad = subprocess.run([sys.executable, "-m", "secure_mlops.cli", "controls", "show", "XX-99"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "XX-99" in bad.stderr


def test_rule_files_can_share_one_rules_file():
    """The gate merges every rule into one file: `let` names must be distinct across files."""
    names: dict[str, str] = {}
    for path in GUARD_DIR.glob("*.guard"):
        for name in re.findall(r"^\s*let\s+(\w+)", path.read_text(), re.M):
            assert name not in names or names[name] == path.name, (name, path.name, names.get(name))
            names[name] = path.name
            assert not name.startswith("gate_"), f"{path.name}: `gate_` names are the gate's own"
