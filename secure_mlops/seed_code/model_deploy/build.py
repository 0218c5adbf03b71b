"""Find the newest Approved model package of the project and write the CloudFormation
parameter files for the staging and production endpoints.

Run by the project's CodeBuild job (buildspec.yml) and by hand:

    python build.py --environment ds-team-dev --project abalone --model-package-group team-models

Writes staging-params.json and prod-params.json (CloudFormation "Parameters" files). Fails
(exit 1) when the group has no Approved package: nothing unapproved is ever deployed
(control SM-REG-02).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SSM_KEYS = {
    "ModelExecutionRoleArn": "model-execution-role-arn",
    "SubnetIds": "private-subnet-ids",
    "SecurityGroupId": "sagemaker-security-group-id",
    "VolumeKmsKeyArn": "volume-kms-key-arn",
    "DataCaptureKmsKeyArn": "s3-kms-key-arn",
    "DataCaptureBucket": "model-bucket",
}


class NoApprovedModel(Exception):
    pass


def latest_approved_package(sagemaker_client, group: str, project: str | None = None) -> str:
    """The newest Approved version in `group`; with `project`, the newest one that project's
    pipeline registered (CustomerMetadataProperties.pipeline), since a team's projects share
    the team's group."""
    paginator = sagemaker_client.get_paginator("list_model_packages")
    approved = []
    for page in paginator.paginate(ModelPackageGroupName=group, ModelApprovalStatus="Approved",
                                   SortBy="CreationTime", SortOrder="Descending"):
        approved += page["ModelPackageSummaryList"]
    approved.sort(key=lambda p: p["CreationTime"], reverse=True)
    for summary in approved:
        if project is None:
            return summary["ModelPackageArn"]
        desc = sagemaker_client.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
        if desc.get("CustomerMetadataProperties", {}).get("pipeline") == project:
            return summary["ModelPackageArn"]
    whose = f" registered by project {project!r}" if project else ""
    raise NoApprovedModel(f"model package group {group!r} has no Approved model package{whose}; "
                          "approve one (team administrator) before deploying")


def parameters(environment: str, project: str, stage: str, package_arn: str, stage_config: dict) -> list[dict]:
    params = {"ProjectName": project, "StageName": stage, "ModelPackageArn": package_arn}
    params.update({k: f"/secure-mlops/{environment}/{v}" for k, v in SSM_KEYS.items()})
    params.update({k: str(v) for k, v in stage_config.items()})
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()]


def main(argv: list[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--environment", required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--model-package-group", required=True)
    parser.add_argument("--source-project", default="",
                        help="deploy only versions this model build project registered (default: any)")
    parser.add_argument("--out-dir", type=Path, default=HERE)
    args = parser.parse_args(argv)
    sm = boto3.Session().client("sagemaker")
    try:
        arn = latest_approved_package(sm, args.model_package_group, args.source_project or None)
    except NoApprovedModel as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for stage, cfg in (("staging", "staging-config.json"), ("prod", "prod-config.json")):
        config = json.loads((HERE / cfg).read_text())
        out = args.out_dir / f"{stage}-params.json"
        out.write_text(json.dumps(parameters(args.environment, args.project, stage, arn, config), indent=2))
        print(f"wrote {out} ({arn})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
