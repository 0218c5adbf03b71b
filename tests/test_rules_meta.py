"""The detective controls' rule files, checked by convention (no emulator)."""

from __future__ import annotations

import pytest
import yaml

from secure_mlops.audit.rules import RuleError, load_rule
from secure_mlops.controls import RULES_DIR, load_catalog

DETECTIVE = [c.id for c in load_catalog().with_mode("detective")]


def test_every_detective_control_has_a_rule_file_and_no_other_file_exists():
    files = {p.stem for p in RULES_DIR.glob("*.yml")}
    assert files == set(DETECTIVE)


@pytest.mark.parametrize("control_id", DETECTIVE)
def test_rule_file_loads_and_validates_with_c7n(control_id):
    from c7n.config import Config

    from secure_mlops.audit.rules import validate_with_c7n
    from secure_mlops.audit.runner import setup

    setup()
    control = load_catalog().get(control_id)
    policies = load_rule(control)
    assert policies
    for p in policies:
        assert p.name.startswith(control_id.lower() + "-")
        validate_with_c7n(p, Config.empty(region="us-east-1", account_id="000000000000"), lambda *a, **k: None)


def test_policy_names_are_unique():
    names = [p.name for cid in DETECTIVE for p in load_rule(load_catalog().get(cid))]
    assert len(names) == len(set(names))


def test_rules_use_only_lean_or_cheap_resource_types():
    """Resource types whose stock augment makes per-resource calls no control reads are not used."""
    from secure_mlops.audit.resources import STOCK_TYPES

    for cid in DETECTIVE:
        for p in load_rule(load_catalog().get(cid)):
            assert p.resource.startswith("aws.audit-") or p.resource in STOCK_TYPES, (cid, p.resource)


def test_context_variables_are_known():
    from secure_mlops.audit.context import ENV_VARIABLES

    account_level = {"allowed_image_accounts", "default_interface_endpoints", "account_id", "region"}
    for cid in DETECTIVE:
        for p in load_rule(load_catalog().get(cid)):
            unknown = p.variables - ENV_VARIABLES - account_level
            assert not unknown, f"{cid} {p.name}: unknown variables {unknown}"


def test_a_broken_rule_file_names_the_file_and_field(tmp_path, monkeypatch):
    from secure_mlops.controls import Control

    control = load_catalog().get("S3-01")
    bad = tmp_path / "S3-01.yml"
    bad.write_text(yaml.safe_dump({"policies": [{"name": "s3-01-x", "resource": "aws.audit-bucket",
                                                 "description": "a description", "filter": []}]}))
    monkeypatch.setattr(Control, "policy_path", property(lambda self: bad))
    with pytest.raises(RuleError, match=r"S3-01.yml: field policies/0"):
        load_rule(control)


def test_a_typo_in_a_filter_is_refused_by_c7n(tmp_path, monkeypatch):
    from c7n.config import Config

    from secure_mlops.audit.rules import validate_with_c7n
    from secure_mlops.audit.runner import setup
    from secure_mlops.controls import Control

    setup()
    control = load_catalog().get("S3-01")
    bad = tmp_path / "S3-01.yml"
    bad.write_text(yaml.safe_dump({"policies": [{"name": "s3-01-x", "resource": "aws.audit-bucket",
                                                 "description": "a description",
                                                 "metadata": {"violation": "is wrong"},
                                                 "filters": [{"type": "missing-dney"}]}]}))
    monkeypatch.setattr(Control, "policy_path", property(lambda self: bad))
    (policy,) = load_rule(control)
    with pytest.raises(RuleError, match="S3-01.yml: policy s3-01-x: field filters"):
        validate_with_c7n(policy, Config.empty(region="us-east-1", account_id="000000000000"), lambda *a, **k: None)
