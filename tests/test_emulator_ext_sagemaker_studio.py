"""SageMaker Studio domains and user profiles on the emulator: API and CloudFormation."""

import json

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.emulator

ROLE = "arn:aws:iam::123456789012:role/studio-exec"


@pytest.fixture
def network(aws):
    ec2, kms = aws.client("ec2"), aws.client("kms")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(VpcId=vpc, GroupName="studio", Description="studio")["GroupId"]
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    return {"vpc": vpc, "subnet": subnet, "sg": sg, "key": key}


def domain_args(network, **extra):
    args = dict(DomainName="studio", AuthMode="IAM", AppNetworkAccessType="VpcOnly", VpcId=network["vpc"],
                SubnetIds=[network["subnet"]], KmsKeyId=network["key"],
                DefaultUserSettings={"ExecutionRole": ROLE, "SecurityGroups": [network["sg"]]})
    args.update(extra)
    return args


def code(exc):
    return exc.value.response["Error"]["Code"]


def test_domain_is_created_with_aws_ids_and_read_back(aws, network):
    sm = aws.client("sagemaker")
    created = sm.create_domain(**domain_args(network), Tags=[{"Key": "team", "Value": "ds"}])
    arn, domain_id = created["DomainArn"], created["DomainId"]
    assert arn.endswith(f"domain/{domain_id}")
    assert domain_id.startswith("d-") and len(domain_id) == 14
    d = sm.describe_domain(DomainId=domain_id)
    assert d["AppNetworkAccessType"] == "VpcOnly" and d["KmsKeyId"] == network["key"]
    assert d["DefaultUserSettings"]["SecurityGroups"] == [network["sg"]]
    assert d["HomeEfsFileSystemId"].startswith("fs-") and d["Url"].startswith(f"https://{domain_id}.studio.")
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ds"}]


@pytest.mark.parametrize("bad, message", [
    ({"AuthMode": "SAML"}, "enum value set: [SSO, IAM]"),
    ({"AppNetworkAccessType": "Private"}, "PublicInternetOnly, VpcOnly"),
    ({"VpcId": "vpc-0123456789abcdef0"}, "does not exist"),
    ({"KmsKeyId": "alias/missing"}, "KMS key"),
    ({"DefaultUserSettings": {"ExecutionRole": "arn:aws:iam::123456789012:user/not-a-role"}}, "executionRole"),
])
def test_create_domain_is_validated_as_sagemaker_does(aws, network, bad, message):
    with pytest.raises(ClientError, match=message.replace("[", r"\[").replace("]", r"\]")) as exc:
        aws.client("sagemaker").create_domain(**domain_args(network, **bad))
    assert code(exc) == "ValidationException"


def test_subnets_and_groups_must_belong_to_the_domain_vpc(aws, network):
    other = aws.client("ec2").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    with pytest.raises(ClientError, match="is not in VPC"):
        aws.client("sagemaker").create_domain(**domain_args(network, VpcId=other))


def test_update_domain_changes_network_access_and_default_settings(aws, network):
    sm = aws.client("sagemaker")
    domain_id = sm.create_domain(**domain_args(network))["DomainArn"].rsplit("/", 1)[1]
    sm.update_domain(DomainId=domain_id, AppNetworkAccessType="PublicInternetOnly",
                     DefaultUserSettings={"SecurityGroups": []})
    d = sm.describe_domain(DomainId=domain_id)
    assert d["AppNetworkAccessType"] == "PublicInternetOnly"
    assert d["DefaultUserSettings"] == {"ExecutionRole": ROLE, "SecurityGroups": []}
    with pytest.raises(ClientError) as exc:
        sm.update_domain(DomainId="d-000000000000", AppNetworkAccessType="VpcOnly")
    assert code(exc) == "ResourceNotFound"


