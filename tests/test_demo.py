"""`secure-mlops demo`: the whole flow on the emulator (the README's quick start)."""

from __future__ import annotations

import json
import re
import sys

import pytest
from helpers import cli

pytestmark = [pytest.mark.emulator, pytest.mark.slow, pytest.mark.usefixtures("wide_console")]


def run_demo(tmp_path):
    r = cli("demo", "--out-dir", tmp_path / "demo")
    return r.code, r.text


def test_demo_runs_the_whole_flow_and_writes_the_reports(tmp_path, aws):
    code, out = run_demo(tmp_path)
    demo = tmp_path / "demo"
    assert "Target: embedded emulator" in out
    assert "unavailable" not in out, out
    assert code == 0, out
    assert (demo / "secure-mlops.yaml").exists()
    gate = json.loads((demo / "gate.json").read_text())
    audit = json.loads((demo / "audit.json").read_text())
    assert gate["kind"] == "gate" and audit["kind"] == "audit" and audit["findings"]
    # the first-day workloads give the workload controls something to evaluate, and they pass
    passed = {f["control_id"] for f in audit["findings"] if f["status"] == "PASS"}
    assert {"SM-NB-01", "SM-NB-05", "SM-JOB-01", "SM-JOB-04", "SM-PIPE-01", "SM-REG-01", "SM-REG-02",
            "SM-REG-04", "SM-MOD-01", "SM-MOD-03", "SM-EPC-01", "SM-EPC-03", "SM-MON-01"} <= passed
    # the only failure is the emulated account's default VPC without flow logs (not the environment's)
    env_vpc = aws.client("ssm").get_parameter(Name="/secure-mlops/ds-team-dev/vpc-id")["Parameter"]["Value"]
    failed = [f for f in audit["findings"] if f["status"] in ("FAIL", "ERROR")]
    assert [f["control_id"] for f in failed] == ["NET-01"] and env_vpc not in failed[0]["resource_id"], failed
    html = (demo / "report.html").read_text()
    assert "<html" in html.lower()
    assert str(demo / "report.html") in out

    # a second run: provision changes nothing
    code, out = run_demo(tmp_path)
    assert code == 0, out
    assert "No change: the environment is deployed as configured." in out


def test_a_missing_part_is_reported_unavailable_never_done(tmp_path, aws, monkeypatch):
    # the deployer missing from the build: the demo says so, runs nothing that depends on it, fails
    monkeypatch.setitem(sys.modules, "secure_mlops.provision.deployer", None)
    code, out = run_demo(tmp_path)
    assert code == 1
    assert re.search(r"provision and verify \S* ?unavailable", out), out
    assert re.search(r"audit \S* ?not run", out), out
    assert not (tmp_path / "demo" / "audit.json").exists()
    assert aws.client("cloudformation").describe_stacks()["Stacks"] == []
