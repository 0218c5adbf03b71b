"""The template gate's engine: loading with positions, resolution, batching, suppressions, errors."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from secure_mlops.errors import UserError
from secure_mlops.findings import Status
from secure_mlops.guardrails.gate import TEMPLATE_ERROR, run_gate
from secure_mlops.guardrails.resolve import resolve
from secure_mlops.cfn_template import TemplateParseError, load_json_text, load_template, load_yaml_text

DATA = Path(__file__).resolve().parent / "data" / "gate"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def of(result, control_id, logical_id=None):
    return [f for f in result.findings if f.control_id == control_id and
            (logical_id is None or f.logical_id == logical_id)]


# ------------------------------------------------------------------------------ loading
def test_yaml_loader_records_positions_and_reads_short_forms():
    loaded = load_yaml_text(textwrap.dedent("""\
        AWSTemplateFormatVersion: 2010-09-09
        Resources:
          Off:
            Type: AWS::SageMaker::NotebookInstance
            Properties:
              RoleArn: !GetAtt Role.Arn
              KmsKeyId: !Ref Key
              SubnetId: !Select [0, !Split [",", "a,b"]]
              Name: !Sub "nb-${AWS::Region}"
        """), Path("t.yaml"))
    data = loaded.data
    assert data["AWSTemplateFormatVersion"] == "2010-09-09"  # a date stays a string
    props = data["Resources"]["Off"]["Properties"]  # `Off:` is a name, not false
    assert props["RoleArn"] == {"Fn::GetAtt": ["Role", "Arn"]}
    assert props["KmsKeyId"] == {"Ref": "Key"}
    assert props["SubnetId"] == {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]}
    assert loaded.positions[("Resources", "Off", "Properties", "KmsKeyId")] == (7, 17)
    assert loaded.key_positions[("Resources", "Off", "Properties")] == (5, 5)


def test_json_loader_records_positions():
    loaded = load_json_text('{\n  "Resources": {\n    "B": {"Type": "AWS::S3::Bucket",\n          "Properties": {"X": 1}}}}',
                            Path("t.json"))
    assert loaded.positions[("Resources", "B", "Properties", "X")] == (4, 31)
    assert loaded.key_positions[("Resources", "B")] == (3, 5)


@pytest.mark.parametrize("text,line", [
    ("Resources:\n  A: {Type: X}\n  A: {Type: Y}\n", 3),          # duplicate key
    ("Resources:\n  A:\n    Type: [unclosed\n", 4),               # broken YAML
    ("Resources:\n  A: !Bogus x\n", 2),                           # unknown tag
])
def test_yaml_errors_name_the_line(text, line):
    with pytest.raises(TemplateParseError) as exc:
        load_yaml_text(text, Path("bad.yaml"))
    assert exc.value.line == line


def test_json_errors_name_the_line(tmp_path):
    path = write(tmp_path / "bad.json", '{\n  "Resources": {\n    "A": {"Type": "X",}\n  }\n}\n')
    with pytest.raises(TemplateParseError) as exc:
        load_template(path)
    assert exc.value.line == 3


# ------------------------------------------------------------------------------ resolution
def test_resolution_of_parameters_conditions_and_intrinsics():
    loaded = load_yaml_text(textwrap.dedent("""\
        Parameters:
          Env: {Type: String, Default: prod}
          Subnet: {Type: "AWS::EC2::Subnet::Id"}
          FromSsm: {Type: "AWS::SSM::Parameter::Value<String>", Default: /x/y}
          NoDefault: {Type: String}
          List: {Type: CommaDelimitedList, Default: "a, b"}
        Mappings:
          M: {prod: {Size: large}}
        Conditions:
          IsProd: !Equals [!Ref Env, prod]
          IsDev: !Not [!Condition IsProd]
        Resources:
          Key: {Type: AWS::KMS::Key}
          DevOnly: {Type: AWS::S3::Bucket, Condition: IsDev}
          R:
            Type: AWS::SageMaker::NotebookInstance
            Properties:
              A: !If [IsProd, Disabled, Enabled]
              B: !If [IsDev, x, !Ref AWS::NoValue]
              C: !Sub ["${Env}-${X}-${Key.Arn}", {X: !FindInMap [M, !Ref Env, Size]}]
              D: !Join ["/", [!Ref Subnet, !Select [1, !Ref List]]]
              E: !Ref FromSsm
              F: !Sub "arn:aws:kms:${AWS::Region}:${AWS::AccountId}:key/${NoDefault}"
              G: !ImportValue shared-key
        """), Path("t.yaml"))
    r = resolve(loaded)
    res = r.data["Resources"]
    assert "DevOnly" not in res and "condition IsDev is false" in r.dropped["DevOnly"]
    props = res["R"]["Properties"]
    assert props["A"] == "Disabled"
    assert "B" not in props  # AWS::NoValue removes the property
    assert props["C"] == "prod-large-${AWS::KMS::Key/Key.Arn}"
    assert props["D"] == "${AWS::EC2::Subnet::Id/Subnet}/b"
    assert "SSM Parameter Store" in props["E"]["Unresolved"]
    assert props["F"]["Text"].endswith(":key/${NoDefault}") and "NoDefault has no default" in props["F"]["Unresolved"]
    assert "another stack" in props["G"]["Unresolved"]
    # positions of resolved values point at the original nodes
    assert r.position(("Resources", "R", "Properties", "A")) == (18, 23)  # the chosen branch
    # given values win over defaults
    r2 = resolve(loaded, {"Env": "dev", "NoDefault": "1234abcd-12ab-34cd-56ef-1234567890ab"})
    p2 = r2.data["Resources"]["R"]["Properties"]
    assert p2["A"] == "Enabled" and p2["B"] == "x" and "DevOnly" in r2.data["Resources"]
    assert p2["F"] == "arn:aws:kms:${AWS::Region}:${AWS::AccountId}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_ssm_parameters_naming_an_environment_id_are_that_id():
    loaded = load_yaml_text(textwrap.dedent("""\
        Parameters:
          Key: {Type: "AWS::SSM::Parameter::Value<String>", Default: /secure-mlops/ds-team-dev/volume-kms-key-arn}
          Subnets: {Type: "AWS::SSM::Parameter::Value<List<String>>", Default: /secure-mlops/ds-team-dev/private-subnet-ids}
          Bucket: {Type: "AWS::SSM::Parameter::Value<String>", Default: /secure-mlops/ds-team-dev/model-bucket}
          Stage: {Type: "AWS::SSM::Parameter::Value<String>", Default: /secure-mlops/ds-team-dev/stage}
          Other: {Type: "AWS::SSM::Parameter::Value<String>", Default: /platform/key}
          Unknown: {Type: "AWS::SSM::Parameter::Value<String>", Default: /secure-mlops/ds-team-dev/no-such-key}
          Count: {Type: Number, Default: 2}
          Ratios: {Type: "List<Number>", Default: "1, 0.5"}
        Conditions:
          NoBucket: !Equals [!Ref Bucket, ""]
        Resources:
          R:
            Type: AWS::SageMaker::EndpointConfig
            Properties:
              A: !Ref Key
              B: !Ref Subnets
              C: !Sub "s3://${Bucket}/capture"
              D: !Ref Stage
              E: !Ref Other
              F: !Ref Unknown
              G: !Select [1, !Ref Subnets]
              H: !If [NoBucket, x, y]
              I: !Ref Count
              J: !Ref Ratios
        """), Path("t.yaml"))
    props = resolve(loaded).data["Resources"]["R"]["Properties"]
    assert props["A"] == "${Env::ds-team-dev/volume-kms-key-arn}"
    assert props["B"] == ["${Env::ds-team-dev/private-subnet-ids}"]
    assert props["C"] == "s3://${Env::ds-team-dev/model-bucket}/capture"
    assert "the environment's stage, a value known only at deployment" in props["D"]["Unresolved"]
    assert "'/platform/key' is not an id published by a secure-mlops environment" in props["E"]["Unresolved"]
    assert "which secure-mlops environments do not publish" in props["F"]["Unresolved"]
    assert props["G"] == "${Env::ds-team-dev/private-subnet-ids}"  # one of the environment's subnets
    assert "unknown before deployment" in props["H"]["Unresolved"]  # the symbolic value is no literal
    assert props["I"] == 2 and props["J"] == [1, 0.5]  # Number parameters are numbers
    # another environment than the one being gated is not its id
    other = resolve(loaded, environment="risk-prod").data["Resources"]["R"]["Properties"]
    assert "an id of environment 'ds-team-dev', but the gate is checking environment 'risk-prod'" in \
        other["A"]["Unresolved"]
    # a value given instead of the default counts the same way
    given = resolve(loaded, {"Key": "/secure-mlops/risk-prod/s3-kms-key-arn"}).data["Resources"]["R"]["Properties"]
    assert given["A"] == "${Env::risk-prod/s3-kms-key-arn}"


def test_every_published_key_is_classified():
    """A key an environment publishes is either an id (symbolic) or a value (unknown): a new key
    must be placed in one of the two (guardrails/resolve.py ENV_BOUND / ENV_VALUES)."""
    from secure_mlops.envcontext import PARAMETERS
    from secure_mlops.guardrails.resolve import ENV_BOUND, ENV_VALUES

    assert set(ENV_BOUND) | set(ENV_VALUES) == set(PARAMETERS)
    assert not set(ENV_BOUND) & set(ENV_VALUES)


# ------------------------------------------------------------------------------ the gate
def test_compliant_environment_passes_everything():
    result = run_gate([DATA / "secure-env.yaml"], root=DATA)
    bad = [(f.control_id, f.logical_id, f.message) for f in result.findings if f.status is not Status.PASS]
    assert not bad
    assert result.exit_code("info") == 0
    evaluated = {f.control_id for f in result.findings}
    assert len(evaluated) >= 40, sorted(evaluated)  # the fixture exercises most rules


def test_findings_point_at_file_line_and_column(tmp_path):
    tpl = write(tmp_path / "nb.yaml", """
        Resources:
          Notebook:
            Type: AWS::SageMaker::NotebookInstance
            Properties:
              InstanceType: ml.t3.medium
              DirectInternetAccess: Enabled
        """)
    result = run_gate([tpl], root=tmp_path)
    (f,) = of(result, "SM-NB-01")
    assert (f.status, f.file, f.line, f.column, f.logical_id) == (Status.FAIL, "nb.yaml", 6, 29, "Notebook")
    (missing,) = of(result, "SM-NB-03")  # a missing property points at its parent
    assert (missing.line, missing.column) == (4, 5)


def test_parse_error_is_an_error_finding_and_the_batch_goes_on(tmp_path):
    write(tmp_path / "a-broken.yaml", "Resources:\n  A:\n    Type: [oops\n")
    write(tmp_path / "b-good.yaml", """
        Resources:
          Notebook: {Type: AWS::SageMaker::NotebookInstance, Properties: {DirectInternetAccess: Enabled}}
        """)
    result = run_gate([tmp_path], root=tmp_path)
    (err,) = [f for f in result.findings if f.control_id == TEMPLATE_ERROR]
    assert (err.status, err.file, err.line, err.severity) == (Status.ERROR, "a-broken.yaml", 4, "critical")
    assert of(result, "SM-NB-01")[0].status is Status.FAIL
    assert result.exit_code("critical") == 1


def test_directories_skip_other_files_but_named_files_must_be_templates(tmp_path):
    write(tmp_path / "deep" / "er" / "t.json", '{"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}')
    write(tmp_path / "config.yaml", "name: not a template\n")
    write(tmp_path / ".git" / "x.yaml", "Resources: {}\n")
    result = run_gate([tmp_path], root=tmp_path)
    assert result.files == ["deep/er/t.json"] and result.skipped == ["config.yaml"]
    named = run_gate([tmp_path / "config.yaml"], root=tmp_path)
    (err,) = named.findings
    assert err.control_id == TEMPLATE_ERROR and "not a CloudFormation template" in err.message
    with pytest.raises(UserError):
        run_gate([tmp_path / "missing.yaml"])


def test_suppressions(tmp_path):
    tpl = write(tmp_path / "s.yaml", """
        Resources:
          Ok:
            Type: AWS::SageMaker::NotebookInstance
            Metadata:
              secure-mlops:
                suppress:
                  - {id: SM-NB-01, reason: demo notebook with public data}
                  - {id: SM-NB-03}
                  - {id: XX-01, reason: typo}
            Properties: {DirectInternetAccess: Enabled, RootAccess: Enabled}
          Foreign:
            Type: AWS::SageMaker::NotebookInstance
            Metadata: {guard: {SuppressedRules: [SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS]}}
            Properties: {DirectInternetAccess: Enabled}
        """)
    result = run_gate([tpl], root=tmp_path)
    (sup,) = [f for f in of(result, "SM-NB-01", "Ok")]
    assert sup.status is Status.SUPPRESSED and sup.suppression_reason == "demo notebook with public data"
    nb03 = sorted((f.status.value, f.message[:40]) for f in of(result, "SM-NB-03", "Ok"))
    assert [s for s, _ in nb03] == ["ERROR", "FAIL"]  # no reason: not honoured, and itself an error
    unknown = [f for f in result.findings if f.control_id == TEMPLATE_ERROR]
    assert len(unknown) == 1 and "XX-01" in unknown[0].message
    (foreign,) = of(result, "SM-NB-01", "Foreign")
    assert foreign.status is Status.FAIL and "Metadata.guard.SuppressedRules is not honoured" in foreign.message
    # a suppressed failure still counts as handled: only the unsuppressed ones fail the run
    assert result.exit_code("high") == 1


def test_one_cfn_guard_process_per_batch(tmp_path, monkeypatch):
    from secure_mlops.guardrails import cfnguard

    for i in range(5):
        write(tmp_path / f"t{i}.yaml", "Resources:\n  B: {Type: AWS::S3::Bucket}\n")
    calls = []
    real = cfnguard.CfnGuard.run

    def counting(self, args, timeout=600):
        calls.append(args[0])
        return real(self, args, timeout)

    monkeypatch.setattr(cfnguard.CfnGuard, "run", counting)
    result = run_gate([tmp_path], root=tmp_path)
    assert calls == ["validate"]
    assert {f.file for f in result.findings} == {f"t{i}.yaml" for i in range(5)}


def test_unverifiable_values_fail_and_say_why(tmp_path):
    tpl = write(tmp_path / "p.yaml", """
        Parameters:
          Access: {Type: String}
        Resources:
          Domain: {Type: AWS::SageMaker::Domain, Properties: {AppNetworkAccessType: !Ref Access, AuthMode: SSO}}
        """)
    (f,) = of(run_gate([tpl], root=tmp_path), "SM-DOM-01")
    assert f.status is Status.FAIL and f.message.startswith("cannot be verified: parameter Access has no default")
    (ok,) = of(run_gate([tpl], root=tmp_path, parameters={"*": {"Access": "VpcOnly"}}), "SM-DOM-01")
    assert ok.status is Status.PASS


def test_context_from_the_caller(tmp_path):
    tpl = write(tmp_path / "epc.yaml", """
        Resources:
          Config:
            Type: AWS::SageMaker::EndpointConfig
            Properties:
              ProductionVariants: [{ModelName: m, VariantName: v, InitialInstanceCount: 1, InstanceType: ml.m5.large}]
        """)
    unknown = run_gate([tpl], root=tmp_path)
    assert not of(unknown, "SM-EPC-02")
    assert [(n.control_id, n.file) for n in unknown.not_evaluated if n.control_id == "SM-EPC-02"] == [
        ("SM-EPC-02", "epc.yaml")]
    prod = run_gate([tpl], root=tmp_path, context={"stage": "prod"})
    assert of(prod, "SM-EPC-02")[0].status is Status.FAIL
    dev = run_gate([tpl], root=tmp_path, context={"stage": "dev"})
    assert not of(dev, "SM-EPC-02")  # only production endpoints are in scope


def test_a_given_stage_wins_over_the_configuration_a_default_does_not(tmp_path):
    """The stage of the stack being deployed (-p StageName=prod) is the one that counts, even when
    the configuration describes a dev environment; a parameter's default is weaker than it."""
    config = Path(__file__).resolve().parent / "data" / "configs" / "minimal.yaml"  # stage dev
    tpl = write(tmp_path / "epc.yaml", """
        Parameters:
          StageName: {Type: String, Default: prod}
        Resources:
          Config:
            Type: AWS::SageMaker::EndpointConfig
            Properties:
              ProductionVariants: [{ModelName: m, VariantName: v, InitialInstanceCount: 1, InstanceType: ml.m5.large}]
        """)
    by_default = run_gate([tpl], root=tmp_path, config=config)
    assert by_default.contexts["epc.yaml"]["stage"] == "dev" and not of(by_default, "SM-EPC-02")
    given = run_gate([tpl], root=tmp_path, config=config, parameters={"*": {"StageName": "prod"}})
    assert given.contexts["epc.yaml"]["stage"] == "prod"
    assert [f.status for f in of(given, "SM-EPC-02")] == [Status.FAIL]


