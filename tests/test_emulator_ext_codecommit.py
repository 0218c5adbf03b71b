"""CodeCommit repositories on the emulator: listing, encryption, tags, seed code, CloudFormation."""

import io
import json
import zipfile

import pytest
from botocore.exceptions import ClientError
from helpers import create_stack

pytestmark = pytest.mark.emulator


def test_repositories_are_listed_encrypted_and_tagged(aws):
    cc, kms = aws.client("codecommit"), aws.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    cc.create_repository(repositoryName="b-repo", kmsKeyId=key, tags={"team": "ds"})
    cc.create_repository(repositoryName="a-repo")
    assert [r["repositoryName"] for r in cc.list_repositories()["repositories"]] == ["a-repo", "b-repo"]
    assert [r["repositoryName"] for r in cc.list_repositories(order="descending")["repositories"]] == ["b-repo", "a-repo"]
    got = cc.batch_get_repositories(repositoryNames=["a-repo", "b-repo", "missing"])
    keys = {r["repositoryName"]: r["kmsKeyId"] for r in got["repositories"]}
    assert keys["b-repo"] == key and keys["a-repo"]  # the AWS managed aws/codecommit key by default
    assert got["repositoriesNotFound"] == ["missing"]
    arn = cc.get_repository(repositoryName="b-repo")["repositoryMetadata"]["Arn"]
    assert cc.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "ds"}
    cc.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert cc.list_tags_for_resource(resourceArn=arn)["tags"] == {}
    with pytest.raises(ClientError) as exc:
        cc.create_repository(repositoryName="c-repo", kmsKeyId="alias/missing")
    assert exc.value.response["Error"]["Code"] == "EncryptionKeyNotFoundException"


def seed_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("README.md", "seed")
    return buf.getvalue()


def template(description):
    return json.dumps({"Resources": {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
        "Repo": {"Type": "AWS::CodeCommit::Repository", "Properties": {
            "RepositoryName": "model-build", "RepositoryDescription": description, "KmsKeyId": {"Ref": "Key"},
            "Code": {"BranchName": "main", "S3": {"Bucket": "seed", "Key": "seed.zip"}},
            "Tags": [{"Key": "team", "Value": "ds"}]}}},
        "Outputs": {"Id": {"Value": {"Ref": "Repo"}}, "Url": {"Value": {"Fn::GetAtt": ["Repo", "CloneUrlHttp"]}},
                    "Key": {"Value": {"Ref": "Key"}}}})


def test_repository_through_cloudformation(aws):
    s3, cfn, cc = aws.client("s3"), aws.client("cloudformation"), aws.client("codecommit")
    s3.create_bucket(Bucket="seed")
    s3.put_object(Bucket="seed", Key="seed.zip", Body=seed_zip())
    out = create_stack(cfn, "repo", template("v1"))
    meta = cc.get_repository(repositoryName="model-build")["repositoryMetadata"]
    assert meta["repositoryId"] == out["Id"] and meta["cloneUrlHttp"] == out["Url"] and meta["kmsKeyId"] == out["Key"]
    assert meta["defaultBranch"] == "main" and cc.list_branches(repositoryName="model-build")["branches"] == ["main"]
    cfn.update_stack(StackName="repo", TemplateBody=template("v2"))
    assert cc.get_repository(repositoryName="model-build")["repositoryMetadata"]["repositoryDescription"] == "v2"
    cfn.delete_stack(StackName="repo")
    assert cc.list_repositories()["repositories"] == []


def test_seed_code_must_exist(aws):
    cfn = aws.client("cloudformation")
    aws.client("s3").create_bucket(Bucket="seed")
    cfn.create_stack(StackName="norepo", TemplateBody=template("v1"))
    reasons = [e.get("ResourceStatusReason", "") for e in cfn.describe_stack_events(StackName="norepo")["StackEvents"]
               if e["ResourceStatus"] == "CREATE_FAILED"]
    assert any("does not exist" in r for r in reasons)
    assert aws.client("codecommit").list_repositories()["repositories"] == []


def test_the_seed_zip_is_the_initial_commit(aws):
    """The ZIP of a repository's Code is one commit on its branch, with git's object ids."""
    s3, cfn, cc = aws.client("s3"), aws.client("cloudformation"), aws.client("codecommit")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hello\n")
        z.writestr("pipelines/run.py", "print('run')\n")
        z.writestr("pipelines/abalone/train.py", "print('train')\n")
    s3.create_bucket(Bucket="seed")
    s3.put_object(Bucket="seed", Key="seed.zip", Body=buf.getvalue())
    cfn.create_stack(StackName="repo", TemplateBody=template("v1"))
    commit_id = cc.get_branch(repositoryName="model-build", branchName="main")["branch"]["commitId"]
    commit = cc.get_commit(repositoryName="model-build", commitId=commit_id)["commit"]
    assert commit["message"] == "Initial commit by AWS CodeCommit\n" and commit["parents"] == []
    assert commit["author"]["name"] == "AWS CodeCommit"
    hello = cc.get_file(repositoryName="model-build", commitSpecifier="main", filePath="hello.txt")
    assert hello["fileContent"] == b"hello\n" and hello["commitId"] == commit_id
    assert hello["blobId"] == "ce013625030ba8dba906f756967f9e9ca394464a"  # git hash-object of "hello\n"
    by_commit = cc.get_file(repositoryName="model-build", commitSpecifier=commit_id, filePath="/pipelines/run.py")
    assert by_commit["fileContent"] == b"print('run')\n"
    top = cc.get_folder(repositoryName="model-build", commitSpecifier="main", folderPath="/")
    assert top["treeId"] == commit["treeId"]
    assert [f["relativePath"] for f in top["files"]] == ["hello.txt"]
    assert [f["relativePath"] for f in top["subFolders"]] == ["pipelines"]
    sub = cc.get_folder(repositoryName="model-build", commitSpecifier="main", folderPath="pipelines")
    assert sub["treeId"] == top["subFolders"][0]["treeId"]
    assert [f["absolutePath"] for f in sub["files"]] == ["pipelines/run.py"]
    assert [f["absolutePath"] for f in sub["subFolders"]] == ["pipelines/abalone"]
    for call, error in ((lambda: cc.get_file(repositoryName="model-build", commitSpecifier="main", filePath="nope"),
                         "FileDoesNotExistException"),
                        (lambda: cc.get_folder(repositoryName="model-build", commitSpecifier="main", folderPath="nope"),
                         "FolderDoesNotExistException"),
                        (lambda: cc.get_file(repositoryName="model-build", commitSpecifier="dev", filePath="hello.txt"),
                         "CommitDoesNotExistException")):
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["Error"]["Code"] == error
