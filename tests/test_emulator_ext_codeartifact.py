"""CodeArtifact on the emulator (moto has no backend for it): API and CloudFormation."""

import json

import pytest
from botocore.exceptions import ClientError
from helpers import create_stack

pytestmark = pytest.mark.emulator


def code(exc):
    return exc.value.response["Error"]["Code"]


def test_domains_repositories_and_external_connections(aws):
    ca, kms = aws.client("codeartifact"), aws.client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    domain = ca.create_domain(domain="team", encryptionKey=key, tags=[{"key": "team", "value": "ds"}])["domain"]
    assert domain["encryptionKey"] == key and domain["status"] == "Active"
    assert ca.create_domain(domain="other")["domain"]["encryptionKey"].startswith("arn:aws:kms:")  # aws/codeartifact
    with pytest.raises(ClientError) as exc:
        ca.create_domain(domain="team")
    assert code(exc) == "ConflictException"
    repo = ca.create_repository(domain="team", repository="pypi", description="mirror")["repository"]
    assert repo["arn"].endswith(":repository/team/pypi") and repo["externalConnections"] == []
    ca.associate_external_connection(domain="team", repository="pypi", externalConnection="public:pypi")
    with pytest.raises(ClientError) as exc:
        ca.associate_external_connection(domain="team", repository="pypi", externalConnection="public:npmjs")
    assert code(exc) == "ServiceQuotaExceededException"
    described = ca.describe_repository(domain="team", repository="pypi")["repository"]
    assert described["externalConnections"] == [
        {"externalConnectionName": "public:pypi", "packageFormat": "pypi", "status": "Available"}]
    ca.create_repository(domain="team", repository="internal", upstreams=[{"repositoryName": "pypi"}])
    assert sorted(r["name"] for r in ca.list_repositories_in_domain(domain="team")["repositories"]) == ["internal", "pypi"]
    assert ca.list_tags_for_resource(resourceArn=domain["arn"])["tags"] == [{"key": "team", "value": "ds"}]
    assert ca.get_repository_endpoint(domain="team", repository="pypi", format="pypi")["repositoryEndpoint"].endswith("/pypi/pypi/")

    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                                  "Action": "codeartifact:ReadFromRepository", "Resource": "*"}]})
    put = ca.put_repository_permissions_policy(domain="team", repository="pypi", policyDocument=policy)["policy"]
    assert ca.get_repository_permissions_policy(domain="team", repository="pypi")["policy"]["revision"] == put["revision"]

    for call in (lambda: ca.delete_domain(domain="team"), lambda: ca.delete_repository(domain="team", repository="pypi")):
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == "ConflictException"  # repositories left / pypi is an upstream
    ca.delete_repository(domain="team", repository="internal")
    ca.delete_repository(domain="team", repository="pypi")
    ca.delete_domain(domain="team")
    with pytest.raises(ClientError) as exc:
        ca.describe_domain(domain="team")
    assert code(exc) == "ResourceNotFoundException"


def template(description):
    return json.dumps({"Resources": {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
        "Domain": {"Type": "AWS::CodeArtifact::Domain", "Properties": {
            "DomainName": "env", "EncryptionKey": {"Fn::GetAtt": ["Key", "Arn"]}, "Tags": [{"Key": "team", "Value": "ds"}]}},
        "Pypi": {"Type": "AWS::CodeArtifact::Repository", "Properties": {
            "DomainName": {"Fn::GetAtt": ["Domain", "Name"]}, "RepositoryName": "pypi", "Description": description,
            "ExternalConnections": ["public:pypi"]}},
    }, "Outputs": {"Domain": {"Value": {"Ref": "Domain"}}, "Repo": {"Value": {"Fn::GetAtt": ["Pypi", "Arn"]}}}})


def test_domain_and_repository_through_cloudformation(aws):
    cfn, ca = aws.client("cloudformation"), aws.client("codeartifact")
    out = create_stack(cfn, "mirror", template("v1"))
    assert out["Domain"] == ca.describe_domain(domain="env")["domain"]["arn"]
    repo = ca.describe_repository(domain="env", repository="pypi")["repository"]
    assert repo["arn"] == out["Repo"] and repo["externalConnections"][0]["externalConnectionName"] == "public:pypi"
    cfn.update_stack(StackName="mirror", TemplateBody=template("v2"))
    assert ca.describe_repository(domain="env", repository="pypi")["repository"]["description"] == "v2"
    cfn.delete_stack(StackName="mirror")
    assert ca.list_domains()["domains"] == []
