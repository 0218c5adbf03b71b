"""cfn-lint (the version pinned in pyproject.toml) reports no error on any shipped template."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

from secure_mlops.provision.stacks import TEMPLATES_DIR

TEMPLATES = sorted(TEMPLATES_DIR.glob("*.yaml"))
#: the regions the lint checks resource types and properties in
REGIONS = ["us-east-1", "eu-west-1", "eu-central-1"]


def test_cfn_lint_is_the_pinned_version():
    assert importlib.metadata.version("cfn-lint") == "1.58.0"


def test_there_are_templates_to_lint():
    assert {p.name for p in TEMPLATES} >= {"artifacts.yaml", "core.yaml", "env.yaml"}


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.name for p in TEMPLATES])
def test_cfn_lint_reports_no_errors(path: Path):
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(path, ManualArgs(regions=REGIONS))
    errors = [m for m in matches if m.rule.id.startswith("E")]
    assert not errors, "\n".join(f"{path.name}:{m.linenumber} {m.rule.id} {m.message}" for m in errors)
    # warnings are allowed, but only the known one: the BYO-role parameter default ("") of a
    # property whose pattern wants an ARN (used only when CreateIamRoles is "false")
    byo = ("SageMakerExecutionRoleArn", "DataScientistRoleArn", "TeamAdminRoleArn")
    unexpected = [m for m in matches if m.rule.id.startswith("W") and not any(r in m.message for r in byo)]
    assert not unexpected, "\n".join(f"{path.name}:{m.linenumber} {m.rule.id} {m.message}" for m in unexpected)