def test_user_profiles_lifecycle(aws, network):
    sm = aws.client("sagemaker")
    domain_id = sm.create_domain(**domain_args(network))["DomainArn"].rsplit("/", 1)[1]
    arn = sm.create_user_profile(DomainId=domain_id, UserProfileName="alice",
                                 Tags=[{"Key": "owner", "Value": "alice"}],
                                 UserSettings={"ExecutionRole": ROLE})["UserProfileArn"]
    assert arn.endswith(f"user-profile/{domain_id}/alice")
    p = sm.describe_user_profile(DomainId=domain_id, UserProfileName="alice")
    assert p["Status"] == "InService" and p["UserSettings"] == {"ExecutionRole": ROLE}
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "owner", "Value": "alice"}]
    with pytest.raises(ClientError) as exc:
        sm.create_user_profile(DomainId=domain_id, UserProfileName="alice")
    assert code(exc) == "ResourceInUse"
    sm.create_user_profile(DomainId=domain_id, UserProfileName="bob")
    listed = sm.list_user_profiles(DomainIdEquals=domain_id, SortBy="CreationTime", SortOrder="Ascending")
    assert [u["UserProfileName"] for u in listed["UserProfiles"]] == ["alice", "bob"]
    sm.update_user_profile(DomainId=domain_id, UserProfileName="alice",
                           UserSettings={"SecurityGroups": [network["sg"]]})
    assert sm.describe_user_profile(DomainId=domain_id, UserProfileName="alice")["UserSettings"] == {
        "ExecutionRole": ROLE, "SecurityGroups": [network["sg"]]}
    with pytest.raises(ClientError) as exc:
        sm.delete_domain(DomainId=domain_id)
    assert code(exc) == "ResourceInUse"
    for name in ("alice", "bob"):
        sm.delete_user_profile(DomainId=domain_id, UserProfileName=name)
    with pytest.raises(ClientError) as exc:
        sm.describe_user_profile(DomainId=domain_id, UserProfileName="alice")
    assert code(exc) == "ResourceNotFound"
    sm.delete_domain(DomainId=domain_id)
    assert sm.list_domains()["Domains"] == []


def test_user_profile_needs_an_existing_domain(aws):
    with pytest.raises(ClientError) as exc:
        aws.client("sagemaker").create_user_profile(DomainId="d-000000000000", UserProfileName="x")
    assert code(exc) == "ResourceNotFound"


STACK = {
    "Parameters": {"Access": {"Type": "String", "Default": "VpcOnly"}, "Team": {"Type": "String", "Default": "ds"}},
    "Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24"}},
        "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"VpcId": {"Ref": "Vpc"}, "GroupDescription": "studio"}},
        "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
        "Studio": {"Type": "AWS::SageMaker::Domain", "Properties": {
            "DomainName": "studio", "AuthMode": "IAM", "AppNetworkAccessType": {"Ref": "Access"},
            "KmsKeyId": {"Ref": "Key"}, "VpcId": {"Ref": "Vpc"}, "SubnetIds": [{"Ref": "Subnet"}],
            "DefaultUserSettings": {"ExecutionRole": ROLE, "SecurityGroups": [{"Ref": "Sg"}]},
            "Tags": [{"Key": "team", "Value": {"Ref": "Team"}}]}},
        "Alice": {"Type": "AWS::SageMaker::UserProfile", "Properties": {
            "DomainId": {"Fn::GetAtt": ["Studio", "DomainId"]}, "UserProfileName": "alice",
            "Tags": [{"Key": "owner", "Value": "alice"}]}},
    },
    "Outputs": {"DomainId": {"Value": {"Fn::GetAtt": ["Studio", "DomainId"]}},
                "Url": {"Value": {"Fn::GetAtt": ["Studio", "Url"]}},
                "ProfileArn": {"Value": {"Fn::GetAtt": ["Alice", "UserProfileArn"]}}},
}


def outputs(cfn, name):
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return stack["StackStatus"], {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}