def test_roles_are_joined_across_the_gated_templates(tmp_path):
    write(tmp_path / "core.yaml", """
        Resources:
          Role:
            Type: AWS::IAM::Role
            Properties:
              RoleName: team-exec
              AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: sagemaker.amazonaws.com}, Action: sts:AssumeRole}]}
              ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]
        """)
    env = write(tmp_path / "env.yaml", """
        Parameters:
          ExecRole: {Type: String, Default: "arn:aws:iam::123456789012:role/team-exec"}
        Resources:
          Domain:
            Type: AWS::SageMaker::Domain
            Properties: {DefaultUserSettings: {ExecutionRole: !Ref ExecRole, SecurityGroups: [sg-1]}}
        """)
    # alone, the role is brought from outside the gated templates: not evaluated (the audit checks
    # the live role), neither PASS nor FAIL, and the reason names the role
    alone = run_gate([env], root=tmp_path)
    assert not of(alone, "SM-DOM-03")
    reasons = [n.reason for n in alone.not_evaluated if n.control_id == "SM-DOM-03"]
    assert len(reasons) == 1 and "arn:aws:iam::123456789012:role/team-exec" in reasons[0], reasons
    together = of(run_gate([tmp_path], root=tmp_path), "SM-DOM-03")[0]
    assert together.status is Status.FAIL and "AdministratorAccess" in together.message


