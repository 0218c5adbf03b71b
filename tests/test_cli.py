"""Command-line input checks that hold for every command: output paths, empty lists, blank
reasons, case of ids, help that teaches, output that is not cut at 80 columns outside a terminal,
and the order of messages (the target line first)."""

from __future__ import annotations

import json

import pytest
from helpers import cli

pytestmark = pytest.mark.usefixtures("clean_env")


# ------------------------------------------------------------------------------ item 12: -o checked first
@pytest.mark.parametrize("command", [
    ["gate", "{template}"],
    ["audit", "--local", "--controls", "S3-01"],
    ["report", "{findings}"],
    ["remediate", "{findings}"],
    ["schedule", "status", "--local"],
])
@pytest.mark.parametrize("where", ["/proc/x.json", "{tmp}"])
def test_an_unwritable_output_is_a_usage_error_before_any_work(command, where, tmp_path, monkeypatch, wide_console):
    from secure_mlops.provision.emulator import server

    def refuse(*a, **k):
        raise AssertionError("nothing may run before -o is checked")

    monkeypatch.setattr(server, "start", refuse)
    template = tmp_path / "t.yaml"
    template.write_text("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n")
    findings = tmp_path / "audit.json"
    findings.write_text("{}")
    args = [a.format(template=template, findings=findings) for a in command]
    target = where.format(tmp=tmp_path)  # /proc: cannot create a file; tmp_path: a directory
    r = cli(*args, "-o", target)
    assert r.code == 2, r.output
    if target == str(tmp_path):  # click's own check of the option's type
        assert "is a directory" in r.output
    else:
        assert f"-o {target}: cannot be written" in r.err and "Fix:" in r.err
    assert "Traceback" not in r.output


def test_output_in_a_folder_that_does_not_exist_yet_is_fine(tmp_path, wide_console):
    template = tmp_path / "t.yaml"
    template.write_text("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n")
    out = tmp_path / "new" / "dir" / "gate.json"
    r = cli("gate", template, "--format", "json", "-o", out)
    assert r.code == 0, r.output
    assert json.loads(out.read_text())["kind"] == "gate"


def test_check_writable_creates_and_changes_nothing(tmp_path):
    from secure_mlops.console import check_writable

    existing = tmp_path / "keep.json"
    existing.write_text("data")
    assert check_writable(existing) == existing and existing.read_text() == "data"
    assert check_writable(tmp_path / "a" / "b.json") is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.json"]


def test_demo_out_dir_is_checked_first(wide_console):
    r = cli("demo", "--out-dir", "/proc/demo")
    assert r.code == 2 and "--out-dir /proc/demo:" in r.err


# ------------------------------------------------------------------------------ item 7: a blank override
@pytest.mark.parametrize("reason", ["", "   ", "!!!"])
def test_allow_gate_failures_needs_a_reason(reason, config_file, monkeypatch, wide_console):
    from secure_mlops.provision.emulator import server

    monkeypatch.setattr(server, "start", lambda *a, **k: (_ for _ in ()).throw(AssertionError("no target")))
    r = cli("provision", "-c", config_file, "--local", "--allow-gate-failures", reason)
    assert r.code == 2 and "--allow-gate-failures needs a reason" in r.err


@pytest.mark.parametrize("reason", ["", "   "])
def test_gate_templates_refuses_a_blank_override(reason, tmp_path):
    """The deploy-time override cannot record "no reason given": it is refused like the gate's own
    suppressions without a reason."""
    from types import SimpleNamespace

    from secure_mlops.errors import UserError
    from secure_mlops.provision.gating import gate_templates

    template = tmp_path / "bad.yaml"
    template.write_text("Resources:\n  Nb:\n    Type: AWS::SageMaker::NotebookInstance\n"
                        "    Properties:\n      InstanceType: ml.t3.medium\n      RoleArn: arn:aws:iam::111122223333:role/r\n")
    spec = SimpleNamespace(name="x-artifacts", template_path=template, uploads=[], parameters={})
    with pytest.raises(UserError, match="--allow-gate-failures needs a reason"):
        gate_templates([spec], reason, {"x-artifacts": {}})
    outcome = gate_templates([spec], "accepted for the demo", {"x-artifacts": {}})
    assert outcome.ok and outcome.failures > 0
    assert outcome.tags["x-artifacts"]["secure-mlops:gate-override"] == "accepted for the demo"


# ------------------------------------------------------------------------------ item 9: local up on a used port
def test_local_up_on_a_port_another_process_holds_is_refused(tmp_path, monkeypatch, wide_console):
    import socket

    from secure_mlops.provision.emulator import server

    monkeypatch.setenv("SECURE_MLOPS_HOME", str(tmp_path))  # not the worker's emulator
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        assert not server.port_free(port)
        r = cli("local", "up", "--port", port)
        assert r.code == 2, r.output
        assert f"port {port} on 127.0.0.1 is in use by another process" in r.err
        assert server.current() is None
    # any listener answers a TCP connection; only moto's HTTP answer means the emulator started
    assert not server._responds(f"http://127.0.0.1:{server.free_port()}", accept_connection=False)


