"""Every responsive control on the emulator: a non-compliant resource beside a compliant twin.

For each control (one case below, one test run each):

1. the audit FAILs the drifted resource(s) and PASSes the twin;
2. a dry run plans steps for each FAIL, makes read calls only, and changes nothing (re-read);
3. --apply fixes the resource (PASS) or contains it (FAIL, "contained, not fixed"); the re-read
   shows the change, the evidence holds before and after, the audit agrees, the twin is untouched,
   and every call made is one the module declares in ``permissions``;
4. applying again changes nothing (read calls only) and says so.
"""

from __future__ import annotations

import json
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

import pytest

from secure_mlops.controls import load_catalog
from secure_mlops.findings import Status
from secure_mlops.remediations.base import TAG_PREFIX, iam_action
from secure_mlops.remediations.context import RemediationContext
from secure_mlops.remediations.registry import module_for
from secure_mlops.remediations.runner import remediate
from test_audit_estate import Builder, _doc, publish

pytestmark = pytest.mark.emulator

ACCOUNT, REGION = "123456789012", "us-east-1"
READ_PREFIXES = ("Describe", "Get", "List")
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/images:1"


# ------------------------------------------------------------------------------ helpers
@contextmanager
def recording(session):
    """Every API call made through `session` (service, operation) while inside the block."""
    calls: list[tuple[str, str]] = []

    def hook(event_name, **_):
        _, service, operation = event_name.split(".", 2)
        calls.append((service, operation))

    session.events.register("before-call", hook)
    try:
        yield calls
    finally:
        session.events.unregister("before-call", hook)


def mutating(calls) -> list[tuple[str, str]]:
    return [c for c in calls if not c[1].startswith(READ_PREFIXES)]


def audit(target, control_id: str) -> dict:
    from secure_mlops.audit import run_audit

    result = run_audit(target, [load_catalog().get(control_id)])
    return {f.resource_id: f for f in result.findings}


def sm_tags(session, arn) -> dict:
    return {t["Key"]: t["Value"] for t in session.client("sagemaker").list_tags(ResourceArn=arn)["Tags"]}


def transition(endpoint: str, model: str, transition: dict | None) -> None:
    path = "set-transition" if transition else "unset-transition"
    body = {"model_name": model, **({"transition": transition} if transition else {})}
    req = urllib.request.Request(f"{endpoint}/moto-api/state-manager/{path}", method="POST",
                                 data=json.dumps(body).encode())
    urllib.request.urlopen(req).read()


