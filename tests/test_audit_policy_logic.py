"""IAM policy semantics used by the IAM, bucket-policy and key-policy controls (no emulator)."""

from __future__ import annotations

import pytest

from secure_mlops.audit.filters import policy_logic as pl

ARN = "arn:aws:sagemaker:us-east-1:123456789012:training-job/example"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


ALLOW_SM = {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}


def deny(cond, action="sagemaker:CreateTrainingJob", resource="*"):
    return {"Effect": "Deny", "Action": action, "Resource": resource, "Condition": cond}


@pytest.mark.parametrize("statements,situation,possible", [
    # one Null key per statement: each missing key is refused
    ([deny({"Null": {"sagemaker:VpcSubnets": "true"}})], {"sagemaker:VpcSubnets": None}, False),
    # both keys in one block are ANDed: a request lacking only the subnets gets through
    ([deny({"Null": {"sagemaker:VpcSubnets": "true", "sagemaker:VpcSecurityGroupIds": "true"}})],
     {"sagemaker:VpcSubnets": None, "sagemaker:VpcSecurityGroupIds": ["sg-1"]}, True),
    # a key the situation does not fix: the Deny is not relied on
    ([deny({"Null": {"sagemaker:VpcSubnets": "true", "sagemaker:VpcSecurityGroupIds": "true"}})],
     {"sagemaker:VpcSubnets": None}, True),
    # Bool false does not refuse a request that omits the key; Null does
    ([deny({"Bool": {"sagemaker:InterContainerTrafficEncryption": "false"}})],
     {"sagemaker:InterContainerTrafficEncryption": None}, True),
    ([deny({"Bool": {"sagemaker:InterContainerTrafficEncryption": "false"}})],
     {"sagemaker:InterContainerTrafficEncryption": False}, False),
    # negated operators hold when the key is absent (StringNotEquals DirectInternetAccess Disabled)
    ([deny({"StringNotEquals": {"sagemaker:DirectInternetAccess": "Disabled"}})],
     {"sagemaker:DirectInternetAccess": None}, False),
    # a Deny on a subset of resources does not refuse them all
    ([deny({"Null": {"sagemaker:VpcSubnets": "true"}}, resource="arn:aws:sagemaker:*:*:training-job/team-a-*")],
     {"sagemaker:VpcSubnets": None}, True),
    # wildcard actions and NotAction
    ([{"Effect": "Deny", "Action": "sagemaker:Create*", "Resource": "*",
       "Condition": {"Null": {"sagemaker:VpcSubnets": "true"}}}], {"sagemaker:VpcSubnets": None}, False),
    ([{"Effect": "Deny", "NotAction": "sagemaker:CreateTrainingJob", "Resource": "*"}], {}, True),
])
def test_can_perform(statements, situation, possible):
    ok, why = pl.can_perform([("p", doc(ALLOW_SM, *statements))], "sagemaker:CreateTrainingJob", ARN, situation)
    assert ok is possible, why


def test_not_allowed_at_all_is_not_possible():
    ok, why = pl.can_perform([("p", doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}))],
                             "sagemaker:CreateTrainingJob", ARN, {})
    assert not ok and why == ["not allowed by any statement"]


def test_allow_with_a_condition_that_cannot_hold_does_not_allow():
    allow = {"Effect": "Allow", "Action": "sagemaker:DeleteModel", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}
    other = {"aws:ResourceTag/team": "b", "aws:PrincipalTag/team": "a"}
    same = {"aws:ResourceTag/team": "a", "aws:PrincipalTag/team": "a"}
    assert not pl.can_perform([("p", doc(allow))], "sagemaker:DeleteModel", ARN, other)[0]
    assert pl.can_perform([("p", doc(allow))], "sagemaker:DeleteModel", ARN, same)[0]
    # unknown keys: the Allow may apply
    assert pl.can_perform([("p", doc(allow))], "sagemaker:DeleteModel", ARN, {})[0]


def test_bucket_policy_deny_for_everyone():
    policy = doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                  "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                  "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    assert pl.denied_for_everyone(policy, "s3:*", "arn:aws:s3:::b/*", {"aws:SecureTransport": False}) == "0"
    assert pl.denied_for_everyone(policy, "s3:*", "arn:aws:s3:::other/*", {"aws:SecureTransport": False}) is None
    only_get = doc({"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    assert pl.denied_for_everyone(only_get, "s3:*", "arn:aws:s3:::b/*", {"aws:SecureTransport": False}) is None
    not_everyone = doc({"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "s3:*",
                        "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    assert pl.denied_for_everyone(not_everyone, "s3:*", "arn:aws:s3:::b/*", {"aws:SecureTransport": False}) is None


@pytest.mark.parametrize("op,values,situation,expected", [
    ("Null", "true", {"k": None}, True),
    ("Null", "false", {"k": None}, False),
    ("StringEquals", "a", {"k": None}, False),
    ("StringEqualsIfExists", "a", {"k": None}, True),
    ("StringLike", "team-*", {"k": "team-a"}, True),
    ("ArnNotEquals", ["arn:aws:iam::1:role/p"], {"k": "arn:aws:iam::1:role/x"}, True),
    ("ForAnyValue:StringLike", ["o-1/*"], {"k": ["o-2/r"]}, False),
    ("ForAnyValue:StringLike", ["o-1/*"], {"k": ["o-2/r", "o-1/x"]}, True),
    ("NumericLessThan", "2", {"k": "1"}, True),
    ("StringEquals", "a", {}, None),
])
def test_operators(op, values, situation, expected):
    assert pl.evaluate_operator(op, "k", values, situation) is expected


def test_resource_arn_for():
    assert pl.resource_arn_for("sagemaker:CreateHyperParameterTuningJob", "r", "1") == \
        "arn:aws:sagemaker:r:1:hyper-parameter-tuning-job/example"
    assert pl.resource_arn_for("sagemaker:UpdateModelPackage", "r", "1").endswith(":model-package/example")