def test_pipeline_definitions(tmp_path):
    step = {"Name": "Train", "Type": "Training", "Arguments": {
        "ResourceConfig": {"InstanceCount": 1, "VolumeKmsKeyId": "alias/k"},
        "OutputDataConfig": {"KmsKeyId": "alias/k"}, "EnableNetworkIsolation": True}}
    definition = {"Version": "2020-12-01", "Steps": [step]}
    write(tmp_path / "pipelines" / "definition.json", json.dumps(definition, indent=2))
    write(tmp_path / "stack.yaml", """
        Resources:
          Pipeline:
            Type: AWS::SageMaker::Pipeline
            Properties:
              PipelineName: p
              RoleArn: arn:aws:iam::123456789012:role/p
              PipelineDefinition:
                PipelineDefinitionS3Location: {Bucket: artifacts, Key: pipelines/definition.json}
          Inline:
            Type: AWS::SageMaker::Pipeline
            Properties:
              PipelineName: q
              RoleArn: arn:aws:iam::123456789012:role/p
              PipelineDefinition:
                PipelineDefinitionBody: |
                  {"Version": "2020-12-01",
                   "Steps": [
                     {"Name": "Prep", "Type": "Processing",
                      "Arguments": {"NetworkConfig": {"EnableNetworkIsolation": true}}}]}
        """)
    result = run_gate([tmp_path], root=tmp_path)
    # the standalone definition file is gated on its own, and through the template's S3 location
    standalone = of(result, "SM-JOB-01", "definition")
    assert standalone and standalone[0].status is Status.FAIL and "step Train (Training)" in standalone[0].message
    assert standalone[0].file == "pipelines/definition.json" and standalone[0].line == 7  # its Arguments
    via_s3 = of(result, "SM-PIPE-01", "Pipeline")[0]
    assert via_s3.status is Status.FAIL and "step Train (Training)" in via_s3.message
    inline = of(result, "SM-JOB-01", "Inline")[0]
    assert inline.status is Status.FAIL and "step Prep (Processing)" in inline.message
    assert inline.line == 19  # the step's NetworkConfig, inside the `|` block
    # without the definition file, the S3 location cannot be verified
    alone = of(run_gate([tmp_path / "stack.yaml"], root=tmp_path), "SM-PIPE-01", "Pipeline")[0]
    assert alone.status is Status.FAIL and "cannot be verified" in alone.message


