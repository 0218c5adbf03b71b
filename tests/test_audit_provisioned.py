"""After `provision` of the real environment, `audit` reports no FAIL on anything it created."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from secure_mlops.cli import main

pytestmark = [pytest.mark.emulator, pytest.mark.slow]


def _created(aws, env_name: str) -> set[str]:
    """Physical ids (names, ids, ARNs) of every resource in the environment's stacks."""
    cf = aws.client("cloudformation")
    ids: set[str] = set()
    for stack in cf.describe_stacks()["Stacks"]:
        if not stack["StackName"].startswith(env_name + "-"):
            continue
        for page in cf.get_paginator("list_stack_resources").paginate(StackName=stack["StackName"]):
            for r in page["StackResourceSummaries"]:
                if r.get("PhysicalResourceId"):
                    ids.add(r["PhysicalResourceId"])
                    ids.add(r["PhysicalResourceId"].rsplit("/", 1)[-1])
    return ids


def test_no_fail_on_what_provision_created(aws, emulator, tmp_path):
    from secure_mlops.provision.config import example_config, load_config

    cfg_path = tmp_path / "secure-mlops.yaml"
    cfg_path.write_text(example_config())
    env_name = load_config(cfg_path).name
    runner = CliRunner()
    try:
        _provision_and_audit(aws, runner, cfg_path, env_name, tmp_path)
    finally:
        emulator.reset()  # leave the worker's emulator empty for the next test


def _provision_and_audit(aws, runner, cfg_path, env_name, tmp_path):
    prov = runner.invoke(main, ["provision", "--local", "-c", str(cfg_path)])
    assert prov.exit_code == 0, re.sub(r"\s+", " ", prov.output)[-400:]
    created = _created(aws, env_name)
    assert created
    out = tmp_path / "audit.json"
    runner.invoke(main, ["audit", "--local", "-c", str(cfg_path), "-o", str(out), "--format", "json"])
    doc = json.loads(out.read_text())
    env_resource = f"/{env_name}"
    failed_on_env = [
        f for f in doc["findings"]
        if f["status"] == "FAIL" and (
            f["resource_id"] in created or (f.get("resource_arn") or "") in created
            or f["resource_id"].endswith(env_resource))
    ]
    assert not failed_on_env, "\n".join(f"{f['control_id']} {f['resource_id']}: {f['message']}" for f in failed_on_env)
    # the environment's context was found: its controls were evaluated, not left in ERROR for lack of it
    assert not [f for f in doc["findings"] if "needs the environment" in f["message"]]
