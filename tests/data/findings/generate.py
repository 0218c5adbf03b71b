"""Regenerate the report's fixture findings documents (gate.json, audit-dev.json, audit-prod.json).

Run: .venv/bin/python tests/data/findings/generate.py

They stand in for what `secure-mlops gate` and `secure-mlops audit` write: every control
passes on every resource it applies to, except the deviations listed in DEVIATIONS, chosen so
that the report shows every answer (satisfied, satisfied with a suppressed exception, not
satisfied, not fully answered because of ERROR, not evaluated, not run) and every status.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from secure_mlops.controls import load_catalog  # noqa: E402
from secure_mlops.findings import Finding, make_document  # noqa: E402

ACCOUNTS = {"dev": ("123456789012", "us-east-1"), "prod": ("210987654321", "eu-west-1")}
STAMP = {"gate": "2026-11-20T09:00:00+00:00", "dev": "2026-11-20T09:05:00+00:00",
         "prod": "2026-11-20T09:07:00+00:00"}

# (source, account-or-None, control) -> list of (status, resource name, message, extra fields)
DEVIATIONS = {
    # NET-2 / NET-1: a notebook with internet access in a template and live in dev
    ("template", None, "SM-NB-01"): [
        ("FAIL", "DemoNotebook", "DirectInternetAccess is Enabled; it must be Disabled",
         {"file": "templates/notebook.yaml", "line": 14, "column": 7}),
    ],
    ("live", "dev", "SM-NB-01"): [
        ("PASS", "team-a-notebook", "DirectInternetAccess is Disabled", {"evidence": {"DirectInternetAccess": "Disabled"}}),
        ("FAIL", "scratch-notebook", "notebook instance scratch-notebook has direct internet access",
         {"evidence": {"DirectInternetAccess": "Enabled", "SubnetId": None}}),
    ],
    ("live", "dev", "SM-NB-02"): [
        ("FAIL", "scratch-notebook", "notebook instance scratch-notebook is not in a VPC subnet",
         {"evidence": {"SubnetId": None, "SecurityGroups": []}}),
    ],
    # AUTHZ-2: root access on a live notebook in prod
    ("live", "prod", "SM-NB-03"): [
        ("FAIL", "fraud-model-nb", "notebook instance fraud-model-nb allows root access",
         {"evidence": {"RootAccess": "Enabled"}}),
    ],
    # DATA-1 / DATA-2: a bucket without a customer managed key in a template
    ("template", None, "S3-01"): [
        ("PASS", "DataBucket", "BucketEncryption uses aws:kms with a customer managed key",
         {"file": "templates/env.yaml", "line": 120, "column": 5}),
        ("FAIL", "ScratchBucket", "BucketEncryption is missing; set SSEAlgorithm aws:kms with KMSMasterKeyID",
         {"file": "templates/data.yaml", "line": 8, "column": 5}),
    ],
    # DATA-2: key rotation off in prod (critical severity override shows ordering)
    ("live", "prod", "KMS-01"): [
        ("FAIL", "1234abcd-12ab-34cd-56ef-1234567890ab", "KMS key has rotation disabled",
         {"evidence": {"KeyRotationEnabled": False, "KeyManager": "CUSTOMER"}}),
    ],
    # AUDIT-1: the prod trail is single-region
    ("live", "prod", "LOG-01"): [
        ("FAIL", "org-trail", "trail org-trail is not multi-region",
         {"evidence": {"IsMultiRegionTrail": False, "IsLogging": True}}),
    ],
    # AUDIT-2: one account could not be read (access denied) -> error, not fully answered
    ("live", "prod", "LOG-02"): [
        ("ERROR", "org-trail", "not evaluated: AccessDenied on cloudtrail:GetEventSelectors", {}),
    ],
    # NET-3 / AUTHZ-2: the target lacks the user-profile API -> only ERROR -> not evaluated
    ("live", "dev", "SM-UP-01"): [
        ("ERROR", "user-profiles", "not evaluated: ListUserProfiles is not implemented by the target (HTTP 500)",
         {"no_arn": True, "evidence": {}}),
    ],
    ("live", "prod", "SM-UP-01"): [
        ("ERROR", "user-profiles", "not evaluated: ListUserProfiles is not implemented by the target (HTTP 500)",
         {"no_arn": True, "evidence": {}}),
    ],
    # ART-1: an accepted exception (suppressed with a reason) on a template
    ("template", None, "ART-02"): [
        ("SUPPRESSED", "BaseImages", "ImageScanningConfiguration.ScanOnPush is false",
         {"file": "templates/ecr.yaml", "line": 5, "column": 5,
          "suppression_reason": "mirror of vendor images, scanned upstream (ticket SEC-142)"}),
    ],
    # SM-PIPE-01: a pipeline definition the gate could not read -> error on templates
    ("template", None, "SM-PIPE-01"): [
        ("PASS", "TrainingPipeline", "every step carries the job controls",
         {"file": "templates/pipeline.yaml", "line": 3, "column": 3}),
        ("ERROR", "ImportedPipeline", "cannot be verified: PipelineDefinitionS3Location s3://artifacts/pipeline.json is not a local file",
         {"file": "templates/pipeline.yaml", "line": 40, "column": 3}),
    ],
}
# controls with no live resources at all: listed as evaluated by the audit, but no findings
NO_LIVE_RESOURCES = {"SM-REG-02", "SM-MON-01"}
# not run by the prod audit at all (e.g. `audit --controls`), and no findings there
NOT_RUN_PROD = {"SM-EPC-02"}

ARN = {
    "AWS::SageMaker::NotebookInstance": "arn:aws:sagemaker:{r}:{a}:notebook-instance/{n}",
    "AWS::SageMaker::Domain": "arn:aws:sagemaker:{r}:{a}:domain/{n}",
    "AWS::SageMaker::UserProfile": "arn:aws:sagemaker:{r}:{a}:user-profile/d-abc123/{n}",
    "AWS::SageMaker::Model": "arn:aws:sagemaker:{r}:{a}:model/{n}",
    "AWS::SageMaker::EndpointConfig": "arn:aws:sagemaker:{r}:{a}:endpoint-config/{n}",
    "AWS::SageMaker::Pipeline": "arn:aws:sagemaker:{r}:{a}:pipeline/{n}",
    "AWS::SageMaker::ModelPackageGroup": "arn:aws:sagemaker:{r}:{a}:model-package-group/{n}",
    "AWS::S3::Bucket": "arn:aws:s3:::{n}",
    "AWS::S3::BucketPolicy": "arn:aws:s3:::{n}",
    "AWS::KMS::Key": "arn:aws:kms:{r}:{a}:key/{n}",
    "AWS::IAM::Role": "arn:aws:iam::{a}:role/{n}",
    "AWS::CloudTrail::Trail": "arn:aws:cloudtrail:{r}:{a}:trail/{n}",
    "AWS::Logs::LogGroup": "arn:aws:logs:{r}:{a}:log-group:{n}",
    "AWS::EC2::VPC": "arn:aws:ec2:{r}:{a}:vpc/{n}",
    "AWS::EC2::SecurityGroup": "arn:aws:ec2:{r}:{a}:security-group/{n}",
    "AWS::EC2::VPCEndpoint": "arn:aws:ec2:{r}:{a}:vpc-endpoint/{n}",
    "AWS::EC2::InternetGateway": "arn:aws:ec2:{r}:{a}:internet-gateway/{n}",
    "AWS::ECR::Repository": "arn:aws:ecr:{r}:{a}:repository/{n}",
    "AWS::CodeArtifact::Repository": "arn:aws:codeartifact:{r}:{a}:repository/ml/{n}",
    "AWS::CodeCommit::Repository": "arn:aws:codecommit:{r}:{a}:{n}",
}


def resource_type(control) -> str:
    first = control.resources[0]
    if first.startswith("AWS::"):
        return first
    if "job" in first:
        return "AWS::SageMaker::TrainingJob"
    if "model package" in first or "endpoints" in first:
        return "AWS::SageMaker::ModelPackage"
    return "AWS::SageMaker::Pipeline"


def default_name(control, source: str) -> str:
    base = control.id.lower()
    return f"{base.replace('-', '')}Resource" if source == "template" else f"{base}-resource"


def finding(control, source, status, name, message, extra, env=None):
    rtype = resource_type(control)
    f = Finding(control_id=control.id, status=status, severity=control.severity,
                questions=list(control.questions), source=source, resource_type=rtype,
                resource_id=name, message=message)
    if source == "template":
        f.file = extra.get("file", "templates/env.yaml")
        f.line = extra.get("line", 10 + 7 * (sorted(load_catalog().controls).index(control.id)))
        f.column = extra.get("column", 5)
        f.logical_id = name
    else:
        account, region = ACCOUNTS[env]
        pattern = ARN.get(rtype, "arn:aws:sagemaker:{r}:{a}:resource/{n}")
        f.resource_arn = None if extra.get("no_arn") else pattern.format(r=region, a=account, n=name)
        f.account, f.region = account, region
        f.evidence = extra.get("evidence", {"checked": control.pass_when})
    if status == "SUPPRESSED":
        f.suppression_reason = extra["suppression_reason"]
    return f


def build(source: str, env: str | None):
    catalog = load_catalog()
    mode = "preventive" if source == "template" else "detective"
    findings, evaluated = [], []
    for control in catalog:
        if mode not in control.modes:
            continue
        if env == "prod" and control.id in NOT_RUN_PROD:
            continue
        evaluated.append(control.id)
        if source == "live" and control.id in NO_LIVE_RESOURCES:
            continue
        spec = DEVIATIONS.get((source, env, control.id))
        if spec is None:
            spec = [("PASS", default_name(control, source), f"{control.title}: holds", {})]
        findings += [finding(control, source, *item, env=env) for item in spec]
    return findings, evaluated


def main() -> None:
    outputs = {
        "gate.json": ("gate", "template", None, {}),
        "audit-dev.json": ("audit", "live", "dev", {"kind": "aws", "account": ACCOUNTS["dev"][0],
                                                    "region": ACCOUNTS["dev"][1]}),
        "audit-prod.json": ("audit", "live", "prod", {"kind": "aws", "account": ACCOUNTS["prod"][0],
                                                      "region": ACCOUNTS["prod"][1]}),
    }
    for name, (kind, source, env, target) in outputs.items():
        findings, evaluated = build(source, env)
        doc = make_document(findings, kind=kind, target=target, evaluated_controls=evaluated)
        doc["generated_at"] = STAMP[env or "gate"]
        doc["tool"]["version"] = "fixture"
        (HERE / name).write_text(json.dumps(doc, indent=2) + "\n")
        print(f"wrote {HERE / name}: {len(findings)} findings")


if __name__ == "__main__":
    main()
