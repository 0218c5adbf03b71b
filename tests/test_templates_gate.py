"""The project's own templates pass the project's own gate: no finding, no suppression."""

from __future__ import annotations

from secure_mlops.provision.stacks import TEMPLATES_DIR

TEMPLATES = sorted(TEMPLATES_DIR.glob("*.yaml"))


def test_templates_carry_no_suppressions():
    for path in TEMPLATES:
        text = path.read_text()
        assert "suppress" not in text and "SuppressedRules" not in text, path.name


def test_templates_pass_the_gate_with_no_findings():
    from secure_mlops.guardrails.gate import run_gate

    result = run_gate(TEMPLATES)
    assert len(result.files) == len(TEMPLATES), result.files
    bad = [f for f in result.findings if f.status.value in ("FAIL", "ERROR", "SUPPRESSED")]
    assert not bad, "\n".join(f"{f.file}:{f.line} {f.control_id} {f.logical_id} {f.status}: {f.message}" for f in bad)
    assert any(f.status.value == "PASS" for f in result.findings)