def test_macros_are_reported(tmp_path):
    tpl = write(tmp_path / "m.yaml", """
        Transform: [AWS::Serverless-2016-10-31, MyCompanyMacro]
        Resources:
          B: {Type: AWS::S3::Bucket}
        """)
    errors = [f for f in run_gate([tpl], root=tmp_path).findings if f.control_id == TEMPLATE_ERROR]
    assert len(errors) == 1 and "MyCompanyMacro" in errors[0].message and errors[0].line == 1


def test_a_rule_file_that_does_not_parse_is_not_a_pass(tmp_path):
    from secure_mlops.guardrails.cfnguard import CfnGuardError, find_cfn_guard

    (tmp_path / "rules").mkdir()
    write(tmp_path / "rules" / "ok.guard", "rule OK { Resources exists }\n")
    write(tmp_path / "rules" / "bad.guard", "rule BAD { Resources.*.X != /a\\// }\n")
    data = write(tmp_path / "d.json", '{"Resources": {}}')
    with pytest.raises(CfnGuardError, match="could not parse"):
        find_cfn_guard().validate([tmp_path / "rules"], [data])


# ------------------------------------------------------------------------------ cfn-guard binary
def test_cfn_guard_from_environment_variable(monkeypatch, tmp_path):
    from secure_mlops.guardrails import cfnguard

    monkeypatch.setenv(cfnguard.ENV_VAR, str(tmp_path / "nope"))
    with pytest.raises(UserError, match="SECURE_MLOPS_CFN_GUARD"):
        cfnguard.find_cfn_guard()
    real = cfnguard.extract_from_wheel()
    monkeypatch.setenv(cfnguard.ENV_VAR, str(real))
    assert cfnguard.find_cfn_guard().source == "env"


