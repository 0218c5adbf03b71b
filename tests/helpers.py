"""Helpers shared by test modules (fixtures live in conftest.py): `from helpers import cli`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path


def one_line(text: str) -> str:
    """Whitespace collapsed: messages match whatever rich wrapped."""
    return re.sub(r"\s+", " ", text)


@dataclass
class Run:
    """One `secure-mlops` invocation: exit code, stdout (data), stderr (messages), both interleaved."""

    code: int
    stdout: str
    stderr: str
    output: str

    @property
    def err(self) -> str:
        return one_line(self.stderr)

    @property
    def text(self) -> str:
        return one_line(self.output)


def cli(*args: str, env: dict | None = None, catch_exceptions: bool = False) -> Run:
    """Run `secure-mlops ARGS` in this process (use the `wide_console` fixture to match messages)."""
    from click.testing import CliRunner

    from secure_mlops.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=catch_exceptions)
    return Run(result.exit_code, result.stdout, result.stderr, result.output)


def captured(capsys) -> str:
    """What a test printed so far (stdout and stderr), whitespace collapsed."""
    out = capsys.readouterr()
    return one_line(out.out + out.err)


@dataclass
class Spec:
    """The parts of a provision.stacks.StackSpec the deployer reads."""

    name: str
    template_path: Path
    parameters: dict = field(default_factory=dict)
    capabilities: list = field(default_factory=list)
    tags: dict = field(default_factory=lambda: {"team": "t", "environment": "unit", "stage": "dev"})
    uploads: list = field(default_factory=list)


# ------------------------------------------------------------------------------ read-back
class FakeCloudFormation:
    """CloudFormation's answers about one stack, fixed by the test: its template, its listing
    (rows, or one row per entry of `physical_ids`) and its parameters."""

    def __init__(self, template: dict, physical_ids: dict[str, str] | None = None,
                 parameters: list[dict] | None = None, rows: list[dict] | None = None,
                 account: str = "123456789012"):
        self.template, self.parameters, self.account = template, parameters or [], account
        self.rows = rows if rows is not None else [
            {"LogicalResourceId": lid, "PhysicalResourceId": pid,
             "ResourceType": template["Resources"][lid]["Type"]} for lid, pid in (physical_ids or {}).items()]

    def describe_stacks(self, StackName):
        return {"Stacks": [{"StackName": StackName, "StackStatus": "CREATE_COMPLETE", "Parameters": self.parameters,
                            "StackId": f"arn:aws:cloudformation:us-east-1:{self.account}:stack/{StackName}/1"}]}

    def get_template(self, StackName, TemplateStage):
        return {"TemplateBody": json.dumps(self.template)}

    def get_paginator(self, name):
        assert name == "list_stack_resources"
        rows = [{"ResourceStatus": "CREATE_COMPLETE", **row} for row in self.rows]

        class Pages:
            def paginate(self, StackName):
                return [{"StackResourceSummaries": rows}]

        return Pages()


class FakeSession:
    """A session whose CloudFormation is the test's; other clients are given, or `real`'s."""

    region_name = "us-east-1"

    def __init__(self, cloudformation, real=None, **clients):
        self.clients = {"cloudformation": cloudformation, **clients}
        self.real = real

    def client(self, name):
        if name in self.clients:
            return self.clients[name]
        assert self.real is not None, f"no {name} call expected"
        return self.real.client(name)


# ------------------------------------------------------------------------------ emulator
def create_stack(cfn, name: str, body: str, **kwargs) -> dict[str, str]:
    """Create a stack (the emulator's CloudFormation completes before it answers), assert that it
    completed and return its outputs."""
    cfn.create_stack(StackName=name, TemplateBody=body, **kwargs)
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}
