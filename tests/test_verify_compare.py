"""Read-back verification, the pure parts: template loading, intrinsic resolution, comparison."""

from __future__ import annotations

import pytest

from secure_mlops.provision.readback.compare import (ABSENT, canonical_policy, equal, policy_difference,
                                                      same_set, walk)
from secure_mlops.provision.readback.resolve import NO_VALUE, Resolver, Unresolvable
from secure_mlops.cfn_template import parse

TEMPLATE = """
Parameters:
  Env: {Type: String}
  Subnets: {Type: CommaDelimitedList}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition NotProd, !Equals [a, a]]
Mappings:
  Sizes: {dev: {Instance: ml.t3.medium}}
Resources:
  Key:
    Type: AWS::KMS::Key
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${Env}-data-${AWS::AccountId}"
      Arn: !GetAtt Key.Arn
      ShortSub: !Sub "${Key.Arn}/x"
      Joined: !Join ["-", [a, !Ref Env, 3]]
      Chosen: !If [IsProd, big, small]
      Dropped: !If [IsProd, x, !Ref AWS::NoValue]
      First: !Select [1, !Ref Subnets]
      Parts: !Split [",", "a,b"]
      Mapped: !FindInMap [Sizes, !Ref Env, Instance]
      Blocks: !Cidr ["10.0.0.0/16", 2, 8]
      Date: 2012-10-17
      List: [a, !Ref AWS::NoValue, b]
      Literal: !Sub "${!NotAVar}"
"""


def resolver(env="dev", attrs=None):
    tpl = parse(TEMPLATE)
    attrs = attrs if attrs is not None else {("Key", "Arn"): "arn:aws:kms:us-east-1:111122223333:key/k1"}

    def get_att(lid, name):
        if (lid, name) not in attrs:
            raise Unresolvable(f"{lid}.{name} not read back")
        return attrs[(lid, name)]

    return tpl, Resolver(tpl, {"Env": env, "Subnets": ["s-1", "s-2"]},
                         {"AWS::AccountId": "111122223333", "AWS::Region": "us-east-1"},
                         {"Key": "k1", "Bucket": ""}, get_att)


def test_short_forms_become_long_forms_and_dates_stay_strings():
    tpl = parse(TEMPLATE)
    props = tpl["Resources"]["Bucket"]["Properties"]
    assert props["Arn"] == {"Fn::GetAtt": ["Key", "Arn"]}
    assert tpl["Conditions"]["NotProd"] == {"Fn::Not": [{"Condition": "IsProd"}]}
    assert props["Date"] == "2012-10-17"


def test_load_template_rejects_non_templates():
    with pytest.raises(ValueError):
        parse("just: text")


def test_resolves_every_intrinsic_against_the_stack():
    tpl, r = resolver()
    props = r.resolve(tpl["Resources"]["Bucket"]["Properties"])
    assert props == {
        "BucketName": "dev-data-111122223333",
        "Arn": "arn:aws:kms:us-east-1:111122223333:key/k1",
        "ShortSub": "arn:aws:kms:us-east-1:111122223333:key/k1/x",
        "Joined": "a-dev-3",
        "Chosen": "small",
        "First": "s-2",
        "Parts": ["a", "b"],
        "Mapped": "ml.t3.medium",
        "Blocks": ["10.0.0.0/24", "10.0.1.0/24"],
        "Date": "2012-10-17",
        "List": ["a", "b"],
        "Literal": "${NotAVar}",
    }
    assert r.resolve({"Ref": "AWS::NoValue"}) is NO_VALUE


def test_conditions():
    _, r = resolver("prod")
    assert r.condition("IsProd") and not r.condition("NotProd") and not r.condition("Both")
    _, r = resolver("dev")
    assert not r.condition("IsProd") and r.condition("Both")
    with pytest.raises(Unresolvable):
        r.condition("Nope")


@pytest.mark.parametrize("value, why", [
    ({"Ref": "Bucket"}, "no physical id"),
    ({"Ref": "Nothing"}, "names no parameter"),
    ({"Fn::GetAtt": ["Key", "KeyId"]}, "not read back"),
    ({"Fn::GetAtt": ["Ghost", "Arn"]}, "unknown resource"),
    ({"Fn::Select": [5, ["a"]]}, "out of range"),
    ({"Fn::FindInMap": ["Sizes", "prod", "Instance"]}, "not found"),
    ({"Fn::Transform": {}}, "not supported"),
])
def test_what_cannot_be_resolved_says_why(value, why):
    _, r = resolver()
    with pytest.raises(Unresolvable, match=why):
        r.resolve(value)


def test_scalars_compare_as_cloudformation_passes_them():
    assert equal(True, "true") and equal("30", 30) and equal({"a": [1, True]}, {"a": ["1", "true"]})
    assert not equal(True, "false") and not equal({"a": 1}, {"a": 1, "b": 2}) and not equal("x", ["x"])


