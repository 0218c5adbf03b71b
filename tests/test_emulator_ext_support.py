"""The helpers every resource extension relies on: schema checks, replacement, policy evaluation.

These run in the test process (no emulator): they import the helper modules directly.
"""

import ast
from pathlib import Path

import pytest

from secure_mlops.provision.emulator import extensions
from secure_mlops.provision.emulator.extensions import _conditions
from secure_mlops.provision.emulator.extensions._support import (PropertyValidationError, check_properties,
                                                                  needs_replacement, registry_attributes)


def test_properties_are_checked_against_the_registry_schema():
    ok = check_properties("AWS::SageMaker::Domain", "Studio", {
        "DomainName": "d", "AuthMode": "IAM", "DefaultUserSettings": {"ExecutionRole": "arn:aws:iam::123456789012:role/x"}})
    assert ok["AuthMode"] == "IAM"
    with pytest.raises(PropertyValidationError, match=r"Studio .*required key \[AuthMode\] not found"):
        check_properties("AWS::SageMaker::Domain", "Studio", {"DomainName": "d", "DefaultUserSettings": {}})
    with pytest.raises(PropertyValidationError, match=r"extraneous key \[Bogus\] is not permitted"):
        check_properties("AWS::S3::BucketPolicy", "P", {"Bucket": "b", "PolicyDocument": {}, "Bogus": 1})
    with pytest.raises(PropertyValidationError, match=r"#/AuthMode: SAML is not a valid enum value"):
        check_properties("AWS::SageMaker::Domain", "Studio", {
            "DomainName": "d", "AuthMode": "SAML", "DefaultUserSettings": {"ExecutionRole": "arn:aws:iam::123456789012:role/x"}})


def test_read_only_properties_cannot_be_set():
    with pytest.raises(PropertyValidationError, match=r"extraneous key \[DomainId\]"):
        check_properties("AWS::SageMaker::Domain", "Studio", {
            "DomainName": "d", "AuthMode": "IAM", "DomainId": "d-1",
            "DefaultUserSettings": {"ExecutionRole": "arn:aws:iam::123456789012:role/x"}})


def test_template_strings_are_converted_to_the_schema_types():
    # parameters always arrive as strings; CloudFormation converts them
    props = check_properties("AWS::S3::Bucket", "B", {"PublicAccessBlockConfiguration": {
        "BlockPublicAcls": "true", "BlockPublicPolicy": "false", "IgnorePublicAcls": True, "RestrictPublicBuckets": "TRUE"}})
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": False, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert check_properties("AWS::Logs::LogGroup", "L", {"RetentionInDays": "30"})["RetentionInDays"] == 30
    with pytest.raises(PropertyValidationError, match="expected type: Boolean, found: String"):
        check_properties("AWS::S3::Bucket", "B", {"PublicAccessBlockConfiguration": {"BlockPublicAcls": "yes"}})


def test_create_only_properties_decide_replacement():
    old = {"DomainName": "d", "AuthMode": "IAM", "AppNetworkAccessType": "VpcOnly"}
    assert not needs_replacement("AWS::SageMaker::Domain", old, {**old, "AppNetworkAccessType": "PublicInternetOnly"})
    assert needs_replacement("AWS::SageMaker::Domain", old, {**old, "AuthMode": "SSO"})
    assert needs_replacement("AWS::SageMaker::Domain", old, {**old, "KmsKeyId": "k"})


def _handlers():
    """(module, class name, bases, TYPE, ATTRIBUTES) of every handler, read from the source.

    The modules are not imported here: importing them would register their handlers with moto
    in the test process, where the extensions are not installed.
    """
    folder = Path(extensions.__file__).parent
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith(("_", "cfn_", "cloudformation")):
            continue
        for node in ast.parse(path.read_text()).body:
            if not isinstance(node, ast.ClassDef):
                continue
            consts = {t.id: stmt.value for stmt in node.body if isinstance(stmt, ast.Assign)
                      for t in stmt.targets if isinstance(t, ast.Name)}
            if "TYPE" in consts and isinstance(consts["TYPE"], ast.Constant):
                attributes = ast.literal_eval(consts["ATTRIBUTES"]) if "ATTRIBUTES" in consts else ()
                bases = [b.id for b in node.bases if isinstance(b, ast.Name)]
                yield path.stem, node.name, bases, consts["TYPE"].value, attributes


