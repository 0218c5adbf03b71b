"""`schedule`: the Lambda archive (deterministic, self-contained, small), input checks, and the
execution role's permissions (read-only plus writing findings) - no AWS calls here."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from secure_mlops.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def archive():
    from secure_mlops.audit.lambda_archive import build_archive

    return build_archive()


@pytest.fixture(scope="module")
def names(archive):
    with zipfile.ZipFile(io.BytesIO(archive.data)) as z:
        return {i.filename: i for i in z.infolist()}


def test_the_archive_is_deterministic(archive):
    """Built again in another interpreter with another hash seed: the same bytes."""
    script = ("import sys; from secure_mlops.audit.lambda_archive import build_archive; "
              "sys.stdout.buffer.write(build_archive().data)")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    again = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, check=True).stdout
    if again != archive.data:  # name what differs
        with zipfile.ZipFile(io.BytesIO(again)) as z:
            other = {i.filename: i.CRC for i in z.infolist()}
        with zipfile.ZipFile(io.BytesIO(archive.data)) as z:
            first = {i.filename: i.CRC for i in z.infolist()}
        differ = sorted(n for n in set(first) | set(other) if first.get(n) != other.get(n))
        pytest.fail(f"two builds differ in {len(differ)} files: {differ[:10]}")
    assert len(archive.sha256) == 64 and archive.code_sha256.endswith("=")


def test_the_archive_holds_the_audit_the_catalogue_the_rules_and_c7n(archive, names):
    from secure_mlops.controls import load_catalog

    catalog = load_catalog()
    wanted = {"secure_mlops/audit/lambda_handler.py", "secure_mlops/audit/runner.py",
              "secure_mlops/audit/rule.schema.json", "secure_mlops/guardrails/questions.yaml",
              "secure_mlops/guardrails/control.schema.json", "secure_mlops/reports/security_hub.py",
              "c7n/policy.py", "c7n/resources/vpc.py", "botocore/data/sagemaker/2017-07-24/service-2.json.gz",
              "botocore/data/endpoints.json", "yaml/__init__.py", "jsonschema/__init__.py"}
    wanted |= {f"secure_mlops/guardrails/controls/{c.id}.yaml" for c in catalog}
    wanted |= {f"secure_mlops/rules/{c.id}.yml" for c in catalog.with_mode("detective")}
    assert wanted <= set(names)
    assert any(n.startswith("rpds/") and n.endswith(".so") for n in names)  # compiled: needs the platform check
    # bytecode next to every module, unchecked-hash (PEP 552): valid whatever the extracted file's time
    with zipfile.ZipFile(io.BytesIO(archive.data)) as z:
        pyc = z.read("secure_mlops/audit/__pycache__/lambda_handler.cpython-311.pyc")
    assert int.from_bytes(pyc[4:8], "little") == 0b01
    # fixed times and world-readable files (c7n's zip helper): Lambda runs the code as another user
    assert {i.date_time for i in names.values()} == {(1980, 1, 1, 0, 0, 0)}
    assert {(i.external_attr >> 16) & 0o777 for i in names.values()} == {0o644}


def test_the_archive_leaves_out_what_the_function_never_imports(archive, names):
    tops = {n.split("/")[0] for n in names}
    assert not tops & {"moto", "cryptography", "argcomplete", "tabulate", "click", "rich", "jinja2", "werkzeug"}
    assert not [n for n in names if n.startswith("secure_mlops/") and re.match(
        r"secure_mlops/(provision|seed_code|remediations|cli\.py|console\.py|target\.py|guardrails/.*\.py)", n)]
    services = {n.split("/")[2] for n in names if n.startswith("botocore/data/") and n.count("/") > 2}
    from secure_mlops.audit.lambda_archive import BOTOCORE_SERVICES

    assert services == set(BOTOCORE_SERVICES)
    assert archive.size < 15e6 and archive.uncompressed < 40e6  # measured 10.1 MB / 27 MB


def test_the_platform_check_refuses_an_archive_lambda_cannot_run(monkeypatch):
    from secure_mlops.audit import lambda_archive
    from secure_mlops.errors import UserError

    runtime, arch = lambda_archive.lambda_platform()
    assert runtime == f"python3.{sys.version_info[1]}" and arch in ("x86_64", "arm64")
    monkeypatch.setattr(lambda_archive.platform, "machine", lambda: "ppc64le")
    with pytest.raises(UserError, match="Linux x86_64 or aarch64"):
        lambda_archive.lambda_platform()
    assert lambda_archive._glibc_ok(["cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"], "x86_64")
    assert lambda_archive._glibc_ok(["cp311-cp311-manylinux2014_aarch64"], "aarch64")
    assert not lambda_archive._glibc_ok(["cp311-cp311-manylinux_2_28_x86_64"], "x86_64")
    assert not lambda_archive._glibc_ok(["cp311-cp311-linux_x86_64"], "x86_64")
    assert not lambda_archive._glibc_ok(["cp311-cp311-manylinux2014_aarch64"], "x86_64")


@pytest.mark.parametrize("rate", ["rate(1 day)", "rate(12 hours)", "rate(30 minutes)", "cron(0 6 * * ? *)"])
def test_schedule_expressions_accepted(rate):
    from secure_mlops.audit.schedule import check_rate

    assert check_rate(rate) == rate


@pytest.mark.parametrize("rate", ["rate(1 days)", "rate(2 day)", "rate(0 hours)", "every day", "cron(0 6 * * ?)", ""])
def test_schedule_expressions_refused(rate):
    from secure_mlops.audit.schedule import check_rate
    from secure_mlops.errors import UserError

    with pytest.raises(UserError, match="--rate"):
        check_rate(rate)


def test_bad_input_is_refused_before_any_aws_call(tmp_path, monkeypatch):
    from secure_mlops import console
    from secure_mlops.provision.config import example_config

    monkeypatch.setenv("SECURE_MLOPS_HOME", str(tmp_path / "home"))
    console.err().width = 400
    cfg = tmp_path / "c.yaml"
    cfg.write_text(example_config())
    runner = CliRunner()
    for args, words in (
        (["--rate", "every day"], ["--rate", "rate(1 day)"]),
        (["--findings-bucket", "Not_A_Bucket"], ["--findings-bucket", "Not_A_Bucket"]),
    ):
        result = runner.invoke(main, ["schedule", "deploy", "--local", "-c", str(cfg), *args])
        err = re.sub(r"\s+", " ", result.stderr)
        assert result.exit_code == 2, err
        assert all(w in err for w in words), err
        assert "Target:" not in err
    missing = runner.invoke(main, ["schedule", "status", "--local", "-c", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "nope.yaml" in missing.stderr
    assert not (tmp_path / "home" / "emulator.json").exists()  # no emulator was started


# ------------------------------------------------------------------------------ the execution role
def _core_role_statements():
    from secure_mlops.cfn_template import load_template

    core = load_template(ROOT / "secure_mlops" / "provision" / "templates" / "core.yaml").data
    role = core["Resources"]["DetectiveControlRole"]["Properties"]
    return [st for policy in role["Policies"] for st in policy["PolicyDocument"]["Statement"]], role


def test_the_core_stacks_detective_role_is_read_only_plus_writing_findings():
    from secure_mlops.audit.lambda_handler import DEFAULT_PREFIX
    from secure_mlops.audit.schedule import check_statements, required_actions

    statements, role = _core_role_statements()
    result = check_statements(statements, required_actions(to_security_hub=True))
    assert result.missing == [] and result.writes == []
    trust = role["AssumeRolePolicyDocument"]["Statement"]
    assert [t["Principal"] for t in trust] == [{"Service": "lambda.amazonaws.com"}]
    # writes are narrowed: findings documents under the handler's prefix, the account's own product
    by_sid = {st["Sid"]: st for st in statements}
    assert by_sid["WriteFindingsDocuments"]["Resource"]["Fn::Sub"].endswith(f"/{DEFAULT_PREFIX}*")
    assert "StringEquals" in by_sid["WriteFindingsDocuments"]["Condition"]
    assert by_sid["EncryptFindingsDocuments"]["Condition"]["StringEquals"]["kms:ViaService"]
    assert by_sid["ImportFindingsIntoSecurityHub"]["Resource"]["Fn::Sub"].endswith("product/${AWS::AccountId}/default")


def test_the_role_check_finds_missing_and_write_permissions():
    from secure_mlops.audit.schedule import check_statements, required_actions

    statements, _ = _core_role_statements()
    required = required_actions(to_security_hub=True)
    assert {"iam:GetAccountAuthorizationDetails", "sagemaker:DescribeNotebookInstance", "s3:PutObject",
            "securityhub:BatchImportFindings", "ssm:GetParametersByPath"} <= required
    without_iam = [dict(st, Action=[a for a in st["Action"] if a != "iam:GetAccountAuthorizationDetails"])
                   if isinstance(st.get("Action"), list) else st for st in statements]
    assert check_statements(without_iam, required).missing == ["iam:GetAccountAuthorizationDetails"]
    contain = {"Effect": "Allow", "Action": ["sagemaker:StopNotebookInstance", "s3:PutBucketPolicy"], "Resource": "*"}
    assert check_statements(statements + [contain], required).writes == ["s3:PutBucketPolicy",
                                                                         "sagemaker:StopNotebookInstance"]
    everything = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    assert check_statements(everything, required).missing == [] and check_statements(everything, required).writes == ["*"]
    assert check_statements([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}], {"s3:PutObject"}).writes == ["s3:*"]
    assert check_statements([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], set()).writes
    deny = [{"Effect": "Deny", "Action": "*", "Resource": "*"}]
    assert check_statements(deny, {"s3:PutObject"}).missing == ["s3:PutObject"]


def test_the_documented_permissions_are_the_ones_the_function_needs():
    from secure_mlops.audit.schedule import required_actions

    text = (ROOT / "docs" / "schedule.md").read_text()
    section = text.split("## Permissions of the execution role", 1)[1]
    block = section.split("```text", 1)[1].split("```", 1)[0]
    assert set(block.split()) == required_actions(to_security_hub=True)