def test_walk_compares_only_declared_keys_and_reports_each_leaf():
    declared = {"BlockPublicAcls": True, "RestrictPublicBuckets": True}
    actual = {"BlockPublicAcls": True, "RestrictPublicBuckets": False, "IgnorePublicAcls": False}
    assert [(p, ok) for p, _, _, ok in walk(declared, actual, "PAB")] == [
        ("PAB.BlockPublicAcls", True), ("PAB.RestrictPublicBuckets", False)]
    assert [ok for *_, ok in walk(declared, ABSENT, "PAB")] == [False]
    assert [ok for *_, ok in walk("Enabled", ABSENT, "Status")] == [False]
    assert [ok for *_, ok in walk([1, 2], [1], "L")] == [False]


def test_sets_ignore_order_only():
    assert same_set(["b", "a"], ["a", "b"]) and same_set("a", ["a"])
    assert not same_set(["a"], ["a", "b"]) and not same_set(["a"], [])


POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "TLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"Bool": {"aws:SecureTransport": False}}},
        {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": "arn:aws:s3:::b/*"},
    ],
}


def test_policies_compare_by_meaning():
    import json

    same = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root"]},
             "Action": ["s3:putobject", "s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]},
            {"Sid": "Other", "Effect": "Deny", "Principal": "*", "Action": ["s3:*"],
             "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::b"],
             "Condition": {"Bool": {"aws:securetransport": ["false"]}}},
        ],
    }
    assert policy_difference(POLICY, json.dumps(same)) is None
    assert canonical_policy(POLICY) == canonical_policy(same)
    # URL-encoded documents (IAM's raw form) are read too
    import urllib.parse

    assert policy_difference(POLICY, urllib.parse.quote(json.dumps(same))) is None


def test_policy_differences_are_named():
    import copy

    weaker = copy.deepcopy(POLICY)
    weaker["Statement"][0]["Effect"] = "Allow"
    diff = policy_difference(POLICY, weaker)
    assert "declared statements not in effect" in diff and "statements in effect but not declared" in diff
    fewer = copy.deepcopy(POLICY)
    del fewer["Statement"][0]
    assert "declared statements not in effect" in policy_difference(POLICY, fewer)
    assert "not a policy document" in policy_difference(POLICY, "{'Version': 'repr'}")
    other_version = dict(POLICY, Version="2008-10-17")
    assert "Version" in policy_difference(POLICY, other_version)


def test_security_group_rules_compare_as_atoms():
    from secure_mlops.provision.readback.ec2 import _atom, _atoms_from_api

    api = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "IpRanges": [{"CidrIp": "10.0.0.0/16"}], "UserIdGroupPairs": [{"GroupId": "sg-1"}]},
           {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    declared = [{"IpProtocol": 6, "FromPort": "443", "ToPort": 443, "CidrIp": "10.0.0.0/16"},
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "SourceSecurityGroupId": "sg-1"},
                {"IpProtocol": "all", "FromPort": 0, "ToPort": 65535, "CidrIp": "0.0.0.0/0"}]
    assert {_atom(r) for r in declared} == _atoms_from_api(api)
    assert _atom({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}) not in _atoms_from_api(api)


def test_pipeline_actions_compare_by_stage_action_and_provider():
    from secure_mlops.provision.readback.codepipeline import _actions

    cfn = [{"Name": "Source", "Actions": [{"Name": "Src", "ActionTypeId": {"Category": "Source", "Owner": "AWS",
                                                                          "Provider": "CodeCommit", "Version": "1"}}]}]
    api = [{"name": "Source", "actions": [{"name": "Src", "actionTypeId": {"category": "Source", "owner": "AWS",
                                                                           "provider": "CodeCommit", "version": "1"}}]}]
    assert _actions(cfn, cfn=True) == _actions(api, cfn=False) == ["Source/Src: Source/AWS/CodeCommit"]


class _S3:
    def __init__(self, objects):
        self.objects = objects

    def get_object(self, Bucket, Key):
        import io

        return {"Body": io.BytesIO(self.objects[(Bucket, Key)])}


class _ReadBack:
    def __init__(self, objects):
        self.s3 = _S3(objects)

    def client(self, name):
        return self.s3


def test_service_catalog_templates_are_fetched_from_s3_urls_of_both_styles():
    from secure_mlops.provision.readback.servicecatalog import _fetch

    r = _ReadBack({("b", "env/1/env.yaml"): b"A", ("b2", "k"): b"B"})
    assert _fetch(r, "https://b.s3.us-east-1.amazonaws.com/env/1/env.yaml") == b"A"
    assert _fetch(r, "http://127.0.0.1:5000/b/env/1/env.yaml") == b"A"
    assert _fetch(r, "https://s3.amazonaws.com/b2/k") == b"B"