def test_cfn_guard_on_path_wins_over_the_wheel(monkeypatch, tmp_path):
    from secure_mlops.guardrails import cfnguard

    monkeypatch.delenv(cfnguard.ENV_VAR, raising=False)
    link = tmp_path / "cfn-guard"
    link.symlink_to(cfnguard.extract_from_wheel())
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    found = cfnguard.find_cfn_guard()
    assert found.source == "path" and found.path == link


def test_cfn_guard_is_extracted_once_and_verified(monkeypatch, tmp_path):
    from secure_mlops.guardrails import cfnguard

    dest = tmp_path / "bin"
    path = cfnguard.extract_from_wheel(dest)
    assert cfnguard._sha256(path) == cfnguard._MEMBERS[cfnguard._platform_key()][1]
    assert path.stat().st_mode & 0o111
    path.write_bytes(b"tampered")  # a damaged copy is replaced, never run
    again = cfnguard.extract_from_wheel(dest)
    assert cfnguard._sha256(again) == cfnguard._MEMBERS[cfnguard._platform_key()][1]
    monkeypatch.setattr(cfnguard, "_wheel_tarball", lambda: None)
    again.unlink()
    with pytest.raises(UserError, match="pip install --no-deps cdklabs-cdk-validator-cfnguard==0.0.62"):
        cfnguard.extract_from_wheel(dest)


