"""The CloudFormation engine's static parts, without an emulator: template analysis, the
registry schemas it relies on, and the allow-list of deployable types."""

from __future__ import annotations

import pytest

from secure_mlops.provision.emulator.extensions import cfn_lifecycle, cfn_schema, cfn_template
from secure_mlops.provision.emulator.extensions.cfn_template import TemplateError


def test_references_cover_ref_getatt_sub_and_skip_pseudo_and_literals():
    refs, atts = cfn_template.references({
        "A": {"Ref": "Vpc"},
        "B": {"Fn::GetAtt": "Role.Arn"},
        "C": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/${!Literal}/${Key.Arn}"},
        "D": {"Fn::Sub": ["${Local}-${Other}", {"Local": {"Ref": "Param"}}]},
    })
    assert refs == {"Vpc", "AWS::Partition", "Bucket", "Param", "Other"}
    assert sorted(atts) == [("Key", "Arn"), ("Role", "Arn")]


def test_creation_order_follows_dependencies_then_template_order():
    resources = {
        "Assoc": {"Type": "T", "Properties": {"S": {"Ref": "Subnet"}}},
        "Subnet": {"Type": "T", "Properties": {"V": {"Fn::GetAtt": ["Vpc", "VpcId"]}}},
        "Later": {"Type": "T", "DependsOn": ["Assoc"]},
        "Vpc": {"Type": "T"},
    }
    assert cfn_template.creation_order(resources) == ["Vpc", "Subnet", "Assoc", "Later"]
    assert cfn_template.deletion_order(resources, ["Vpc", "Assoc", "Subnet"]) == ["Assoc", "Subnet", "Vpc"]
    with pytest.raises(TemplateError, match=r"Circular dependency between resources: \[A, B\]"):
        cfn_template.creation_order({"A": {"Type": "T", "DependsOn": "B"}, "B": {"Type": "T", "DependsOn": "A"}})


@pytest.mark.parametrize("template, message", [
    ({}, "At least one Resources member must be defined"),
    ({"Resources": {"X": {"Properties": {}}}}, "Every Resources object must contain a Type member"),
    ({"Resources": {"X": {"Type": "AWS::Nope::Thing"}}}, r"Unrecognized resource types: \[AWS::Nope::Thing\]"),
    ({"Resources": {"X": {"Type": "AWS::EC2::VPC", "DependsOn": "Y"}}}, r"Unresolved resource dependencies \[Y\]"),
    ({"Resources": {"X": {"Type": "AWS::EC2::VPC"}}, "Outputs": {"O": {"Value": {"Fn::GetAtt": ["X", "Nope"]}}}},
     "resource X does not support attribute type Nope in Fn::GetAtt"),
    ({"Resources": {"X": {"Type": "AWS::EC2::VPC"}}, "Conditions": {"C": {"Fn::Equals": [{"Ref": "X"}, "a"]}}},
     "Cannot reference resources in the Conditions block"),
    ({"Transform": "AWS::Serverless-2016-10-31", "Resources": {"X": {"Type": "AWS::EC2::VPC"}}},
     "not supported by the embedded emulator"),
])
def test_template_errors_use_aws_wording(template, message):
    with pytest.raises(TemplateError, match=message):
        cfn_template.validate(template)


def test_getatt_of_any_attribute_aws_documents_is_valid():
    cfn_template.validate({"Resources": {"S": {"Type": "AWS::EC2::Subnet"}, "C": {"Type": "AWS::CloudFormation::Stack"}},
                           "Outputs": {"Z": {"Value": {"Fn::GetAtt": ["S", "AvailabilityZoneId"]}},
                                       "N": {"Value": {"Fn::GetAtt": ["C", "Outputs.Anything"]}}}})
    with pytest.raises(TemplateError, match="does not support attribute type Colour in Fn::GetAtt"):
        cfn_template.validate({"Resources": {"S": {"Type": "AWS::EC2::Subnet"}},
                               "Outputs": {"Z": {"Value": {"Fn::GetAtt": ["S", "Colour"]}}}})