def test_domain_and_profile_through_cloudformation(aws):
    cfn, sm = aws.client("cloudformation"), aws.client("sagemaker")
    cfn.create_stack(StackName="studio", TemplateBody=json.dumps(STACK), Tags=[{"Key": "environment", "Value": "dev"}])
    status, out = outputs(cfn, "studio")
    assert status == "CREATE_COMPLETE"
    resources = {r["LogicalResourceId"]: r["PhysicalResourceId"]
                 for r in cfn.describe_stack_resources(StackName="studio")["StackResources"]}
    assert resources["Studio"] == out["DomainId"]
    d = sm.describe_domain(DomainId=out["DomainId"])
    assert d["AppNetworkAccessType"] == "VpcOnly" and d["Url"] == out["Url"]
    assert {"Key": "team", "Value": "ds"} in sm.list_tags(ResourceArn=d["DomainArn"])["Tags"]
    profile = sm.describe_user_profile(DomainId=out["DomainId"], UserProfileName="alice")
    assert profile["UserProfileArn"] == out["ProfileArn"]

    cfn.update_stack(StackName="studio", TemplateBody=json.dumps(STACK),
                     Parameters=[{"ParameterKey": "Access", "ParameterValue": "PublicInternetOnly"},
                                 {"ParameterKey": "Team", "ParameterValue": "ml"}],
                     Tags=[{"Key": "environment", "Value": "prod"}])
    assert outputs(cfn, "studio")[0] == "UPDATE_COMPLETE"
    d = sm.describe_domain(DomainId=out["DomainId"])  # updated in place: same domain
    assert d["AppNetworkAccessType"] == "PublicInternetOnly"
    tags = sm.list_tags(ResourceArn=d["DomainArn"])["Tags"]
    assert {"Key": "team", "Value": "ml"} in tags and {"Key": "team", "Value": "ds"} not in tags
    assert {"Key": "environment", "Value": "prod"} in tags  # stack tags follow the stack

    cfn.delete_stack(StackName="studio")
    assert sm.list_domains()["Domains"] == [] and sm.list_user_profiles()["UserProfiles"] == []


def test_invalid_domain_template_fails_the_resource(aws):
    cfn = aws.client("cloudformation")
    bad = json.loads(json.dumps(STACK))
    bad["Resources"]["Studio"]["Properties"]["AuthMode"] = "SAML"
    del bad["Resources"]["Alice"], bad["Outputs"]
    cfn.create_stack(StackName="bad-studio", TemplateBody=json.dumps(bad))
    events = cfn.describe_stack_events(StackName="bad-studio")["StackEvents"]
    failed = [e for e in events if e["LogicalResourceId"] == "Studio" and e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed and "AuthMode" in failed[0]["ResourceStatusReason"]
    assert aws.client("sagemaker").list_domains()["Domains"] == []


# --------------------------------------------------------------------------- home directories (EFS)


def nfs_groups(ec2, vpc, domain_id):
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
    return {g["GroupName"]: g for g in groups if g["GroupName"].endswith(f"-nfs-{domain_id}")}


def test_a_domain_creates_its_home_efs_and_keeps_it_when_deleted(aws, network):
    sm, efs, ec2 = aws.client("sagemaker"), aws.client("efs"), aws.client("ec2")
    zone = ec2.describe_subnets(SubnetIds=[network["subnet"]])["Subnets"][0]["AvailabilityZone"]
    other_zone = "us-east-1c" if zone != "us-east-1c" else "us-east-1d"
    second = ec2.create_subnet(VpcId=network["vpc"], CidrBlock="10.0.2.0/24",
                               AvailabilityZone=other_zone)["Subnet"]["SubnetId"]
    same_zone = ec2.create_subnet(VpcId=network["vpc"], CidrBlock="10.0.3.0/24",
                                  AvailabilityZone=other_zone)["Subnet"]["SubnetId"]
    created = sm.create_domain(**domain_args(network, SubnetIds=[network["subnet"], second, same_zone]))
    domain_id, arn = created["DomainId"], created["DomainArn"]
    fs_id = sm.describe_domain(DomainId=domain_id)["HomeEfsFileSystemId"]
    fs = efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]
    key_arn = aws.client("kms").describe_key(KeyId=network["key"])["KeyMetadata"]["Arn"]
    assert fs["Encrypted"] is True and fs["KmsKeyId"] == key_arn  # the domain's key
    assert {"Key": "ManagedByAmazonSageMakerResource", "Value": arn} in fs["Tags"]
    groups = nfs_groups(ec2, network["vpc"], domain_id)
    inbound, outbound = groups[f"security-group-for-inbound-nfs-{domain_id}"], groups[f"security-group-for-outbound-nfs-{domain_id}"]
    assert {(r["FromPort"], r["ToPort"]) for r in inbound["IpPermissions"]} >= {(2049, 2049)}
    assert all(r["UserIdGroupPairs"][0]["GroupId"] == outbound["GroupId"] for r in inbound["IpPermissions"])
    assert inbound["IpPermissionsEgress"] == [] and outbound["IpPermissions"] == []
    assert all(r["UserIdGroupPairs"][0]["GroupId"] == inbound["GroupId"] for r in outbound["IpPermissionsEgress"])
    targets = efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"]
    assert {t["SubnetId"] for t in targets} == {network["subnet"], second}  # one per availability zone
    for t in targets:
        assert efs.describe_mount_target_security_groups(MountTargetId=t["MountTargetId"])["SecurityGroups"] == [
            inbound["GroupId"]]

    sm.delete_domain(DomainId=domain_id)  # RetentionPolicy defaults to Retain: the home directories stay
    assert efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]["NumberOfMountTargets"] == 2
    assert set(nfs_groups(ec2, network["vpc"], domain_id)) == set(groups)
    with pytest.raises(ClientError, match="has dependencies") as exc:  # mounted there
        ec2.delete_subnet(SubnetId=second)
    assert code(exc) == "DependencyViolation"


