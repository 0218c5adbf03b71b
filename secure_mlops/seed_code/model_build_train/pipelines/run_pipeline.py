"""Create or update the abalone model build pipeline and start it (boto3 only).

Run by the project's CodeBuild job (see buildspec.yml) and by hand:

    python -m pipelines.run_pipeline --environment ds-team-dev --project abalone [--wait]

The environment's ids (subnets, security group, KMS keys, buckets, roles, model package
group) are read from the SSM parameters the secure-mlops environment publishes under
/secure-mlops/<environment>/. The script uploads the step scripts and, when missing, the
abalone sample to the data bucket (SSE-KMS with the environment's key), writes the
pipeline definition, and upserts the pipeline.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

try:  # inside the secure-mlops package
    from secure_mlops.envcontext import load_context
except ImportError:  # pragma: no cover - in a project repository, the packaged copy sits beside this file
    from .envcontext import load_context

from .definition import PipelineSettings, build_definition

HERE = Path(__file__).resolve().parent
# the sample sits at data/abalone/ of the project repository, or of the secure-mlops seed code
SAMPLE = next((p for p in (HERE.parent / "data" / "abalone" / "abalone.data",
                           HERE.parent.parent / "data" / "abalone" / "abalone.data") if p.exists()),
              HERE.parent / "data" / "abalone" / "abalone.data")


def settings_from_environment(session, environment: str, project: str, project_id: str = "") -> PipelineSettings:
    ctx = load_context(session, environment)
    need = ["team", "private-subnet-ids", "sagemaker-security-group-id", "volume-kms-key-arn", "s3-kms-key-arn",
            "data-bucket", "model-bucket", "model-package-group-name", "sagemaker-execution-role-arn"]
    missing = [k for k in need if not ctx.get(k)]
    if missing:
        raise SystemExit(
            f"environment {environment!r}: SSM parameters missing under /secure-mlops/{environment}/: "
            f"{', '.join(missing)} (provision the environment with `secure-mlops provision` first)"
        )
    return PipelineSettings(
        region=session.region_name,
        team=ctx.get("team"),
        role_arn=ctx.get("sagemaker-execution-role-arn"),
        subnet_ids=tuple(ctx.get("private-subnet-ids")),
        security_group_ids=(ctx.get("sagemaker-security-group-id"),),
        volume_kms_key=ctx.get("volume-kms-key-arn"),
        output_kms_key=ctx.get("s3-kms-key-arn"),
        data_bucket=ctx.get("data-bucket"),
        model_bucket=ctx.get("model-bucket"),
        model_package_group=ctx.get("model-package-group-name"),
        project_name=project,
        project_id=project_id,
    )


def upload_inputs(session, s: PipelineSettings) -> None:
    s3 = session.client("s3")
    enc = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": s.output_kms_key}
    for script in ("preprocess.py", "evaluate.py"):
        s3.put_object(Bucket=s.data_bucket, Key=f"{s.code_prefix}/{script}",
                      Body=(HERE / "abalone" / script).read_bytes(), **enc)
    try:
        s3.head_object(Bucket=s.data_bucket, Key=s.input_data_key)
    except s3.exceptions.ClientError:
        s3.put_object(Bucket=s.data_bucket, Key=s.input_data_key, Body=SAMPLE.read_bytes(), **enc)


def upsert_pipeline(session, name: str, s: PipelineSettings, description: str = "") -> str:
    sm = session.client("sagemaker")
    definition = json.dumps(build_definition(s))
    args = dict(PipelineName=name, PipelineDefinition=definition, RoleArn=s.role_arn,
                PipelineDescription=description or f"abalone model build for {s.project_name}")
    try:
        arn = sm.create_pipeline(**args, Tags=[{"Key": "sagemaker:project-name", "Value": s.project_name}])["PipelineArn"]
    except sm.exceptions.ResourceInUse:
        arn = sm.update_pipeline(**args)["PipelineArn"]
    except sm.exceptions.ClientError as exc:
        if "already exists" not in str(exc):
            raise
        arn = sm.update_pipeline(**args)["PipelineArn"]
    return arn


def start(session, name: str, wait: bool = False, poll_s: float = 30.0) -> dict:
    sm = session.client("sagemaker")
    arn = sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    desc = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
    while wait and desc["PipelineExecutionStatus"] in ("Executing", "Stopping"):
        time.sleep(poll_s)
        desc = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
    return desc


def main(argv: list[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--environment", required=True, help="secure-mlops environment name")
    parser.add_argument("--project", default="abalone", help="project name (pipeline name prefix)")
    parser.add_argument("--project-id", default="", help="SageMaker project id, recorded in the model package")
    parser.add_argument("--wait", action="store_true", help="wait for the execution to finish")
    parser.add_argument("--definition-only", type=Path, default=None,
                        help="write the pipeline definition to this file and stop")
    args = parser.parse_args(argv)
    session = boto3.Session()
    s = settings_from_environment(session, args.environment, args.project, args.project_id)
    if args.definition_only:
        args.definition_only.write_text(json.dumps(build_definition(s), indent=2))
        print(f"wrote {args.definition_only}")
        return 0
    upload_inputs(session, s)
    name = f"{args.project}-model-build"
    arn = upsert_pipeline(session, name, s)
    print(f"pipeline {arn}")
    desc = start(session, name, wait=args.wait)
    print(f"execution {desc['PipelineExecutionArn']}: {desc['PipelineExecutionStatus']}")
    return 0 if desc["PipelineExecutionStatus"] in ("Executing", "Succeeded") else 1


if __name__ == "__main__":
    sys.exit(main())
