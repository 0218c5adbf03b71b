"""The SageMaker projects launch role carries what the MLOps project templates need, and no more.

Service Catalog launches the project templates with AmazonSageMakerServiceCatalogProductsLaunchRole
(core.yaml). Its inline policy is checked against the templates themselves: every resource they
declare, named as a launch names it, must be creatable, updatable and deletable (the calls
CloudFormation makes, a subset of the registry schema's handler permissions), and every action the
policy grants must be one those handlers (or the launch itself) use. The emulator does not
evaluate identity policies, so this is where the policy is proven.
"""

from __future__ import annotations

import fnmatch
import re

import pytest

from secure_mlops.provision.stacks import template_path
from secure_mlops.provision.templatefile import load
from secure_mlops.seed_code.package import PROJECT_TEMPLATES

ACCOUNT, REGION = "123456789012", "eu-west-1"
PROJECT = {"SageMakerProjectName": "abalone", "SageMakerProjectId": "p-0a1b2c3d4e5f", "AWS::Region": REGION,
           "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws"}
USE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/AmazonSageMakerServiceCatalogProductsUseRole"

#: the calls CloudFormation makes for what the templates declare (create, tag, update, delete, read)
NEEDED = {
    "AWS::S3::Bucket": {"s3:CreateBucket", "s3:PutEncryptionConfiguration", "s3:PutBucketPublicAccessBlock",
                        "s3:PutBucketVersioning", "s3:PutBucketLogging", "s3:PutBucketTagging"},
    "AWS::S3::BucketPolicy": {"s3:PutBucketPolicy", "s3:GetBucketPolicy"},
    "AWS::CodeCommit::Repository": {"codecommit:CreateRepository", "codecommit:CreateCommit",
                                    "codecommit:TagResource", "codecommit:GetRepository"},
    "AWS::CodeBuild::Project": {"codebuild:CreateProject", "codebuild:UpdateProject", "codebuild:DeleteProject",
                                "codebuild:BatchGetProjects"},
    "AWS::CodePipeline::Pipeline": {"codepipeline:CreatePipeline", "codepipeline:GetPipeline",
                                    "codepipeline:UpdatePipeline", "codepipeline:DeletePipeline",
                                    "codepipeline:TagResource"},
    "AWS::Events::Rule": {"events:PutRule", "events:PutTargets", "events:DescribeRule", "events:RemoveTargets",
                          "events:DeleteRule"},
}
#: the CodeBuild registry schema lists no handler permissions; these are CodeBuild's own API calls
CODEBUILD_API = NEEDED["AWS::CodeBuild::Project"]
#: what launching needs beyond the resources: the stack itself, Service Catalog's template copy and
#: the seed archive (objects tagged for provisioning), SSM-typed parameters, the keys of the seed
#: archive (S3) and of the repositories (CodeCommit)
LAUNCH = {"cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:DeleteStack",
          "cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents", "cloudformation:SetStackPolicy",
          "cloudformation:TagResource", "cloudformation:UntagResource", "cloudformation:GetTemplateSummary",
          "cloudformation:ValidateTemplate", "ssm:GetParameters", "kms:DescribeKey", "kms:Encrypt", "kms:Decrypt",
          "kms:GenerateDataKey", "s3:GetObject", "s3:GetObjectVersion"}
#: the project's data outlives the project: no right to delete it
NEVER = {"s3:DeleteBucket", "s3:DeleteObject", "s3:DeleteBucketPolicy", "codecommit:DeleteRepository"}
#: actions AWS does not scope to a resource
UNSCOPED = {"cloudformation:GetTemplateSummary", "cloudformation:ValidateTemplate", "codecommit:ListRepositories"}


def _sub(text: str) -> str:
    return re.sub(r"\$\{([^}]+)\}", lambda m: PROJECT.get(m.group(1), m.group(0)), text)


def _value(node):
    if isinstance(node, dict) and "Fn::Sub" in node:
        return _sub(node["Fn::Sub"])
    if isinstance(node, list):
        return [_value(n) for n in node]
    if isinstance(node, dict):
        return {k: _value(v) for k, v in node.items()}
    return node