def test_a_domain_without_a_key_uses_the_aws_managed_efs_key_and_delete_can_remove_the_data(aws, network):
    sm, efs, kms = aws.client("sagemaker"), aws.client("efs"), aws.client("kms")
    args = domain_args(network)
    del args["KmsKeyId"]
    domain_id = sm.create_domain(**args)["DomainId"]
    fs_id = sm.describe_domain(DomainId=domain_id)["HomeEfsFileSystemId"]
    managed = kms.describe_key(KeyId="alias/aws/elasticfilesystem")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    assert efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]["KmsKeyId"] == managed["Arn"]
    with pytest.raises(ClientError, match="Retain, Delete"):
        sm.delete_domain(DomainId=domain_id, RetentionPolicy={"HomeEfsFileSystem": "Drop"})
    sm.delete_domain(DomainId=domain_id, RetentionPolicy={"HomeEfsFileSystem": "Delete"})
    with pytest.raises(ClientError) as exc:
        efs.describe_file_systems(FileSystemId=fs_id)
    assert code(exc) == "FileSystemNotFound"
    aws.client("ec2").delete_subnet(SubnetId=network["subnet"])  # nothing mounted there any more


def test_a_domain_stack_leaves_the_home_efs_and_its_subnets_behind(aws, network):
    """CloudFormation deletes the domain with the API's default retention: the VPC stack cannot
    delete the subnets the file system is mounted in (AWS: DependencyViolation)."""
    cf, efs = aws.client("cloudformation"), aws.client("efs")
    tpl = {"Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.9.0.0/16"}},
        "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.9.1.0/24",
                                                              "AvailabilityZone": "us-east-1a"}},
        "Domain": {"Type": "AWS::SageMaker::Domain", "Properties": {
            "DomainName": "stacked", "AuthMode": "IAM", "AppNetworkAccessType": "VpcOnly",
            "VpcId": {"Ref": "Vpc"}, "SubnetIds": [{"Ref": "Subnet"}], "DefaultUserSettings": {"ExecutionRole": ROLE}}},
    }, "Outputs": {"Efs": {"Value": {"Fn::GetAtt": ["Domain", "HomeEfsFileSystemId"]}}}}
    cf.create_stack(StackName="studio", TemplateBody=json.dumps(tpl))
    stack = cf.describe_stacks(StackName="studio")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    fs_id = stack["Outputs"][0]["OutputValue"]
    cf.delete_stack(StackName="studio")
    stack = cf.describe_stacks(StackName="studio")["Stacks"][0]
    assert stack["StackStatus"] == "DELETE_FAILED"
    failed = {e["LogicalResourceId"]: e["ResourceStatusReason"] for e in cf.describe_stack_events(StackName="studio")["StackEvents"]
              if e["ResourceStatus"] == "DELETE_FAILED" and e["LogicalResourceId"] != "studio"}
    assert set(failed) == {"Subnet"} and "(HandlerErrorCode: DependencyViolation)" in failed["Subnet"]
    cf.delete_stack(StackName="studio", RetainResources=["Subnet"])
    assert cf.describe_stacks(StackName="studio")["Stacks"][0]["StackStatus"] == "DELETE_FAILED"  # now the VPC
    cf.delete_stack(StackName="studio", RetainResources=["Vpc"])
    assert [s["StackName"] for s in cf.describe_stacks()["Stacks"]] == []
    assert efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]["NumberOfMountTargets"] == 1
