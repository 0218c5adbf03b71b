"""The project's own templates pass the project's own gate: no finding, no suppression.

"Own templates": the stack templates (secure_mlops/provision/templates), and the seed templates a
team deploys through the environment (the MLOps project templates and the endpoint template),
which read the environment's ids from its SSM parameters.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from secure_mlops.provision.config import example_config, load_config
from secure_mlops.provision.stacks import TEMPLATES_DIR, plan_stacks

TEMPLATES = sorted(TEMPLATES_DIR.glob("*.yaml"))
SEED = Path(__file__).resolve().parents[1] / "secure_mlops" / "seed_code"
SEED_TEMPLATES = [SEED / "project_templates" / "model-build-train.yaml", SEED / "project_templates" / "model-deploy.yaml",
                  SEED / "model_deploy" / "endpoint-config-template.yaml"]
CONFIGS = Path(__file__).resolve().parent / "data" / "configs"
#: takes controls out of the templates (roles from outside, an organization trail, OU targets):
#: the gate reports those controls as not evaluated, never PASS (docs/gate.md "Context")
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
    for path in TEMPLATES + SEED_TEMPLATES:
        text = path.read_text()
        assert "suppress" not in text and "SuppressedRules" not in text, path.name


def test_shipped_templates_pass_the_gate_as_they_are():
    """`secure-mlops gate` on the stack and seed templates: parameter defaults, no configuration
    (the endpoint template's stage given, as its pipeline gives it)."""
    from secure_mlops.guardrails.gate import run_gate

    result = run_gate(TEMPLATES + SEED_TEMPLATES, parameters={str(SEED_TEMPLATES[2]): {"StageName": "prod"}})
    assert len(result.files) == len(TEMPLATES) + len(SEED_TEMPLATES)
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


def test_controls_kept_outside_the_templates_are_not_evaluated_and_provision_is_not_stopped():
    """Roles brought by the IAM team, an organization trail and OU targets: SM-DOM-03 and SM-UP-01
    (the roles) and LOG-02 (the trail) are not evaluated on the templates (the audit checks them
    live), the OU statement of the model package group passes SM-REG-03, and nothing fails, so
    provision's gating (which stops on FAIL and ERROR) lets the deployment go on."""
    from secure_mlops.findings import failing

    result = _gate_as_provisioned(OUTSIDE)
    assert not failing(result.findings, "info"), _describe(failing(result.findings, "info"))
    assert not [f for f in result.findings if f.status.value == "SUPPRESSED"]
    missing = {}
    for n in result.not_evaluated:
        missing.setdefault(n.control_id, []).append(n.reason)
    assert set(missing) == {"SM-DOM-03", "SM-UP-01", "LOG-02"}, missing
    assert len(missing["SM-UP-01"]) == 4 and len(missing["LOG-02"]) == 2, missing
    assert all("arn:aws:iam::111111111111:role/sagemaker_execution" in r for r in missing["SM-DOM-03"]), missing
    assert all("trail" in r for r in missing["LOG-02"]), missing
    passed = {(f.control_id, f.logical_id) for f in result.findings if f.status.value == "PASS"}
    assert ("SM-REG-03", "ModelPackageGroup") in passed
    # the controls that read the roles and the trail are not presented as passed on those resources
    assert not {c for c, _ in passed} & {"SM-DOM-03", "SM-UP-01", "LOG-02"}


def test_the_ou_statement_passes_only_with_the_configured_ous(tmp_path):
    """SM-REG-03: the same env.yaml with an OU that is not the configuration's fails."""
    from secure_mlops.guardrails.gate import run_gate

    specs = plan_stacks(load_config(OUTSIDE))
    env = next(s for s in specs if s.template_path.name == "env.yaml")
    params = dict(env.parameters)
    params["TargetOrgPaths"] = params["TargetOrgPaths"] + ",o-a1b2c3d4e5/r-ab12/*"
    result = run_gate([env.template_path], parameters={str(env.template_path): params}, config=OUTSIDE)
    failed = [f for f in result.findings if f.control_id == "SM-REG-03" and f.status.value == "FAIL"]
    assert failed and "not one of the environment's staging or production OUs" in failed[0].message, \
        _describe(result.findings)


def test_seed_templates_pass_the_gate_as_they_are():
    """`secure-mlops gate` on the seed templates: the environment's ids come from its SSM
    parameters (symbolic values), nothing fails; only the endpoint's stage is unknown."""
    from secure_mlops.guardrails.gate import run_gate

    result = run_gate(SEED_TEMPLATES)
    assert len(result.files) == 3
    bad = [f for f in result.findings if f.status.value != "PASS"]
    assert not bad, _describe(bad)
    checked = {(Path(f.file).name, f.control_id) for f in result.findings}
    assert {("model-build-train.yaml", "S3-01"), ("model-build-train.yaml", "ART-03"),
            ("model-deploy.yaml", "ART-03"), ("endpoint-config-template.yaml", "SM-EPC-01"),
            ("endpoint-config-template.yaml", "SM-EPC-03"), ("endpoint-config-template.yaml", "SM-MOD-02")} <= checked
    assert [(n.control_id, Path(n.file).name) for n in result.not_evaluated] == \
        [("SM-EPC-02", "endpoint-config-template.yaml")]


@pytest.mark.parametrize("stage", ["staging", "prod"])
def test_endpoint_template_passes_as_the_project_pipeline_deploys_it(stage):
    """The parameters model_deploy/build.py writes for each stage (its prod configuration asks for
    two instances), with the team environment's configuration (a dev environment: the StageName
    given to the stack wins over it): every control evaluated, nothing fails."""
    import json

    from secure_mlops.guardrails.gate import run_gate
    from secure_mlops.seed_code.model_deploy import build

    config = json.loads((SEED / "model_deploy" / f"{stage}-config.json").read_text())
    params = {p["ParameterKey"]: p["ParameterValue"] for p in build.parameters(
        "ds-team-dev", "abalone", stage, "arn:aws:sagemaker:us-east-1:111111111111:model-package/g/1", config)}
    endpoint = SEED_TEMPLATES[2]
    result = run_gate([endpoint], parameters={str(endpoint): params}, config=CONFIGS / "minimal.yaml")
    assert result.contexts[result.files[0]]["stage"] == stage
    bad = [f for f in result.findings if f.status.value != "PASS"]
    assert not bad, _describe(bad)
    assert not result.not_evaluated, [n.to_dict() for n in result.not_evaluated]
    epc02 = [f for f in result.findings if f.control_id == "SM-EPC-02"]
    assert [f.status.value for f in epc02] == (["PASS"] if stage == "prod" else [])


def test_seed_templates_of_another_environment_are_not_its_ids():
    """Gated with a configuration, an SSM name of another environment is not that environment's id."""
    from secure_mlops.guardrails.gate import run_gate

    endpoint = SEED_TEMPLATES[2]
    other = {k: v.replace("/ds-team-dev/", "/risk-prod/") for k, v in _endpoint_ssm_defaults(endpoint).items()}
    result = run_gate([endpoint], parameters={str(endpoint): {**other, "StageName": "staging"}},
                      config=CONFIGS / "minimal.yaml")
    failed = {f.control_id for f in result.findings if f.status.value == "FAIL"}
    assert {"SM-EPC-01", "SM-EPC-03", "SM-MOD-02"} <= failed, _describe(result.findings)
    assert all("risk-prod" in f.message for f in result.findings if f.status.value == "FAIL")


def _endpoint_ssm_defaults(path: Path) -> dict[str, str]:
    from secure_mlops.cfn_template import load_template

    params = load_template(path).data["Parameters"]
    return {k: v["Default"] for k, v in params.items() if str(v.get("Type", "")).startswith("AWS::SSM::")}