@pytest.fixture(scope="module")
def statements() -> list[dict]:
    _, core = load(template_path("core"))
    role = core["Resources"]["SageMakerProductsLaunchRole"]["Properties"]
    assert "ManagedPolicyArns" not in role  # not AWS's policy for every SageMaker template
    [policy] = role["Policies"]
    out = []
    for st in policy["PolicyDocument"]["Statement"]:
        st = _value(st)
        st["Action"] = [st["Action"]] if isinstance(st["Action"], str) else st["Action"]
        st["Resource"] = [st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"]
        out.append(st)
    return out


def _registry_permissions(resource_type: str) -> set[str]:
    from secure_mlops.provision.emulator.extensions.cfn_schema import _schema

    handlers = (_schema(resource_type) or {}).get("handlers", {})
    return {p for h in ("create", "read", "update", "delete") for p in handlers.get(h, {}).get("permissions", [])}


def _allowed(statements, action: str, arn: str) -> list[dict]:
    return [st for st in statements if st["Effect"] == "Allow"
            and any(fnmatch.fnmatchcase(action, a) for a in st["Action"])
            and any(fnmatch.fnmatchcase(arn, r) for r in st["Resource"])]


def _resources():
    """(template, logical id, type, ARN as launched) of every resource of the project templates."""
    for name, path in PROJECT_TEMPLATES.items():
        _, template = load(path)
        for lid, res in template["Resources"].items():
            p = _value(res.get("Properties", {}))
            rtype = res["Type"]
            if rtype == "AWS::S3::Bucket":
                arn = f"arn:aws:s3:::{p['BucketName']}"
            elif rtype == "AWS::S3::BucketPolicy":
                bucket = template["Resources"][p["Bucket"]["Ref"]]["Properties"]["BucketName"]
                arn = f"arn:aws:s3:::{_value(bucket)}"
            elif rtype == "AWS::CodeCommit::Repository":
                arn = f"arn:aws:codecommit:{REGION}:{ACCOUNT}:{p['RepositoryName']}"
            elif rtype == "AWS::CodeBuild::Project":
                arn = f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/{p['Name']}"
            elif rtype == "AWS::CodePipeline::Pipeline":
                arn = f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:{p['Name']}"
            elif rtype == "AWS::Events::Rule":
                arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{p['Name']}"
            else:
                raise AssertionError(f"{name} {lid}: {rtype} is not covered by this test (and maybe not by the policy)")
            yield name, lid, rtype, res, arn


def test_every_project_resource_can_be_created_updated_and_deleted_by_the_launch_role(statements):
    seen = set()
    for name, lid, rtype, _, arn in _resources():
        seen.add(rtype)
        assert NEEDED[rtype] <= _registry_permissions(rtype) or rtype == "AWS::CodeBuild::Project", rtype
        for action in NEEDED[rtype]:
            assert _allowed(statements, action, arn), f"{name} {lid} ({rtype}): {action} on {arn} is not allowed"
    assert seen == set(NEEDED)


def test_the_launch_role_passes_only_the_project_role_and_only_to_the_services_that_use_it(statements):
    passes = [st for st in statements if "iam:PassRole" in st["Action"]]
    assert [r for st in passes for r in st["Resource"]] == [USE_ROLE]
    [st] = passes
    services = set(st["Condition"]["StringEquals"]["iam:PassedToService"])
    # the templates hand the project role to CodeBuild, CodePipeline and EventBridge targets
    used = set()
    for _, _, rtype, res, _ in _resources():
        p = res["Properties"]
        if rtype == "AWS::CodeBuild::Project" and p["ServiceRole"] == {"Ref": "ProjectRoleArn"}:
            used.add("codebuild.amazonaws.com")
        if rtype == "AWS::CodePipeline::Pipeline" and p["RoleArn"] == {"Ref": "ProjectRoleArn"}:
            used.add("codepipeline.amazonaws.com")
        if rtype == "AWS::Events::Rule" and any(t.get("RoleArn") == {"Ref": "ProjectRoleArn"} for t in p["Targets"]):
            used.add("events.amazonaws.com")
    assert services == used


def test_the_launch_role_grants_nothing_the_templates_do_not_use(statements):
    used = set(LAUNCH) | CODEBUILD_API | {"iam:PassRole", "iam:GetRole"}
    for rtype in NEEDED:
        used |= _registry_permissions(rtype)
    granted = {a for st in statements for a in st["Action"]}
    assert not [a for a in granted if "*" in a], "no wildcard actions"
    assert granted <= used, sorted(granted - used)
    assert not granted & NEVER, sorted(granted & NEVER)
    for st in statements:
        if "*" in st["Resource"]:
            assert set(st["Action"]) <= UNSCOPED or st.get("Condition"), st["Sid"]


def test_what_the_launch_role_may_not_delete_is_kept_when_a_project_is_deleted():
    for name, lid, rtype, res, _ in _resources():
        if rtype in ("AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::CodeCommit::Repository"):
            assert res.get("DeletionPolicy") == "Retain" and res.get("UpdateReplacePolicy") == "Retain", f"{name} {lid}"


def test_the_seed_archive_and_the_keys_are_reachable_only_as_tagged_objects_and_environment_keys(statements):
    [get] = [st for st in statements if "s3:GetObject" in st["Action"]]
    assert get["Condition"] == {"StringEquals": {"s3:ExistingObjectTag/servicecatalog:provisioning": "true"}}
    for st in statements:
        if any(a.startswith("kms:") for a in st["Action"]):
            assert st["Condition"]["StringLike"]["kms:ViaService"] in ("s3.*.amazonaws.com", "codecommit.*.amazonaws.com")
            assert st["Condition"]["Null"] == {"aws:ResourceTag/environment": "false"}
