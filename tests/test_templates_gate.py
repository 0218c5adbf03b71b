"""The project's own templates pass the project's own gate: no finding, no suppression."""

from __future__ import annotations

from pathlib import Path

import pytest

from secure_mlops.provision.config import example_config, load_config
from secure_mlops.provision.stacks import TEMPLATES_DIR, plan_stacks

TEMPLATES = sorted(TEMPLATES_DIR.glob("*.yaml"))
CONFIGS = Path(__file__).resolve().parent / "data" / "configs"
#: takes controls out of the templates (roles from outside, an organization trail, OU targets):
#: the gate must fail closed on it (docs/configuration.md "Known limits")
OUTSIDE = CONFIGS / "variant-existing-vpc-byo-roles.yaml"
VARIANTS = [p for p in sorted(CONFIGS.glob("variant-*.yaml")) if p != OUTSIDE]


def _describe(findings) -> str:
    return "\n".join(f"{f.file}:{f.line} {f.control_id} {f.logical_id} {f.status.value}: {f.message}" for f in findings)


def _gate_as_provisioned(config: Path):
    """Gate the planned templates the way provision does: parameters from the plan, context from the file."""
    from secure_mlops.guardrails.gate import run_gate

    specs = plan_stacks(load_config(config))
    return run_gate([s.template_path for s in specs],
                    parameters={str(s.template_path): dict(s.parameters) for s in specs}, config=config)


def test_templates_carry_no_suppressions():
    for path in TEMPLATES:
        text = path.read_text()
        assert "suppress" not in text and "SuppressedRules" not in text, path.name


def test_shipped_templates_pass_the_gate_as_they_are():
    """`secure-mlops gate secure_mlops/provision/templates/`: parameter defaults, no configuration."""
    from secure_mlops.guardrails.gate import run_gate

    result = run_gate(TEMPLATES)
    assert len(result.files) == len(TEMPLATES)
    bad = [f for f in result.findings if f.status.value != "PASS"]
    assert not bad, _describe(bad)
    assert sum(1 for f in result.findings if f.status.value == "PASS") > 50
    assert not result.not_evaluated, [n.to_dict() for n in result.not_evaluated]


def test_example_configuration_passes_the_gate_with_every_control_evaluated(tmp_path):
    path = tmp_path / "secure-mlops.yaml"
    path.write_text(example_config())
    result = _gate_as_provisioned(path)
    bad = [f for f in result.findings if f.status.value != "PASS"]
    assert not bad, _describe(bad)
    assert not result.not_evaluated, [n.to_dict() for n in result.not_evaluated]


@pytest.mark.parametrize("config", VARIANTS, ids=[p.stem for p in VARIANTS])
def test_configuration_variants_pass_the_gate(config):
    result = _gate_as_provisioned(config)
    bad = [f for f in result.findings if f.status.value != "PASS"]
    assert not bad, _describe(bad)
    assert not result.not_evaluated, [n.to_dict() for n in result.not_evaluated]


def test_the_gate_fails_closed_where_the_configuration_takes_controls_out_of_the_templates():
    result = _gate_as_provisioned(OUTSIDE)
    failed = {f.control_id for f in result.findings if f.status.value == "FAIL"}
    assert {"SM-DOM-03", "SM-UP-01", "LOG-02", "SM-REG-03"} <= failed, _describe(result.findings)
    assert not [f for f in result.findings if f.status.value == "SUPPRESSED"]
