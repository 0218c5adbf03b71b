"""What ``destroy`` keeps, why, and the commands that remove it (after the user decides to).

``destroy`` never deletes data. It keeps: resources whose template says ``DeletionPolicy:
Retain`` (KMS keys, the SageMaker project roles, ...), buckets that still hold objects or object
versions, model package groups that hold model versions (the registered models, their approval
history and lineage), the EFS file system that Studio created for the users' home directories
(and what depends on it: its mount targets, the NFS security groups, the subnets and VPC they
sit in).
Each kept resource is listed with the reason and the AWS CLI commands that remove it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: reasons, shown to the user
RETAIN_POLICY = "DeletionPolicy: Retain"
HOLDS_DATA = "holds objects or object versions"
EFS_HOMES = "Studio users' home directories (EFS created by SageMaker, not by the stack)"
IN_USE_BY_EFS = "in use by the EFS mount targets of Studio's home directories"
HOLDS_KEPT = "contains subnets or security groups kept above"


def holds_model_versions(count: int) -> str:
    return f"holds {count} model version{'s' if count != 1 else ''}"


@dataclass
class Retained:
    stack: str
    logical_id: str
    resource_type: str
    physical_id: str
    reason: str
    commands: list[str] = field(default_factory=list)


def aws_cli(target) -> str:
    parts = ["aws"]
    if getattr(target, "profile", None):
        parts.append(f"--profile {target.profile}")
    parts.append(f"--region {target.region}")
    if getattr(target, "endpoint_url", None):
        parts.append(f"--endpoint-url {target.endpoint_url}")
    return " ".join(parts)


def removal_commands(resource_type: str, physical_id: str, target) -> list[str]:
    """AWS CLI commands that remove a kept resource. Data-destroying steps say so."""
    aws = aws_cli(target)
    pid = physical_id
    if resource_type == "AWS::S3::Bucket":
        return [
            f"# back the data up first; this deletes every object version of s3://{pid}",
            f"{aws} s3api list-object-versions --bucket {pid} --max-items 10   # see what is there",
            f"# empty it (console: S3 > {pid} > Empty, or a lifecycle rule expiring all versions), then:",
            f"{aws} s3api delete-bucket --bucket {pid}",
        ]
    if resource_type == "AWS::KMS::Key":
        return [
            "# data encrypted with this key becomes unreadable when the key is deleted",
            f"{aws} kms schedule-key-deletion --key-id {pid} --pending-window-in-days 30",
        ]
    if resource_type == "AWS::IAM::Role":
        return [
            f"{aws} iam list-attached-role-policies --role-name {pid}   # detach each: iam detach-role-policy",
            f"{aws} iam list-role-policies --role-name {pid}            # delete each: iam delete-role-policy",
            f"{aws} iam delete-role --role-name {pid}",
        ]
    if resource_type == "AWS::Logs::LogGroup":
        return [f"{aws} logs delete-log-group --log-group-name {pid}"]
    if resource_type == "AWS::EFS::FileSystem":
        return [
            "# back the home directories up first (AWS Backup); this deletes them",
            f"{aws} efs describe-mount-targets --file-system-id {pid}   # delete each: efs delete-mount-target",
            f"{aws} efs delete-file-system --file-system-id {pid}",
            f"{aws} ec2 describe-security-groups --filters Name=group-name,Values='security-group-for-*-nfs-*'"
            "   # then ec2 delete-security-group for the domain's two NFS groups",
        ]
    if resource_type == "AWS::EC2::VPC":
        return [f"# after the EFS file system is gone: {aws} ec2 delete-vpc --vpc-id {pid}"]
    if resource_type == "AWS::EC2::Subnet":
        return [f"# after the EFS file system is gone: {aws} ec2 delete-subnet --subnet-id {pid}"]
    if resource_type == "AWS::EC2::SecurityGroup":
        return [f"# after the EFS file system is gone: {aws} ec2 delete-security-group --group-id {pid}"]
    if resource_type == "AWS::SageMaker::ModelPackageGroup":
        group = pid.rsplit("/", 1)[-1]
        return [
            "# model versions are data: approved versions may be deployed, and their approvals and lineage are",
            "# the audit trail of what went to production; their artifacts stay in the buckets",
            f"{aws} sagemaker list-model-packages --model-package-group-name {group} "
            "--query 'ModelPackageSummaryList[].ModelPackageArn'   # delete each: sagemaker delete-model-package "
            "--model-package-name ARN",
            f"{aws} sagemaker delete-model-package-group --model-package-group-name {group}",
        ]
    if resource_type == "AWS::SageMaker::Domain":
        return [f"{aws} sagemaker delete-domain --domain-id {pid} --retention-policy HomeEfsFileSystem=Retain"]
    return [f"{aws} cloudcontrol delete-resource --type-name {resource_type} --identifier {pid}"]


def bucket_holds_data(s3, bucket: str) -> bool | None:
    """True when the bucket has any object version or delete marker; None if it cannot be read."""
    import botocore.exceptions

    try:
        page = s3.list_object_versions(Bucket=bucket, MaxKeys=1)
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchBucket":
            return False
        return None
    return bool(page.get("Versions") or page.get("DeleteMarkers"))


def model_versions(sm, group: str) -> int | None:
    """How many model versions the model package group (name or ARN) holds; None if it cannot be read."""
    import botocore.exceptions

    name = group.rsplit("/", 1)[-1]
    count = 0
    try:
        for page in sm.get_paginator("list_model_packages").paginate(ModelPackageGroupName=name):
            count += len(page.get("ModelPackageSummaryList", []))
    except botocore.exceptions.ClientError:
        return None
    return count


def efs_exists(efs, file_system_id: str) -> bool | None:
    import botocore.exceptions

    try:
        return bool(efs.describe_file_systems(FileSystemId=file_system_id).get("FileSystems"))
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "FileSystemNotFound":
            return False
        return None


def render(items: list[Retained]):
    """A rich renderable: what was kept, why, and how to remove it."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Kept ({len(items)}): never deleted by destroy", title_justify="left")
    for col in ("stack", "resource", "type", "id", "why"):
        table.add_column(col)
    for r in items:
        table.add_row(r.stack, r.logical_id, r.resource_type, r.physical_id, r.reason)
    lines = [Text("To remove them, when you have decided to:", style="bold")]
    for r in items:
        lines.append(Text(f"# {r.resource_type} {r.physical_id} ({r.stack}/{r.logical_id})", style="dim"))
        lines.extend(Text(cmd) for cmd in r.commands)
    return Group(table, *lines)
