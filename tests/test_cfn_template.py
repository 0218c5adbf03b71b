"""The one template loader (secure_mlops/cfn_template.py) and the template-language facts the
resolvers share: every reader of templates gets the same data from the same text."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from secure_mlops.cfn_template import (
    NotATemplate,
    TemplateParseError,
    cidr,
    load_yaml_text,
    long_form,
    parse,
    sub_variables,
    substitute,
)

SHORT_FORMS = textwrap.dedent("""\
    AWSTemplateFormatVersion: 2010-09-09
    Parameters:
      Stage: {Type: String, Default: dev}
    Mappings:
      Sizes: {80: {dev: small}}
    Conditions:
      IsProd: !Equals [!Ref Stage, prod]
      IsDev: !Not [!Condition IsProd]
    Resources:
      Child:
        Type: AWS::CloudFormation::Stack
        Properties: {TemplateURL: https://example.com/child.yaml}
      Param:
        Type: AWS::SSM::Parameter
        Condition: IsDev
        Properties:
          Type: String
          Name: !Sub "/${Stage}/${!Literal}"
          Value: !If [IsDev, !GetAtt Child.Outputs.Name, !FindInMap [Sizes, 80, dev]]
          Tags: !Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}
    """)


def test_short_forms_read_as_cloudformation_reads_them():
    data = parse(SHORT_FORMS)
    assert data["AWSTemplateFormatVersion"] == "2010-09-09"  # a date stays a string
    assert data["Conditions"]["IsDev"] == {"Fn::Not": [{"Condition": "IsProd"}]}  # not Fn::Condition
    props = data["Resources"]["Param"]["Properties"]
    assert props["Name"] == {"Fn::Sub": "/${Stage}/${!Literal}"}
    # !GetAtt splits at the first dot only; a mapping key 80 is the name "80"
    assert props["Value"] == {"Fn::If": ["IsDev", {"Fn::GetAtt": ["Child", "Outputs.Name"]},
                                         {"Fn::FindInMap": ["Sizes", 80, "dev"]}]}
    assert list(data["Mappings"]["Sizes"]) == ["80"]
    assert props["Tags"] == {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}}
    # the gate's loader (with positions) reads the same data
    assert load_yaml_text(SHORT_FORMS, Path("t.yaml")).data == data


def test_json_bodies_and_parsed_mappings_are_templates_too():
    template = {"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}
    assert parse(json.dumps(template)) == template
    assert parse(template) is template  # boto3 returns JSON bodies already parsed
    assert parse(json.dumps(template).encode()) == template


@pytest.mark.parametrize("body, message", [
    ("Resources:\n  A: !Bogus x\n", "unknown tag !Bogus"),
    ("Resources:\n  A: !Ref [x]\n", "!Ref takes a scalar"),
    ("Conditions:\n  A: !Not [!Condition [x]]\nResources: {}\n", "!Condition takes a scalar"),
    ("Resources:\n  A: !GetAtt NoDot\n", "expected Resource.Attribute"),
    ("Resources:\n  A: {Type: X}\n  A: {Type: Y}\n", "duplicate key 'A'"),
    ("Resources: [unclosed\n", "not valid YAML"),
])
def test_bad_templates_name_the_line(body, message):
    with pytest.raises(TemplateParseError, match=message.replace("[", r"\[")) as exc:
        parse(body, "bad.yaml")
    assert exc.value.line >= 1 and str(exc.value).startswith("bad.yaml:")


@pytest.mark.parametrize("body", ["just: text\n", "[]\n", "Resources: [a]\n", ""])
def test_a_body_without_resources_is_not_a_template(body):
    with pytest.raises(NotATemplate, match="no Resources mapping"):
        parse(body)


def test_long_form_is_the_one_tag_table():
    assert long_form("!Ref", "X") == {"Ref": "X"}
    assert long_form("!Condition", "C") == {"Condition": "C"}
    assert long_form("!GetAtt", "A.B.C") == {"Fn::GetAtt": ["A", "B.C"]}
    assert long_form("!GetAtt", ["A", "B"]) == {"Fn::GetAtt": ["A", "B"]}
    assert long_form("!Select", [0, ["a"]]) == {"Fn::Select": [0, ["a"]]}
    with pytest.raises(ValueError, match="unknown tag !Fn"):
        long_form("!Fn", "x")


def test_sub_substitutes_names_and_keeps_literals():
    assert substitute("${A}-${!B}-${ C }", lambda name: f"<{name}>") == "<A>-${B}-< C >"
    assert sub_variables("${A}-${!B}-${X.Arn}-${}") == ["A", "X.Arn"]


def test_cidr_makes_the_blocks_or_says_why_not():
    assert cidr("10.0.0.0/16", 2, 8) == ["10.0.0.0/24", "10.0.1.0/24"]
    assert cidr("10.0.0.0/16", "3", "12") == ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"]
    with pytest.raises(ValueError, match="cannot make 3 subnets of /24 in 10.0.0.0/23"):
        cidr("10.0.0.0/23", 3, 8)
    with pytest.raises(ValueError):
        cidr("not-a-block", 1, 8)
