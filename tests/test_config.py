"""Environment configuration: schema, semantic checks, errors that name file/field/fix, no AWS call."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from secure_mlops.cli import main
from secure_mlops.errors import UserError, UserErrors
from secure_mlops.provision import config as config_mod
from secure_mlops.provision.config import (
    CODEARTIFACT_ENDPOINTS,
    DEFAULT_INTERFACE_ENDPOINTS,
    REQUIRED_INTERFACE_ENDPOINTS,
    example_config,
    interface_endpoint_service_name,
    load_config,
    parse_config,
)

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = Path(__file__).resolve().parent / "data" / "configs"
BAD = sorted(CONFIGS.glob("bad-*.yaml"))


def _flat(text: str) -> str:
    """Rich wraps long messages; compare on single-spaced text."""
    return " ".join(text.split())


def _expectations(path: Path) -> tuple[str, str]:
    head = path.read_text().splitlines()[:2]
    field = head[0].split(":", 1)[1].strip()
    message = head[1].split(":", 1)[1].strip()
    return field, message


@pytest.fixture
def no_aws(monkeypatch):
    """Fail the test if anything resolves a target, builds a session or sends an AWS request."""
    import boto3
    import botocore.client

    def refuse(*args, **kwargs):
        raise AssertionError("an AWS call was attempted while the configuration was invalid")

    monkeypatch.setattr("secure_mlops.target.resolve", refuse)
    monkeypatch.setattr(boto3, "Session", refuse)
    monkeypatch.setattr(boto3, "client", refuse)
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", refuse)


# ------------------------------------------------------------------------------ valid configurations
def test_example_loads_with_every_section():
    cfg = parse_config(example_config(), "example.yaml")
    assert (cfg.name, cfg.team, cfg.stage, cfg.region) == ("ds-team-dev", "ds-team", "dev", "us-east-1")
    assert cfg.availability_zones == ("us-east-1a", "us-east-1b")
    assert cfg.network.internet_free is True
    assert cfg.network.new_vpc.private_subnet_cidrs == ("10.0.0.0/19", "10.0.32.0/19")
    assert cfg.network.vpc_cidr == "10.0.0.0/16"
    # the default list, plus CodeArtifact because the environment is internet-free (ART-01)
    assert cfg.network.interface_endpoints == DEFAULT_INTERFACE_ENDPOINTS + CODEARTIFACT_ENDPOINTS
    assert cfg.network.optional_interface_endpoints == ("codecommit", "codebuild", "codepipeline")
    assert cfg.iam.create_roles and cfg.iam.persona_authentication.method == "mfa"
    assert cfg.studio.auth_mode == "IAM" and cfg.studio.network_access == "VpcOnly"
    assert [p.name for p in cfg.studio.user_profiles] == ["data-scientist-1"]
    assert cfg.targets.staging_accounts == () and cfg.targets.production_accounts == ()
    assert cfg.audit.create_trail is True
    assert dict(cfg.tags) == {"team": "ds-team", "environment": "ds-team-dev", "stage": "dev", "cost-center": "1234"}
    assert dict(cfg.extra_tags) == {"cost-center": "1234"}


def test_minimal_configuration_takes_the_defaults():
    cfg = load_config(CONFIGS / "minimal.yaml")
    assert cfg.path == CONFIGS / "minimal.yaml"
    assert cfg.network.interface_endpoints == DEFAULT_INTERFACE_ENDPOINTS + CODEARTIFACT_ENDPOINTS
    assert cfg.network.flow_log_retention_days == 365
    assert cfg.network.nat_gateways is False
    assert cfg.iam.create_roles is True and cfg.iam.existing_roles == {}
    assert cfg.studio.user_profiles == ()
    assert cfg.audit.create_trail is True
    assert set(cfg.tags) == {"team", "environment", "stage"}


def test_configuration_is_frozen():
    cfg = load_config(CONFIGS / "minimal.yaml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.network.internet_free = False  # type: ignore[misc]
    with pytest.raises(TypeError):
        cfg.tags["team"] = "other"  # type: ignore[index]


def _minimal() -> str:
    return (CONFIGS / "minimal.yaml").read_text()


def test_internet_access_with_nat_gateways_and_extra_endpoints():
    text = _minimal().replace("internet_free: true", "internet_free: false") + (
        "    nat_gateways: true\n"
        "    public_subnet_cidrs: [10.0.128.0/24, 10.0.129.0/24]\n"
        "  interface_endpoints: [sagemaker.api, sagemaker.runtime, notebook, sts, logs, monitoring, kms,\n"
        "                        ecr.api, ecr.dkr, ssm, servicecatalog, glue, codeartifact.api]\n")
    cfg = parse_config(text, "nat.yaml")
    assert cfg.network.internet_free is False and cfg.network.nat_gateways is True
    # not internet-free: no CodeArtifact mirror is added; a listed codeartifact endpoint is an optional one
    assert "codeartifact.repositories" not in cfg.network.interface_endpoints
    assert cfg.network.optional_interface_endpoints == ("glue", "codeartifact.api")


def test_existing_vpc_federation_and_targets():
    text = _minimal().split("  new_vpc:")[0] + (
        "  existing_vpc:\n"
        "    vpc_id: vpc-0123456789abcdef0\n"
        "    cidr: 10.1.0.0/16\n"
        "    private_subnet_ids: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]\n"
        "    private_route_table_ids: [rtb-0123456789abcdef0, rtb-0fedcba9876543210]\n"
        "iam:\n"
        "  persona_authentication:\n"
        "    method: saml\n"
        "    provider_arn: arn:aws:iam::111111111111:saml-provider/corporate-idp\n"
        "studio:\n"
        "  auth_mode: SSO\n"
        "targets:\n"
        '  staging_accounts: ["222222222222"]\n'
        '  production_accounts: ["333333333333", "444444444444"]\n'
        "  production_ous: [o-a1b2c3d4e5/r-ab12/ou-ab12-33333333]\n"
        "audit:\n"
        "  create_trail: false\n")
    cfg = parse_config(text, "existing.yaml")
    assert cfg.network.new_vpc is None
    assert cfg.network.existing_vpc.private_subnet_ids == ("subnet-0123456789abcdef0", "subnet-0fedcba9876543210")
    assert cfg.network.vpc_cidr == "10.1.0.0/16"
    assert cfg.iam.persona_authentication.provider_arn.endswith(":saml-provider/corporate-idp")
    assert cfg.studio.auth_mode == "SSO"
    assert cfg.targets.accounts == ("222222222222", "333333333333", "444444444444")
    assert cfg.targets.ous == ("o-a1b2c3d4e5/r-ab12/ou-ab12-33333333",)
    assert cfg.audit.create_trail is False


def test_bring_your_own_roles():
    roles = "".join(f"    {k}: arn:aws:iam::111111111111:role/team/{k}\n" for k in config_mod.ROLE_KEYS)
    cfg = parse_config(_minimal() + "iam:\n  create_roles: false\n  existing_roles:\n" + roles, "byo.yaml")
    assert cfg.iam.create_roles is False
    assert cfg.iam.existing_roles["data_scientist"] == "arn:aws:iam::111111111111:role/team/data_scientist"


def test_service_names_of_short_endpoint_names():
    assert interface_endpoint_service_name("sagemaker.api", "eu-west-1") == "com.amazonaws.eu-west-1.sagemaker.api"
    assert interface_endpoint_service_name("notebook", "eu-west-1") == "aws.sagemaker.eu-west-1.notebook"
    assert interface_endpoint_service_name("studio", "us-east-1") == "aws.sagemaker.us-east-1.studio"
    assert set(REQUIRED_INTERFACE_ENDPOINTS) <= set(DEFAULT_INTERFACE_ENDPOINTS)


def test_schema_is_a_valid_json_schema_and_every_field_is_documented():
    import jsonschema

    schema = json.loads(config_mod.SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    docs = (ROOT / "docs" / "configuration.md").read_text()

    def fields(node, prefix=""):
        for name, sub in node.get("properties", {}).items():
            yield prefix + name
            yield from fields(sub, prefix + name + ".")
            if "items" in sub:
                yield from fields(sub["items"], prefix + name + "[].")

    missing = [f for f in fields(schema) if f"`{f}`" not in docs]
    assert not missing, f"fields not documented in docs/configuration.md: {missing}"


# ------------------------------------------------------------------------------ bad configurations
def test_at_least_ten_kinds_of_bad_configuration_schema_and_semantic():
    assert len(BAD) >= 10
    schema_kinds = {"bad-name", "bad-stage", "missing-team", "unknown-field", "public-studio", "unquoted-account-id"}
    semantic_kinds = {"overlapping-subnets", "subnet-outside-vpc", "one-availability-zone", "nat-in-internet-free",
                      "bad-role-arn", "bad-account-id", "zone-of-another-region"}
    names = {p.stem.removeprefix("bad-") for p in BAD} | {p.stem for p in BAD}
    assert schema_kinds <= names and semantic_kinds <= names


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_configuration_raises_user_error_naming_file_field_and_fix(path):
    field, message = _expectations(path)
    with pytest.raises(UserError) as info:
        load_config(path)
    errors = info.value.errors if isinstance(info.value, UserErrors) else [info.value]
    matching = [e for e in errors if (e.field or "") == field and message in e.message]
    assert matching, [str(e) for e in errors]
    err = matching[0]
    assert err.file.startswith(str(path)), err.file
    assert re.search(r":\d+$", err.file), "the error names the line"
    assert err.fix


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
@pytest.mark.parametrize("command", ["validate", "provision"])
def test_bad_configuration_exits_2_before_any_aws_call(path, command, no_aws):
    field, message = _expectations(path)
    result = CliRunner().invoke(main, [command, "-c", str(path)])
    out = _flat(result.output)
    assert result.exit_code == 2, out
    assert str(path) in out
    if field:
        assert f"field {field}:" in out
    assert message in out
    assert "Fix:" in out


def test_every_problem_is_reported_at_once():
    text = (_minimal().replace("stage: dev", "stage: qa").replace("name: ds-team-dev", "name: X")
            + "  bogus: 1\n")
    with pytest.raises(UserErrors) as info:
        parse_config(text, "many.yaml")
    fields = {e.field for e in info.value.errors}
    assert {"name", "stage", "network.bogus"} <= fields
    text = _minimal().replace("10.0.32.0/19]", "10.0.0.0/20]") + 'targets:\n  staging_accounts: ["1"]\n'
    with pytest.raises(UserErrors) as info:
        parse_config(text, "semantic.yaml")
    assert {"network.new_vpc.private_subnet_cidrs[1]", "targets.staging_accounts[0]"} <= {
        e.field for e in info.value.errors}


def test_missing_empty_and_non_mapping_files(tmp_path):
    with pytest.raises(UserError, match="does not exist.*secure-mlops init"):
        load_config(tmp_path / "nope.yaml")
    (tmp_path / "empty.yaml").write_text("# nothing\n")
    with pytest.raises(UserError, match="is empty"):
        load_config(tmp_path / "empty.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(UserError, match="must be a mapping"):
        load_config(tmp_path / "list.yaml")
    with pytest.raises(UserError, match="is a directory"):
        load_config(tmp_path)


def test_provision_with_missing_file_exits_2_without_aws(tmp_path, no_aws):
    result = CliRunner().invoke(main, ["provision", "-c", str(tmp_path / "absent.yaml")])
    assert result.exit_code == 2
    assert "does not exist" in _flat(result.output)


# ------------------------------------------------------------------------------ init and validate
def test_init_writes_the_example_then_validate_accepts_it(tmp_path, no_aws):
    path = tmp_path / "secure-mlops.yaml"
    runner = CliRunner()
    result = runner.invoke(main, ["init", str(path)])
    assert result.exit_code == 0, result.output
    assert path.read_text() == example_config()
    result = runner.invoke(main, ["validate", "-c", str(path)])
    assert result.exit_code == 0, result.output
    out = _flat(result.output)
    assert "valid" in out and "ds-team-dev-core" in out and "ds-team-dev-env" in out


def test_init_refuses_to_overwrite_without_force(tmp_path):
    path = tmp_path / "secure-mlops.yaml"
    path.write_text("mine\n")
    runner = CliRunner()
    result = runner.invoke(main, ["init", str(path)])
    assert result.exit_code == 2 and "--force" in _flat(result.output)
    assert path.read_text() == "mine\n"
    assert runner.invoke(main, ["init", "--force", str(path)]).exit_code == 0
    assert path.read_text() == example_config()


def test_init_into_a_missing_directory_exits_2(tmp_path):
    result = CliRunner().invoke(main, ["init", str(tmp_path / "no" / "such" / "dir.yaml")])
    assert result.exit_code == 2
    assert "cannot be written" in _flat(result.output)