def test_parameter_checks():
    template = {"Parameters": {
        "Cidr": {"Type": "String", "AllowedPattern": r"\d+\.\d+\.\d+\.\d+/\d+", "ConstraintDescription": "a CIDR"},
        "Count": {"Type": "Number", "MinValue": 2, "Default": 2},
        "Vpc": {"Type": "AWS::EC2::VPC::Id", "Default": "vpc-1"},
    }}
    cfn_template.validate_parameters(template, {"Cidr": "10.0.0.0/16"}, lambda kind, value: True)
    with pytest.raises(TemplateError, match="Parameter 'Cidr' failed to satisfy constraint: a CIDR"):
        cfn_template.validate_parameters(template, {"Cidr": "ten"}, None)
    with pytest.raises(TemplateError, match="Parameter 'Count' must be a number not less than 2"):
        cfn_template.validate_parameters(template, {"Cidr": "10.0.0.0/16", "Count": "1"}, None)
    with pytest.raises(TemplateError, match="parameter value vpc-1 for parameter name Vpc does not exist"):
        cfn_template.validate_parameters(template, {"Cidr": "10.0.0.0/16"}, lambda kind, value: False)


def test_capabilities():
    role = {"Type": "AWS::IAM::Role", "Properties": {}}
    assert cfn_template.required_capabilities({"Resources": {"R": role}}) == ["CAPABILITY_IAM"]
    named = {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "x"}}
    assert cfn_template.required_capabilities({"Resources": {"R": role, "N": named}}) == ["CAPABILITY_NAMED_IAM"]
    cfn_template.check_capabilities({"Resources": {"R": role}}, ["CAPABILITY_NAMED_IAM"])
    with pytest.raises(cfn_template.CapabilitiesError, match=r"Requires capabilities : \[CAPABILITY_NAMED_IAM\]"):
        cfn_template.check_capabilities({"Resources": {"N": named}}, ["CAPABILITY_IAM"])


def test_replacement_comes_from_create_only_properties():
    assert cfn_schema.requires_recreation("AWS::EC2::Subnet", "CidrBlock") == "Always"
    assert cfn_schema.requires_recreation("AWS::EC2::Subnet", "Tags") == "Never"
    assert cfn_schema.replacement_needed("AWS::EC2::Subnet", "CidrBlock", "10.0.1.0/24", "10.0.2.0/24")
    assert not cfn_schema.replacement_needed("AWS::Logs::LogGroup", "RetentionInDays", 7, 30)
    assert cfn_schema.property_problem("AWS::EC2::RouteTable", {}) == "#: required key [VpcId] not found"
    assert cfn_schema.property_problem("AWS::EC2::RouteTable", {"VpcId": "v", "Colour": 1}) == (
        "#: extraneous key [Colour] is not permitted")


def test_every_allowed_moto_type_is_an_aws_type_with_a_handler_and_a_delete_path():
    from moto.cloudformation import parsing

    from secure_mlops.provision.emulator.extensions import load

    load()  # the delete paths the emulator serves with (extensions override some of moto's)
    model_map = parsing.get_model_map()
    for resource_type in sorted(cfn_lifecycle.MOTO_TYPES):
        assert cfn_schema.is_known_type(resource_type), resource_type
        cls = model_map[resource_type]
        instance_delete = getattr(cls, "delete", None)
        class_delete = getattr(cls, "delete_from_cloudformation_json", None)
        has_delete = (resource_type in cfn_lifecycle.DELETERS or instance_delete is not None
                      or (class_delete is not None and not getattr(class_delete, "__isabstractmethod__", False)))
        # (SecurityGroupIngress, SecurityGroup and nested stacks get theirs when installed)
        assert has_delete or resource_type in {"AWS::EC2::SecurityGroupIngress", "AWS::CloudFormation::Stack"}, resource_type


def test_unsupported_types_are_refused():
    with pytest.raises(cfn_lifecycle.EmulatorGap, match="Unsupported resource type AWS::DynamoDB::Table"):
        cfn_lifecycle.handler_class("AWS::DynamoDB::Table")
    with pytest.raises(cfn_lifecycle.EmulatorGap, match="custom resources"):
        cfn_lifecycle.handler_class("Custom::Anything")