# ------------------------------------------------------------------------------ item 22: input consistency
def test_controls_list_accepts_a_lower_case_question(wide_console):
    upper = cli("controls", "list", "--question", "NET-2", "--format", "json")
    lower = cli("controls", "list", "--question", "net-2", "--format", "json")
    assert lower.code == 0, lower.output
    assert json.loads(lower.stdout) == json.loads(upper.stdout) != []


@pytest.mark.parametrize("command", [["audit", "--local"], ["remediate", "--audit", "--local"]])
@pytest.mark.parametrize("value", ["", " , "])
def test_an_empty_controls_list_is_a_usage_error(command, value, wide_console):
    r = cli(*command, "--controls", value)
    assert r.code == 2 and "names no control" in r.err


@pytest.mark.emulator
def test_remediate_prints_the_target_before_any_other_message(aws, tmp_path, wide_console):
    from secure_mlops.findings import Finding, Source, Status, dump_document, make_document

    iam = Finding(control_id="IAM-01", status=Status.FAIL, severity="high", questions=["IAM-1"],
                  source=Source.LIVE, resource_type="AWS::IAM::Role", resource_id="r", message="m",
                  account="123456789012", region="us-east-1")
    findings = tmp_path / "audit.json"
    findings.write_text(dump_document(make_document([iam], "audit", target={"kind": "emulator"},
                                                    evaluated_controls=["IAM-01"])))
    r = cli("remediate", findings, "--local")
    assert "Not handled here" in r.stderr, r.output
    assert r.stderr.index("Target:") < r.stderr.index("Not handled here")


@pytest.mark.emulator
def test_report_prints_the_target_before_it_writes(aws, tmp_path, wide_console):
    aws.client("securityhub").enable_security_hub()
    findings = tmp_path / "audit.json"
    cli("audit", "--local", "--controls", "S3-01", "-o", findings)
    r = cli("report", findings, "--to-security-hub", "--local", "-o", tmp_path / "report.json", "--format", "json")
    assert "Wrote" in r.stderr and "Target:" in r.stderr, r.output
    assert r.stderr.index("Target:") < r.stderr.index("Wrote")


# ------------------------------------------------------------------------------ item 20: help that teaches
@pytest.mark.parametrize("command", ["audit", "report", "gate", "remediate", "verify", "destroy", "validate",
                                     "provision", "demo", "schedule deploy"])
def test_help_has_an_example_command_line(command):
    r = cli(*command.split(), "--help")
    assert r.code == 0
    assert "Example" in r.stdout and f"secure-mlops {command}" in r.stdout


@pytest.mark.parametrize("command", ["audit", "report"])
def test_format_options_are_explained(command):
    import click

    from secure_mlops.cli import main

    cmd = main.get_command(click.Context(main), command)
    fmt = next(p for p in cmd.params if p.name == "fmt")
    assert fmt.help


@pytest.mark.parametrize("command", ["provision", "destroy", "verify", "schedule deploy"])
def test_region_help_says_the_configuration_decides(command):
    r = cli(*command.split(), "--help")
    text = " ".join(r.stdout.split())
    assert "configuration's `region`" in text


# ------------------------------------------------------------------------------ item 11: not cut at 80 columns
def test_output_outside_a_terminal_is_not_wrapped_at_80_columns(monkeypatch):
    """A CI log or a file gets one row per line: no ARN or path split across lines."""
    import io

    from rich.table import Table

    from secure_mlops import console

    monkeypatch.delenv("COLUMNS", raising=False)
    assert console.width_for(io.StringIO()) == console.WIDTH_OUTSIDE_A_TERMINAL
    console.out.cache_clear()
    try:
        r = cli("controls", "list", "--question", "NET-2")
        lines = r.stdout.splitlines()
        assert any(len(line) > 100 for line in lines)  # titles stay on their row
        long_path = "tests/conformance/checkov/tests/cloudformation/checks/resource/aws/example_X/Y-FAILED.yaml:16:3"
        arn = "arn:aws:s3:::ds-team-dev-artifacts-artifactslogbucket-zrmklg3csfcp"
        buf = io.StringIO()
        from rich.console import Console

        table = Table()
        table.add_column("where", overflow="fold")
        table.add_column("value", overflow="fold")
        table.add_row(long_path, arn)
        Console(file=buf, width=console.width_for(buf)).print(table)
        assert long_path in buf.getvalue() and arn in buf.getvalue()
    finally:
        console.out.cache_clear()


def test_columns_still_decides_outside_a_terminal(monkeypatch):
    import io

    from secure_mlops import console

    monkeypatch.setenv("COLUMNS", "120")
    assert console.width_for(io.StringIO()) is None  # rich reads COLUMNS
