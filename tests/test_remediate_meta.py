"""Meta tests: one remediation module per responsive control, each declaring what it needs, and
the documented least-privilege policy generated from them.

Regenerate the policy in docs/remediate.md (never by hand) with:
    SECURE_MLOPS_UPDATE_DOCS=1 .venv/bin/python -m pytest tests/test_remediate_meta.py
"""

from __future__ import annotations

import inspect
import json
import os
import re
from pathlib import Path

import pytest

from secure_mlops.controls import REMEDIATIONS_DIR, load_catalog
from secure_mlops.remediations.registry import MODULE_NAME, REQUIRED, least_privilege_policy, module_for

DOC = Path(__file__).resolve().parents[1] / "docs" / "remediate.md"
BEGIN = "<!-- BEGIN generated: secure-mlops remediate --print-policy -->"
END = "<!-- END generated -->"
RESPONSIVE = [c for c in load_catalog() if c.has_mode("responsive")]
ACTION = re.compile(r"^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$")


@pytest.mark.parametrize("control", RESPONSIVE, ids=lambda c: c.id)
def test_every_responsive_control_has_a_module_declaring_what_it_needs(control):
    module = module_for(control)
    missing = [name for name in REQUIRED if not hasattr(module, name)]
    assert not missing, f"{module.__file__} lacks {missing}"
    assert module.CONTROL_ID == control.id
    assert isinstance(module.permissions, tuple) and module.permissions
    assert all(ACTION.match(p) for p in module.permissions), module.permissions
    assert len(set(module.permissions)) == len(module.permissions)
    assert isinstance(module.CONTAINS_ONLY, bool)
    assert list(inspect.signature(module.plan).parameters)[:2] == ["finding", "session"]
    assert list(inspect.signature(module.apply).parameters) == ["step", "session"]
    doc = module.__doc__ or ""
    assert doc.startswith(f"{control.id} responsive:") and "Does:" in doc and "Never" in doc, module.__file__


def test_no_module_without_a_responsive_control():
    responsive = {c.remediation_module.rsplit(".", 1)[-1] for c in RESPONSIVE}
    modules = {p.stem for p in REMEDIATIONS_DIR.glob("*.py") if MODULE_NAME.match(p.stem)}
    assert modules == responsive


def test_the_catalogue_says_what_each_module_contains_or_fixes():
    """A module that can only contain declares it; its control's `responsive` text says so."""
    for control in RESPONSIVE:
        module = module_for(control)
        text = control.responsive.lower()
        if module.CONTAINS_ONLY:
            assert any(w in text for w in ("tag", "stop")), (control.id, text)


def test_the_documented_policy_is_generated_from_the_modules():
    policy = json.dumps(least_privilege_policy(load_catalog()), indent=2)
    block = f"{BEGIN}\n```json\n{policy}\n```\n{END}"
    text = DOC.read_text()
    if os.environ.get("SECURE_MLOPS_UPDATE_DOCS"):
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
        DOC.write_text(text)
    assert block in text, ("docs/remediate.md's policy differs from the modules' permissions; regenerate it: "
                           "SECURE_MLOPS_UPDATE_DOCS=1 pytest tests/test_remediate_meta.py")


def test_every_declared_permission_is_in_the_policy():
    actions = {a for s in least_privilege_policy(load_catalog())["Statement"] for a in s["Action"]}
    for control in RESPONSIVE:
        assert set(module_for(control).permissions) <= actions


def test_importing_the_package_is_cheap():
    import subprocess
    import sys

    code = ("import sys, secure_mlops.remediations, secure_mlops.remediations.registry; "
            "print(','.join(m for m in ('boto3', 'c7n', 'botocore') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