class Env:
    """A minimal environment: VPC, private subnet, SageMaker security group, execution role."""

    def __init__(self, session):
        self.b = Builder(session, ACCOUNT)
        ec2 = self.b.client("ec2")
        self.vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
        self.subnet = ec2.create_subnet(VpcId=self.vpc, CidrBlock="10.7.1.0/24")["Subnet"]["SubnetId"]
        self.sg = ec2.create_security_group(GroupName="sagemaker", Description="workloads", VpcId=self.vpc)["GroupId"]
        self.role = session.client("iam").create_role(RoleName="execution",
                                                      AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        self.sm = self.b.client("sagemaker")

    def notebook(self, name, **over):
        kw = dict(NotebookInstanceName=name, InstanceType="ml.t3.medium", RoleArn=self.role, SubnetId=self.subnet,
                  SecurityGroupIds=[self.sg], DirectInternetAccess="Disabled", RootAccess="Disabled",
                  InstanceMetadataServiceConfiguration={"MinimumInstanceMetadataServiceVersion": "2"})
        kw.update(over)
        self.sm.create_notebook_instance(**{k: v for k, v in kw.items() if v is not None})
        return name

    def model(self, name, **over):
        kw = dict(ModelName=name, ExecutionRoleArn=self.role, PrimaryContainer={"Image": IMAGE},
                  VpcConfig={"Subnets": [self.subnet], "SecurityGroupIds": [self.sg]}, EnableNetworkIsolation=True)
        kw.update(over)
        self.sm.create_model(**{k: v for k, v in kw.items() if v is not None})
        return name

    def endpoint_config(self, name, model, **over):
        kw = dict(EndpointConfigName=name, ProductionVariants=[
            {"VariantName": "v", "ModelName": model, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
        kw.update(over)
        self.sm.create_endpoint_config(**kw)
        return name


# ------------------------------------------------------------------------------ the cases
@dataclass
class Case:
    control: str
    make: Callable  # (session, emulator) -> (bad ids, good ids)
    fixed: bool  # True: PASS after apply; False: contained (FAIL)
    changed: Callable  # (session, before, after) -> None: asserts the change on a bad resource
    untouched: Callable | None = None  # (session) -> snapshot of what must not change
    teardown: Callable | None = None

    def __str__(self) -> str:
        return self.control


def _kms(session, emulator):
    b = Builder(session, ACCOUNT)
    return [b.key(rotate=False).rsplit("/", 1)[-1]], [b.key().rsplit("/", 1)[-1]]


def _kms_changed(session, before, after):
    assert before["KeyRotationEnabled"] is False and after["KeyRotationEnabled"] is True


def _trail(session, emulator):
    b = Builder(session, ACCOUNT)
    key = b.trail_key()
    bucket = b.trail_bucket("trail-logs", key)
    ct = b.client("cloudtrail")
    ct.create_trail(Name="main", S3BucketName=bucket, IsMultiRegionTrail=True, EnableLogFileValidation=True,
                    KmsKeyId=key)
    ct.create_trail(Name="regional", S3BucketName=bucket, EnableLogFileValidation=True, KmsKeyId=key)
    ct.stop_logging(Name="main")
    ct.stop_logging(Name="regional")
    return [f"{ACCOUNT}/{REGION}"], []


def _trail_changed(session, before, after):
    logging = {t["Name"]: t["IsLogging"] for t in after["Trails"]}
    assert {t["Name"]: t["IsLogging"] for t in before["Trails"]} == {"main": False, "regional": False}
    assert logging == {"main": True, "regional": False}  # only the multi-region trail is started


def _trail_untouched(session):
    return session.client("cloudtrail").get_trail_status(Name="regional")["IsLogging"]


def _flow_logs(session, emulator):
    b = Builder(session, ACCOUNT)
    env_vpc = b.vpc("10.1.0.0/16", flow_logs=False)
    iam, logs = session.client("iam"), session.client("logs")
    logs.create_log_group(logGroupName="/env/flow-logs")
    role = iam.create_role(RoleName="flow-logs", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    b.client("ec2").create_flow_logs(ResourceIds=[env_vpc], ResourceType="VPC", TrafficType="ALL",
                                     LogDestinationType="cloud-watch-logs", LogGroupName="/env/flow-logs",
                                     DeliverLogsPermissionArn=role)
    publish(b, "env-a", {"vpc-id": env_vpc})
    b.client("s3").create_bucket(Bucket=f"{ACCOUNT}-flow-logs")
    b.default_vpc_flow_logs()  # the default VPC is the compliant twin
    default = b.client("ec2").describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    drifted = b.vpc("10.9.0.0/16", flow_logs=False)  # a VPC of the environment (tagged): gets its destination
    b.client("ec2").create_tags(Resources=[drifted], Tags=[{"Key": "environment", "Value": "env-a"}])
    return [drifted], [default, env_vpc]


def _flow_logs_changed(session, before, after):
    assert before["FlowLogs"] == []
    (fl,) = after["FlowLogs"]
    assert fl["FlowLogStatus"] == "ACTIVE" and fl["LogGroupName"] == "/env/flow-logs"
    assert fl["DeliverLogsPermissionArn"].endswith(":role/flow-logs") and fl["TrafficType"] == "ALL"


def _open_sg(session, emulator):
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    bad = ec2.create_security_group(GroupName="open", Description="open", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=bad, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}, {"CidrIp": "10.3.0.0/16"}]},
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    good = ec2.create_security_group(GroupName="closed", Description="closed", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=good, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.3.0.0/16"}]}])
    return [bad], [good]


def _open_sg_changed(session, before, after):
    assert {r["source"] for r in before["OpenIngressRules"]} == {"0.0.0.0/0", "::/0"}
    assert after["OpenIngressRules"] == [] and after["OtherIngressRules"] == before["OtherIngressRules"] == 1


def _buckets(**bad_kwargs):
    def make(session, emulator):
        b = Builder(session, ACCOUNT)
        key = b.key()
        logs = b.log_bucket("env-a-logs", key)
        publish(b, "env-a", {"s3-kms-key-arn": key, "data-bucket": "env-a-data", "model-bucket": "env-a-models",
                             "log-bucket": logs})
        b.bucket("env-a-data", key, **{"logging_to": logs, **bad_kwargs})
        b.bucket("env-a-models", key, logging_to=logs)
        return ["env-a-data"], ["env-a-models"]
    return make


def _encryption_changed(session, before, after):
    env_key = session.client("ssm").get_parameter(Name="/secure-mlops/env-a/s3-kms-key-arn")["Parameter"]["Value"]
    assert before["DefaultEncryption"]["SSEAlgorithm"] == "AES256"
    assert after["DefaultEncryption"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": env_key, "BucketKeyEnabled": True}


def _block_changed(session, before, after):
    assert not any(before["PublicAccessBlock"].values())
    assert all(after["PublicAccessBlock"].values()) and len(after["PublicAccessBlock"]) == 4


def _tls_buckets(session, emulator):
    b = Builder(session, ACCOUNT)
    key = b.key()
    b.bucket("no-policy", key, policy=None)
    b.bucket("other-policy", key, policy=None)
    b.client("s3").put_bucket_policy(Bucket="other-policy", Policy=_doc(
        {"Sid": "DenyUnencryptedUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": "arn:aws:s3:::other-policy/*", "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}}))
    b.bucket("tls-only", key)
    return ["no-policy", "other-policy"], ["tls-only"]


def _tls_changed(session, before, after):
    kept = (before["Policy"] or {}).get("Statement", [])
    statements = after["Policy"]["Statement"]
    assert statements[:len(kept)] == kept  # every existing statement kept as it was
    (added,) = statements[len(kept):]
    assert added["Effect"] == "Deny" and added["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def _versioning_changed(session, before, after):
    assert before["Versioning"] is None and after["Versioning"] == "Enabled"


def _logging_changed(session, before, after):
    assert before["Logging"] is None
    assert after["Logging"] == {"TargetBucket": "env-a-logs", "TargetPrefix": "env-a-data/"}


def _tagged(key_of_state):
    def changed(session, before, after):
        assert before["RemediationTags"] == {}
        tag = after["RemediationTags"][TAG_PREFIX + key_of_state]
        assert tag.split(" ", 1)[0].endswith("Z")  # the time, then why
    return changed


def _domain(session, emulator):
    env = Env(session)
    kw = dict(AuthMode="IAM", DefaultUserSettings={"ExecutionRole": env.role, "SecurityGroups": [env.sg]},
              SubnetIds=[env.subnet], VpcId=env.vpc)
    env.sm.create_domain(DomainName="public-studio", AppNetworkAccessType="PublicInternetOnly", **kw)
    env.sm.create_domain(DomainName="private-studio", AppNetworkAccessType="VpcOnly", **kw)
    return ["public-studio"], ["private-studio"]


def _epc(session, emulator):
    env = Env(session)
    key = env.b.key()
    m = env.model("m")
    return [env.endpoint_config("no-kms", m)], [env.endpoint_config("with-kms", m, KmsKeyId=key)]


def _models(session, emulator):
    env = Env(session)
    return [env.model("open-model", EnableNetworkIsolation=False)], [env.model("isolated-model")]


def _jobs(session, emulator):
    env = Env(session)
    transition(emulator.endpoint, "sagemaker::training_job", {"progression": "manual", "times": 1000})
    job = dict(AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"}, RoleArn=env.role,
               OutputDataConfig={"S3OutputPath": "s3://out/o"}, StoppingCondition={"MaxRuntimeInSeconds": 60},
               ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10})
    env.sm.create_training_job(TrainingJobName="running-outside", **job)
    env.sm.create_training_job(TrainingJobName="running-inside", **job,
                               VpcConfig={"Subnets": [env.subnet], "SecurityGroupIds": [env.sg]})
    env.sm.create_processing_job(ProcessingJobName="finished-outside", AppSpecification={"ImageUri": IMAGE},
                                 RoleArn=env.role, ProcessingResources={"ClusterConfig": {
                                     "InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}})
    return ["running-outside", "finished-outside"], ["running-inside"]


def _jobs_changed(session, before, after):
    assert after["RemediationTags"] and not before["RemediationTags"]
    if before["Status"] == "InProgress":
        assert after["Status"] in ("Stopping", "Stopped")  # stopped: the job no longer runs outside the VPC
    else:
        assert after["Status"] == before["Status"]  # a finished job is only tagged


def _jobs_teardown(emulator):
    transition(emulator.endpoint, "sagemaker::training_job", None)


def _training_untouched(session):
    return session.client("sagemaker").describe_training_job(TrainingJobName="running-inside")["TrainingJobStatus"]


def _notebooks(control, **bad):
    def make(session, emulator):
        env = Env(session)
        return [env.notebook(f"nb-{control.lower()}", **bad)], [env.notebook("nb-compliant")]
    return make


def _notebook_changed(key, value):
    def changed(session, before, after):
        assert before["NotebookInstanceStatus"] == "InService"
        assert after["NotebookInstanceStatus"] == "Stopped"  # stopped, and left stopped
        assert TAG_PREFIX in "".join(after["RemediationTags"])
        if key:
            assert after[key] == value
    return changed


def _endpoints(session, emulator):
    env = Env(session)
    spec = {"Containers": [{"Image": IMAGE, "ModelDataUrl": "s3://models/m.tar.gz"}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}
    env.sm.create_model_package_group(ModelPackageGroupName="team-models")
    approved = env.sm.create_model_package(ModelPackageGroupName="team-models", InferenceSpecification=spec,
                                           ModelApprovalStatus="PendingManualApproval")["ModelPackageArn"]
    env.sm.update_model_package(ModelPackageArn=approved, ModelApprovalStatus="Approved")
    pending = env.sm.create_model_package(ModelPackageGroupName="team-models", InferenceSpecification=spec,
                                          ModelApprovalStatus="PendingManualApproval")["ModelPackageArn"]
    for name, pkg in (("approved", approved), ("pending", pending)):
        env.model(f"m-{name}", PrimaryContainer={"ModelPackageName": pkg})
        env.endpoint_config(f"epc-{name}", f"m-{name}")
        env.sm.create_endpoint(EndpointName=f"ep-{name}", EndpointConfigName=f"epc-{name}")
    return ["ep-pending"], ["ep-approved"]


CASES = [
    Case("KMS-01", _kms, True, _kms_changed),
    Case("LOG-01", _trail, True, _trail_changed, untouched=_trail_untouched),
    Case("NET-01", _flow_logs, True, _flow_logs_changed),
    Case("NET-02", _open_sg, True, _open_sg_changed),
    Case("S3-01", _buckets(encrypt=False), True, _encryption_changed),
    Case("S3-02", _buckets(block=False), True, _block_changed),
    Case("S3-03", _tls_buckets, True, _tls_changed),
    Case("S3-05", _buckets(versioning=False), True, _versioning_changed),
    Case("S3-06", _buckets(logging_to=None), True, _logging_changed),
    Case("SM-DOM-01", _domain, False, _tagged("SM-DOM-01")),
    Case("SM-EPC-01", _epc, False, _tagged("SM-EPC-01")),
    Case("SM-JOB-01", _jobs, False, _jobs_changed, untouched=_training_untouched,
         teardown=_jobs_teardown),
    Case("SM-MOD-01", _models, False, _tagged("SM-MOD-01")),
    Case("SM-NB-01", _notebooks("SM-NB-01", DirectInternetAccess="Enabled"), False, _notebook_changed(None, None)),
    Case("SM-NB-02", _notebooks("SM-NB-02", SubnetId=None, SecurityGroupIds=None, DirectInternetAccess="Enabled"),
         False, _notebook_changed(None, None)),
    Case("SM-NB-03", _notebooks("SM-NB-03", RootAccess="Enabled"), True, _notebook_changed("RootAccess", "Disabled")),
    Case("SM-NB-05", _notebooks("SM-NB-05", InstanceMetadataServiceConfiguration={
        "MinimumInstanceMetadataServiceVersion": "1"}), True,
         _notebook_changed("InstanceMetadataServiceConfiguration", {"MinimumInstanceMetadataServiceVersion": "2"})),
    Case("SM-REG-02", _endpoints, False, _tagged("SM-REG-02")),
]


def test_every_responsive_control_has_a_case():
    assert sorted(c.control for c in CASES) == sorted(c.id for c in load_catalog().with_mode("responsive"))


# ------------------------------------------------------------------------------ the test
@pytest.mark.parametrize("case", CASES, ids=str)
def test_remediation(case: Case, local_target, emulator):
    session = local_target.session
    control = load_catalog().get(case.control)
    module = module_for(control)
    try:
        bad, good = case.make(session, emulator)
        _run(case, control, module, local_target, bad, good)
    finally:
        if case.teardown:
            case.teardown(emulator)


def _run(case, control, module, target, bad, good):
    session = target.session
    allowed = set(module.permissions) | {"ssm:GetParametersByPath"}  # the environment's context

    # 1. the audit sees the drift and the twin
    findings = audit(target, case.control)
    assert {rid: findings[rid].status for rid in bad} == dict.fromkeys(bad, Status.FAIL), findings
    assert {rid: findings[rid].status for rid in good} == dict.fromkeys(good, Status.PASS), findings
    before = {rid: module.read(findings[rid], session) for rid in bad + good}
    kept = case.untouched(session) if case.untouched else None

    # 2. dry run: steps planned, read calls only, nothing changed
    with recording(session) as calls:
        planned = remediate(list(findings.values()), target, [control], RemediationContext(session), apply=False)
    assert mutating(calls) == []
    assert {o.finding.resource_id for o in planned} == set(bad)
    for o in planned:
        assert o.status is Status.FAIL and o.steps and o.message.startswith("would "), o.message
        assert all(c.permission in allowed for s in o.steps for c in s.calls)
        assert not [c for s in o.steps for c in s.calls if c.operation.startswith(("Delete", "Terminate"))]
    assert {rid: module.read(findings[rid], session) for rid in bad + good} == before

    # 3. apply: fixed or contained, as the re-read and the audit show; the twin untouched
    with recording(session) as calls:
        applied = remediate(list(findings.values()), target, [control], RemediationContext(session), apply=True)
    assert mutating(calls), "apply made no change"
    assert {iam_action(*c) for c in calls} <= allowed, {iam_action(*c) for c in calls} - allowed
    expected = Status.PASS if case.fixed else Status.FAIL
    for o in applied:
        assert o.status is expected, o.message
        if not case.fixed:
            assert "contained, not fixed" in o.message and "still fails" in o.message
        doc = o.to_finding("apply")
        assert doc.evidence["before"] == json.loads(json.dumps(before[o.finding.resource_id], default=str))
        assert doc.evidence["after"] and doc.evidence["applied"]
        case.changed(session, before[o.finding.resource_id], module.read(findings[o.finding.resource_id], session))
    assert {rid: module.read(findings[rid], session) for rid in good} == {rid: before[rid] for rid in good}
    if case.untouched:
        assert case.untouched(session) == kept
    again = audit(target, case.control)
    assert {rid: again[rid].status for rid in bad} == dict.fromkeys(bad, expected)
    assert {rid: again[rid].status for rid in good} == dict.fromkeys(good, Status.PASS)

    # 4. idempotent: applying the same findings again changes nothing and says why
    after = {rid: module.read(findings[rid], session) for rid in bad}
    with recording(session) as calls:
        second = remediate(list(findings.values()), target, [control], RemediationContext(session), apply=True)
    assert mutating(calls) == []
    assert {rid: module.read(findings[rid], session) for rid in bad} == after
    assert {o.finding.resource_id for o in second} == set(bad)
    for o in second:
        assert o.status is expected and not o.steps
        assert ("already contained" in o.message) if not case.fixed else ("nothing to do" in o.message)
