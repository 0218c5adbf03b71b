"""Where code, images and packages live: ECR, CodePipeline, CodeCommit, CodeArtifact."""

from __future__ import annotations

from c7n.query import TypeInfo

from .base import LeanResource, register


@register("audit-ecr-repository")
class EcrRepository(LeanResource):
    class resource_type(TypeInfo):
        service = "ecr"
        enum_spec = ("describe_repositories", "repositories", None)
        id = name = "repositoryName"
        arn = "repositoryArn"
        cfn_type = "AWS::ECR::Repository"

    permissions = ("ecr:DescribeRepositories",)


@register("audit-codepipeline")
class CodePipeline(LeanResource):
    class resource_type(TypeInfo):
        service = "codepipeline"
        enum_spec = ("list_pipelines", "pipelines", None)
        id = name = "name"
        arn = "pipelineArn"
        cfn_type = "AWS::CodePipeline::Pipeline"

    permissions = ("codepipeline:ListPipelines", "codepipeline:GetPipeline")

    def describe(self, client, p):
        answer = client.get_pipeline(name=p["name"])
        p.update(answer.get("pipeline") or {})
        p["pipelineArn"] = (answer.get("metadata") or {}).get(
            "pipelineArn", f"arn:aws:codepipeline:{self.region}:{self.account_id}:{p['name']}")


@register("audit-codecommit-repository")
class CodeCommitRepository(LeanResource):
    class resource_type(TypeInfo):
        service = "codecommit"
        enum_spec = ("list_repositories", "repositories", None)
        id = name = "repositoryName"
        arn = "Arn"
        cfn_type = "AWS::CodeCommit::Repository"

    permissions = ("codecommit:ListRepositories", "codecommit:GetRepository")

    def describe(self, client, r):
        r.update(client.get_repository(repositoryName=r["repositoryName"])["repositoryMetadata"])


@register("audit-codeartifact-repository")
class CodeArtifactRepository(LeanResource):
    class resource_type(TypeInfo):
        service = "codeartifact"
        enum_spec = ("list_repositories", "repositories", None)
        id = arn = "arn"
        name = "name"
        cfn_type = "AWS::CodeArtifact::Repository"

    permissions = ("codeartifact:ListRepositories", "codeartifact:DescribeRepository")

    def describe(self, client, r):
        answer = client.describe_repository(domain=r["domainName"], domainOwner=r["domainOwner"],
                                            repository=r["name"])
        r.update(answer.get("repository") or {})
