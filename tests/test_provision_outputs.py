"""Stack outputs are data: printed whole on stdout, in a format scripts can read (review H2 item 11).

No `wide_console` here on purpose: outside a terminal rich renders at 80 columns, which is what
split ARNs and bucket names across lines in the review.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from helpers import Spec, cli

from secure_mlops import console
from secure_mlops.provision import deployer, gating

pytestmark = pytest.mark.emulator

LONG = "/unit/" + "a-rather-long-parameter-name-that-does-not-fit-in-eighty-columns-" * 2 + "end"
TEMPLATE = {
    "Resources": {"Param": {"Type": "AWS::SSM::Parameter",
                            "Properties": {"Name": LONG, "Type": "String", "Value": "v"}}},
    "Outputs": {"ParamName": {"Value": {"Ref": "Param"}},
                "ParamArn": {"Value": {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Param}"}}},
}


@pytest.fixture(autouse=True)
def fresh_consoles():
    console.out.cache_clear()
    console.err.cache_clear()
    yield
    console.out.cache_clear()
    console.err.cache_clear()


@pytest.fixture
def spec(tmp_path, monkeypatch):
    monkeypatch.setattr(deployer, "gate_templates", lambda *a, **k: gating.GateOutcome(ok=True))
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(TEMPLATE))
    return Spec("unit-outputs", path)


@pytest.fixture
def cfg(tmp_path):
    return SimpleNamespace(name="unit", path=tmp_path / "secure-mlops.yaml")


ARN = f"arn:aws:ssm:us-east-1:123456789012:parameter{LONG}"


def test_outside_a_terminal_outputs_are_plain_lines_with_whole_values(spec, cfg, local_target, capsys):
    assert deployer.deploy_specs([spec], cfg, local_target, projects=False)
    assert capsys.readouterr().out == f"unit-outputs\tParamArn\t{ARN}\nunit-outputs\tParamName\t{LONG}\n"
    # the same when nothing changes (the outputs of an unchanged stack are printed too)
    assert deployer.deploy_specs([spec], cfg, local_target, projects=False)
    assert capsys.readouterr().out == f"unit-outputs\tParamArn\t{ARN}\nunit-outputs\tParamName\t{LONG}\n"


def test_json_outputs_are_one_document_at_the_end(spec, cfg, local_target, capsys):
    assert deployer.deploy_specs([spec], cfg, local_target, projects=False, outputs_format="json")
    assert json.loads(capsys.readouterr().out) == {"unit-outputs": {"ParamArn": ARN, "ParamName": LONG}}


def test_a_plan_prints_no_outputs(spec, cfg, local_target, capsys):
    assert deployer.deploy_specs([spec], cfg, local_target, projects=False, plan=True, outputs_format="json")
    assert capsys.readouterr().out == ""


def test_the_table_is_there_when_asked_for(spec, cfg, local_target, capsys):
    assert deployer.deploy_specs([spec], cfg, local_target, projects=False, outputs_format="table")
    out = capsys.readouterr().out
    assert "unit-outputs outputs" in out and "ParamName" in out


def test_provision_refuses_an_unknown_outputs_format(config_file):
    r = cli("provision", "--local", "-c", str(config_file), "--outputs-format", "yaml")
    assert r.code == 2 and "'yaml' is not one of 'table', 'plain', 'json'" in r.stderr