def test_every_handler_is_a_registered_type_with_its_documented_attributes():
    handlers = list(_handlers())
    assert len(handlers) >= 20
    for module, name, bases, type_name, attributes in handlers:
        assert "CloudFormationModel" in bases, f"{module}.{name} must name CloudFormationModel as a base"
        documented = registry_attributes(type_name)
        assert set(attributes) <= documented, f"{type_name}: {set(attributes) - documented}"


# ---------------------------------------------------------------- resource-policy evaluation


TLS_ONLY = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
VPCE_ONLY = {"Effect": "Deny", "Principal": "*", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b/*",
             "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"},
                           "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/deployer"}}}


def ctx(caller="arn:aws:sts::123456789012:assumed-role/analyst/s"):
    return _conditions.request_context("123456789012", caller)


def test_tls_only_deny_does_not_deny_https_requests():
    policy = {"Statement": [TLS_ONLY]}
    assert _conditions.evaluate(policy, "s3:PutObject", "arn:aws:s3:::b/k", ctx()) == _conditions.NEUTRAL


def test_vpc_endpoint_deny_applies_outside_the_endpoint_except_to_exempt_principals():
    policy = {"Statement": [TLS_ONLY, VPCE_ONLY]}
    assert _conditions.evaluate(policy, "s3:PutObject", "arn:aws:s3:::b/k", ctx()) == _conditions.DENY
    deployer = ctx("arn:aws:sts::123456789012:assumed-role/deployer/s")
    assert _conditions.evaluate(policy, "s3:PutObject", "arn:aws:s3:::b/k", deployer) == _conditions.NEUTRAL
    inside = {**ctx(), "aws:SourceVpce": "vpce-1"}
    assert _conditions.evaluate(policy, "s3:PutObject", "arn:aws:s3:::b/k", inside) == _conditions.NEUTRAL
    assert _conditions.evaluate(policy, "s3:ListBucket", "arn:aws:s3:::b", ctx()) == _conditions.NEUTRAL


def test_condition_operators_on_missing_keys():
    assert _conditions.condition_holds("StringEquals", "aws:SourceVpce", "v", {}) is False
    assert _conditions.condition_holds("StringNotEquals", "aws:SourceVpce", "v", {}) is True
    assert _conditions.condition_holds("StringEqualsIfExists", "aws:SourceVpce", "v", {}) is True
    assert _conditions.condition_holds("Null", "aws:SourceVpce", "true", {}) is True
    assert _conditions.condition_holds("Null", "aws:SourceVpce", "false", {}) is False
    assert _conditions.condition_holds("ForAnyValue:StringLike", "aws:TagKeys", "a*", {}) is False
    assert _conditions.condition_holds("ForAllValues:StringLike", "aws:TagKeys", "a*", {}) is True
    assert _conditions.condition_holds("ForAllValues:StringLike", "aws:TagKeys", "a*", {"aws:TagKeys": ["ab", "b"]}) is False
    assert _conditions.condition_holds("IpAddress", "aws:SourceIp", "10.0.0.0/8", {"aws:SourceIp": "10.1.2.3"}) is True


def test_unimplemented_condition_operators_fail_closed():
    date = {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}
    deny = {**VPCE_ONLY, "Condition": date}
    assert _conditions.evaluate({"Statement": [deny]}, "s3:PutObject", "arn:aws:s3:::b/k", ctx()) == _conditions.DENY
    allow = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
             "Condition": date}
    assert _conditions.evaluate({"Statement": [allow]}, "s3:GetObject", "arn:aws:s3:::b/k", ctx()) == _conditions.NEUTRAL
    with pytest.raises(_conditions.Unevaluable):
        _conditions.condition_holds("BinaryEqualsIfExists", "aws:Missing", "AA==", {})


def test_allow_with_unmet_condition_is_neutral_and_allow_to_principal_permits():
    allow = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::b/*"}
    assert _conditions.evaluate({"Statement": [allow]}, "s3:GetObject", "arn:aws:s3:::b/k", ctx()) == _conditions.ALLOW
    restricted = {**allow, "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}
    assert _conditions.evaluate({"Statement": [restricted]}, "s3:GetObject", "arn:aws:s3:::b/k", ctx()) == _conditions.NEUTRAL