# ------------------------------------------------------------------------------ first-time-user review items
def test_a_directory_without_templates_is_an_input_error(tmp_path, monkeypatch):
    """Review item 13: a renamed template folder must not turn the gate green."""
    (tmp_path / "emptydir").mkdir()
    write(tmp_path / "otherdir" / "a.yaml", "foo: 1\n")
    write(tmp_path / "templates" / "t.yaml", "Resources:\n  B: {Type: AWS::S3::Bucket}\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match=r"no CloudFormation template found under emptydir \(.*Resources mapping"):
        run_gate(["emptydir"])
    with pytest.raises(UserError, match=r"under otherdir .*found only other files: otherdir/a\.yaml") as exc:
        run_gate(["otherdir"])
    assert "Fix: pass the files or directories that hold your templates" in str(exc.value)
    with pytest.raises(UserError, match="under emptydir"):  # every directory given must hold one
        run_gate(["templates", "emptydir"])
    assert run_gate(["templates/t.yaml", "templates"]).files == ["templates/t.yaml"]  # found once, by name
    assert run_gate(["templates", "otherdir/a.yaml"], skip_other_files=True).files == ["templates/t.yaml"]

    from helpers import cli

    empty = cli("gate", "emptydir")
    assert empty.code == 2 and "no CloudFormation template found under emptydir" in empty.stderr


def test_a_suppression_written_as_a_bare_id_says_it_needs_id_and_reason(tmp_path):
    """Review item 18: `- SM-NB-05` is a known control written without `id:` and `reason:`."""
    tpl = write(tmp_path / "s.yaml", """
        Resources:
          Nb:
            Type: AWS::SageMaker::NotebookInstance
            Metadata:
              secure-mlops:
                suppress:
                  - SM-NB-05
                  - XX-99
            Properties: {InstanceType: ml.t3.medium}
          Flat:
            Type: AWS::SageMaker::NotebookInstance
            Metadata:
              secure-mlops: {suppress: {id: SM-NB-05, reason: a mapping instead of a list}}
            Properties: {InstanceType: ml.t3.medium}
        """)
    result = run_gate([tpl], root=tmp_path)
    (bare,) = [f for f in of(result, "SM-NB-05", "Nb") if f.status is Status.ERROR]
    assert "each entry needs `id:` and `reason:`" in bare.message and "`- {id: SM-NB-05, reason: <why>}`" in bare.message
    assert "does not name a known control id" not in bare.message
    assert [f.status for f in of(result, "SM-NB-05", "Nb") if f.status is not Status.ERROR] == [Status.FAIL]
    unknown = [f for f in of(result, TEMPLATE_ERROR, "Nb")]
    assert len(unknown) == 1 and '"XX-99"' in unknown[0].message and "needs `id:` and `reason:`" in unknown[0].message
    (flat,) = of(result, TEMPLATE_ERROR, "Flat")
    assert "write `suppress:` with a list of entries" in flat.message
    assert of(result, "SM-NB-05", "Flat")[0].status is Status.FAIL  # not honoured


def test_iam_failures_say_what_is_missing_on_which_role(tmp_path):
    """Review item 10: the reason was only in details.checks, the message said "the rule failed"."""
    tpl = write(tmp_path / "roles.yaml", """
        Resources:
          ExecutionRole:
            Type: AWS::IAM::Role
            Properties:
              AssumeRolePolicyDocument:
                Statement: [{Effect: Allow, Principal: {Service: sagemaker.amazonaws.com}, Action: sts:AssumeRole}]
              Policies:
                - PolicyName: work
                  PolicyDocument:
                    Statement:
                      - {Sid: Everything, Effect: Allow, Action: "*", Resource: "*"}
        """)
    result = run_gate([tpl], root=tmp_path)
    (iam01,) = of(result, "IAM-01")
    assert iam01.message.startswith(
        "role ExecutionRole does not deny sagemaker:CreateNotebookInstance, sagemaker:CreateTrainingJob, "
        "sagemaker:CreateProcessingJob, sagemaker:CreateHyperParameterTuningJob and sagemaker:CreateModel when "
        "sagemaker:VpcSubnets or sagemaker:VpcSecurityGroupIds is absent"), iam01.message
    (iam02,) = of(result, "IAM-02")
    assert "role ExecutionRole does not deny sagemaker:CreateNotebookInstance when sagemaker:DirectInternetAccess " \
           "or sagemaker:RootAccess is not Disabled" in iam02.message
    (iam03,) = of(result, "IAM-03")
    assert iam03.message == 'in role ExecutionRole, statement 1 (Sid Everything) of inline policy work allows "*" on "*"'


def test_the_tools_own_templates_with_their_configuration_pass(config_file):
    """Review item 19: with -c, the stack templates get the values provision gives them (the optional
    interface endpoints that NET-03 requires); -p still wins."""
    from secure_mlops.provision.stacks import TEMPLATES_DIR

    result = run_gate([TEMPLATES_DIR], config=config_file)
    assert [(f.control_id, f.message) for f in result.findings if f.status is not Status.PASS] == []
    assert any(f.control_id == "NET-03" and f.status is Status.PASS for f in result.findings)
    without = run_gate([TEMPLATES_DIR], config=config_file, parameters={"*": {"OptionalInterfaceEndpoint1": ""}})
    (net03,) = [f for f in without.findings if f.status is Status.FAIL]
    assert net03.control_id == "NET-03" and "endpoint: no interface endpoint in the VPC" in net03.message


def test_files_outside_the_current_directory_keep_the_path_they_were_given(tmp_path, monkeypatch):
    tpl = write(tmp_path / "elsewhere" / "t.yaml", "Resources:\n  B: {Type: AWS::S3::Bucket}\n")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    assert run_gate(["../elsewhere/t.yaml"]).files == ["../elsewhere/t.yaml"]
    assert run_gate([tpl]).files == [tpl.as_posix()]
