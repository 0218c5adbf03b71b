"""AWS CodeCommit: repositories (name, KMS key)."""

from __future__ import annotations

from . import reader


@reader("AWS::CodeCommit::Repository")
def repository(r):
    name = r.required("RepositoryName")
    meta = r.client("codecommit").get_repository(repositoryName=name)["repositoryMetadata"]
    r.attributes.update(Arn=meta.get("Arn"), CloneUrlHttp=meta.get("cloneUrlHttp"),
                        CloneUrlSsh=meta.get("cloneUrlSsh"), Name=meta.get("repositoryName"),
                        KmsKeyId=meta.get("kmsKeyId"))
    if r.physical_id not in (meta.get("repositoryId"), meta.get("repositoryName"), meta.get("Arn")):
        r.mismatch("PhysicalResourceId", meta.get("repositoryId"), r.physical_id,
                   "the physical id does not name this repository")
    r.compare("RepositoryName", meta.get("repositoryName"))
    r.compare("KmsKeyId", meta.get("kmsKeyId"), kind="kms")
