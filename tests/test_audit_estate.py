"""A live estate on the emulator for the audit tests: compliant twins and drift, per control.

(A helper module, imported by test_audit_drift.py; it holds no tests.)

``build(session_a, session_b)`` creates, in account A, two environments publishing their
context in SSM ("env-a", fully compliant, and "env-b", drifted), account-wide resources
with one deliberate violation each beside compliant twins, and, in account B, an account
whose only trail is single-region. It returns ``Expected``: per control, the resource ids
that must FAIL and those that must PASS, per account.

Every resource is compliant with every control except the ones it is named for, so the
audit must report exactly ``expected.fail`` as FAIL.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

REGION = "us-east-1"
ACCOUNT_A = "123456789012"
ACCOUNT_B = "111111111111"
TARGETS = {"staging": "222222222222", "production": "333333333333"}
INTERFACE = ["sagemaker.api", "sagemaker.runtime", "notebook", "sts", "logs", "monitoring", "kms", "ecr.api",
             "ecr.dkr", "ssm", "servicecatalog", "codeartifact.api", "codeartifact.repositories"]


@dataclass
class Expected:
    fail: dict = field(default_factory=lambda: defaultdict(set))   # (account, control) -> resource ids
    passes: dict = field(default_factory=lambda: defaultdict(set))  # (account, control) -> resource ids

    def bad(self, control: str, rid: str, account: str = ACCOUNT_A) -> None:
        self.fail[(account, control)].add(rid)

    def good(self, control: str, rid: str, account: str = ACCOUNT_A) -> None:
        self.passes[(account, control)].add(rid)


def _doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


class Builder:
    def __init__(self, session, account: str):
        self.s = session
        self.account = account
        self.c = {}

    def client(self, name):
        if name not in self.c:
            self.c[name] = self.s.client(name, region_name=REGION)
        return self.c[name]

    # ---------------------------------------------------------------- KMS
    def key(self, rotate=True, policy=None) -> str:
        kms = self.client("kms")
        kwargs = {"Policy": policy} if policy else {}
        meta = kms.create_key(**kwargs)["KeyMetadata"]
        if rotate:
            kms.enable_key_rotation(KeyId=meta["KeyId"])
        return meta["Arn"]

    # ---------------------------------------------------------------- network
    def vpc(self, cidr: str, flow_logs=True) -> str:
        ec2 = self.client("ec2")
        vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        if flow_logs:
            self.flow_logs(vpc)
        return vpc

    def flow_logs(self, vpc: str) -> None:
        answer = self.client("ec2").create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
                                                     LogDestinationType="s3",
                                                     LogDestination=f"arn:aws:s3:::{self.account}-flow-logs")
        assert not answer.get("Unsuccessful"), answer

    def default_vpc_flow_logs(self) -> None:
        for v in self.client("ec2").describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]:
            self.flow_logs(v["VpcId"])

    # ---------------------------------------------------------------- S3
    def bucket(self, name, key_arn, encrypt=True, block=True, policy="tls", versioning=True, logging_to=None,
               vpce=None, exempt_role=None) -> str:
        s3 = self.client("s3")
        s3.create_bucket(Bucket=name)
        if encrypt:
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}}]})
        # new buckets block public access (as on AWS since 2023): drift turns it off
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
            "BlockPublicAcls": block, "IgnorePublicAcls": block, "BlockPublicPolicy": block,
            "RestrictPublicBuckets": block})
        statements = []
        arns = [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]
        if policy in ("tls", "tls+vpce"):
            statements.append({"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                               "Resource": arns, "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
        if policy == "tls+vpce":
            cond = {"StringNotEquals": {"aws:sourceVpce": vpce}, "Bool": {"aws:PrincipalIsAWSService": "false"}}
            if exempt_role:
                cond["ArnNotEquals"] = {"aws:PrincipalArn": [exempt_role]}
            statements.append({"Sid": "DenyNotThroughTheEndpoint", "Effect": "Deny", "Principal": "*",
                               "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"], "Resource": arns,
                               "Condition": cond})
        if statements:
            s3.put_bucket_policy(Bucket=name, Policy=_doc(*statements))
        if versioning:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        if logging_to:
            s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={
                "LoggingEnabled": {"TargetBucket": logging_to, "TargetPrefix": f"{name}/"}})
        return name

    def trail_key(self) -> str:
        """A key CloudTrail may encrypt with (service principal, so KMS-02 is satisfied)."""
        return self.key(policy=_doc(
            {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{self.account}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "CloudTrail", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": ["kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*"}))

    def trail_bucket(self, name, key_arn, logging_to=None) -> str:
        self.bucket(name, key_arn, logging_to=logging_to)
        s3 = self.client("s3")
        policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
        policy["Statement"] += [
            {"Sid": "AclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{name}"},
            {"Sid": "Write", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{name}/AWSLogs/*"}]
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
        return name

    def log_bucket(self, name, key_arn) -> str:
        self.bucket(name, key_arn)
        s3 = self.client("s3")
        policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
        policy["Statement"].append({"Sid": "S3ServerAccessLogDelivery", "Effect": "Allow",
                                    "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
                                    "Resource": f"arn:aws:s3:::{name}/*"})
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
        return name

    # ---------------------------------------------------------------- IAM
    def role(self, name, trust, team, inline=None, managed=()) -> str:
        iam = self.client("iam")
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust),
                              Tags=[{"Key": "team", "Value": team}])["Role"]["Arn"]
        for i, doc in enumerate(inline or []):
            iam.put_role_policy(RoleName=name, PolicyName=f"inline-{i}", PolicyDocument=json.dumps(doc))
        for p in managed:
            iam.attach_role_policy(RoleName=name, PolicyArn=p)
        return arn

    def managed_policy(self, name, doc) -> str:
        return self.client("iam").create_policy(PolicyName=name, PolicyDocument=json.dumps(doc))["Policy"]["Arn"]


SAGEMAKER_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def mfa_trust(account):
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}


def saml_trust(account):
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{account}:saml-provider/corp"},
         "Action": "sts:AssumeRoleWithSAML", "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}


WORKLOADS = ["sagemaker:CreateNotebookInstance", "sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob",
             "sagemaker:CreateHyperParameterTuningJob", "sagemaker:CreateModel"]
JOBS = ["sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob", "sagemaker:CreateHyperParameterTuningJob"]


def guardrails_doc():
    """IAM-01 and IAM-02 as the environment template writes them: one Deny per condition key."""
    def deny(sid, actions, cond):
        return {"Sid": sid, "Effect": "Deny", "Action": actions, "Resource": "*", "Condition": cond}

    return {"Version": "2012-10-17", "Statement": [
        deny("NoSubnets", WORKLOADS, {"Null": {"sagemaker:VpcSubnets": "true"}}),
        deny("NoSecurityGroups", WORKLOADS, {"Null": {"sagemaker:VpcSecurityGroupIds": "true"}}),
        deny("NoVolumeKey", WORKLOADS[:4], {"Null": {"sagemaker:VolumeKmsKey": "true"}}),
        deny("NoOutputKey", JOBS, {"Null": {"sagemaker:OutputKmsKey": "true"}}),
        deny("IceFalse", JOBS, {"Bool": {"sagemaker:InterContainerTrafficEncryption": "false"}}),
        deny("IceMissing", JOBS, {"Null": {"sagemaker:InterContainerTrafficEncryption": "true"}}),
        deny("Internet", ["sagemaker:CreateNotebookInstance"], {"StringNotEquals": {"sagemaker:DirectInternetAccess": "Disabled"}}),
        deny("Root", ["sagemaker:CreateNotebookInstance"], {"StringNotEquals": {"sagemaker:RootAccess": "Disabled"}}),
    ]}


def persona_doc():
    """IAM-05: act on the caller's team's resources only, create only with the team tag."""
    team = "${aws:PrincipalTag/team}"
    creates = WORKLOADS + ["sagemaker:CreateEndpoint"]
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "List", "Effect": "Allow", "Action": ["sagemaker:List*", "sagemaker:Search"], "Resource": "*"},
        {"Sid": "Create", "Effect": "Allow", "Action": creates, "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestTag/team": team}}},
        {"Sid": "Use", "Effect": "Allow",
         "Action": ["sagemaker:Describe*", "sagemaker:Stop*", "sagemaker:DeleteModel", "sagemaker:DeleteEndpoint",
                    "sagemaker:UpdateEndpoint", "sagemaker:InvokeEndpoint", "sagemaker:StartPipelineExecution",
                    "sagemaker:CreatePresignedNotebookInstanceUrl"],
         "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/team": team}}},
        {"Sid": "DenyUntagged", "Effect": "Deny", "Action": creates, "Resource": "*",
         "Condition": {"Null": {"aws:RequestTag/team": "true"}}},
    ]}


DENY_APPROVAL = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": "sagemaker:UpdateModelPackage", "Resource": "*"}]}
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def publish(builder: Builder, env: str, values: dict) -> None:
    ssm = builder.client("ssm")
    for key, value in values.items():
        if isinstance(value, list):
            ssm.put_parameter(Name=f"/secure-mlops/{env}/{key}", Value=",".join(value) or "none", Type="StringList")
        else:
            ssm.put_parameter(Name=f"/secure-mlops/{env}/{key}", Value=str(value), Type="String")


def build_environment(b: Builder, e: Expected, env: str, cidr: str, good: bool, key: str, log_bucket: str,
                      stage: str) -> dict:
    """One environment: VPC, subnets, endpoints, buckets, roles, domain. `good=False` drifts it."""
    ec2 = b.client("ec2")
    vpc = b.vpc(cidr)
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr.replace("0.0/16", "1.0/24"))["Subnet"]["SubnetId"]
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rt, SubnetId=subnet)
    sg = ec2.create_security_group(GroupName=f"{env}-sagemaker", Description="workloads", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": cidr}]}])
    e.good("NET-02", sg)
    if not good:  # NET-05: a private route to the internet
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        e.bad("NET-05", rt)
    else:
        e.good("NET-05", rt)
    data, model = f"{env}-data", f"{env}-models"
    # S3 gateway endpoint: env-a's admits only its buckets; env-b's has the default full-access policy
    endpoint_policy = _doc({"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                            "Resource": [f"arn:aws:s3:::{data}", f"arn:aws:s3:::{data}/*", f"arn:aws:s3:::{model}",
                                         f"arn:aws:s3:::{model}/*"]},
                           {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                            "Resource": f"arn:aws:s3:::prod-{REGION}-starport-layer-bucket/*"})
    kwargs = {"PolicyDocument": endpoint_policy} if good else {}
    vpce = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.s3", VpcEndpointType="Gateway",
                                   RouteTableIds=[rt], **kwargs)["VpcEndpoint"]["VpcEndpointId"]
    (e.good if good else e.bad)("NET-04", vpce)
    services = INTERFACE if good else INTERFACE[:3]  # env-b lacks most, codeartifact's included
    for svc in services:
        full = f"aws.sagemaker.{REGION}.notebook" if svc == "notebook" else f"com.amazonaws.{REGION}.{svc}"
        ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=full, VpcEndpointType="Interface", SubnetIds=[subnet],
                                SecurityGroupIds=[sg], PrivateDnsEnabled=True)
    for control in ("NET-03", "ART-01"):
        (e.good if good else e.bad)(control, vpc)
    e.good("NET-01", vpc)

    # buckets: env-a's comply; env-b's data bucket has no versioning and no endpoint deny, its
    # model bucket no access logging and no trail data events
    pipeline_role_name = f"{env}-pipeline-execution"
    pipeline_role_arn = f"arn:aws:iam::{b.account}:role/{pipeline_role_name}"
    b.bucket(data, key, policy="tls+vpce" if good else "tls", vpce=vpce, exempt_role=pipeline_role_arn,
             versioning=good, logging_to=log_bucket)
    b.bucket(model, key, policy="tls+vpce", vpce=vpce, exempt_role=pipeline_role_arn,
             logging_to=log_bucket if good else None)
    for control in ("S3-01", "S3-02", "S3-03"):
        e.good(control, data)
        e.good(control, model)
    (e.good if good else e.bad)("S3-04", data)
    e.good("S3-04", model)
    (e.good if good else e.bad)("S3-05", data)
    e.good("S3-05", model)
    e.good("S3-06", data)
    (e.good if good else e.bad)("S3-06", model)
    e.good("LOG-02", data)
    (e.good if good else e.bad)("LOG-02", model)

    # roles
    team = f"team-{env}"
    guard = b.managed_policy(f"{env}-guardrails", guardrails_doc())
    persona = b.managed_policy(f"{env}-persona", persona_doc())
    deny_approval = b.managed_policy(f"{env}-deny-approval", DENY_APPROVAL)
    ds_name, admin_name = f"{env}-data-scientist", f"{env}-team-admin"
    if good:
        ds = b.role(ds_name, saml_trust(b.account), team, managed=[guard, persona, deny_approval])
    else:  # every IAM control broken on one role
        ds = b.role(ds_name, {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{b.account}:root"}, "Action": "sts:AssumeRole"}]},
            team, inline=[ALLOW_ALL])
    admin = b.role(admin_name, mfa_trust(b.account), team, managed=[guard, persona])
    exec_managed = [guard] + ([] if good else ["arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"])
    execution = b.role(f"{env}-sagemaker-execution", SAGEMAKER_TRUST, team, managed=exec_managed)
    pipeline = b.role(pipeline_role_name, SAGEMAKER_TRUST, team, managed=[guard, deny_approval])
    model_role = b.role(f"{env}-model-execution", SAGEMAKER_TRUST, team, managed=[guard])
    for control in ("IAM-01", "IAM-02", "IAM-05", "IAM-06"):
        (e.good if good else e.bad)(control, ds_name)
        e.good(control, admin_name)
    for control in ("IAM-01", "IAM-02"):
        for r in (f"{env}-sagemaker-execution", pipeline_role_name, f"{env}-model-execution"):
            e.good(control, r)
    (e.good if good else e.bad)("IAM-03", ds_name)
    (e.good if good else e.bad)("IAM-03", f"{env}-sagemaker-execution")
    e.good("IAM-03", pipeline_role_name)
    e.good("IAM-03", f"{env}-model-execution")
    (e.good if good else e.bad)("IAM-04", ds_name)

    # the Studio domain of the environment
    sm = b.client("sagemaker")
    settings = {"ExecutionRole": execution, "SecurityGroups": [sg]} if good else {"ExecutionRole": execution}
    domain_kwargs = {"KmsKeyId": key} if good else {}
    dom = sm.create_domain(DomainName=f"{env}-studio", AuthMode="IAM", DefaultUserSettings=settings,
                           SubnetIds=[subnet], VpcId=vpc,
                           AppNetworkAccessType="VpcOnly" if good else "PublicInternetOnly", **domain_kwargs)
    domain_id = dom.get("DomainId") or dom["DomainArn"].rsplit("/", 1)[-1]
    for control in ("SM-DOM-01", "SM-DOM-02", "SM-DOM-03", "SM-DOM-04"):
        (e.good if good else e.bad)(control, f"{env}-studio")

    values = {
        "team": team, "stage": stage, "internet-free": "true", "vpc-id": vpc, "vpc-cidr": cidr,
        "private-subnet-ids": [subnet], "sagemaker-security-group-id": sg, "s3-vpc-endpoint-id": vpce,
        "interface-endpoints": INTERFACE, "s3-kms-key-arn": key, "volume-kms-key-arn": key,
        "studio-kms-key-arn": key, "data-bucket": data, "model-bucket": model, "log-bucket": log_bucket,
        "data-scientist-role-arn": ds, "team-admin-role-arn": admin, "sagemaker-execution-role-arn": execution,
        "pipeline-execution-role-arn": pipeline, "model-execution-role-arn": model_role, "domain-id": domain_id,
        "model-package-group-name": f"{env}-models", "staging-accounts": [TARGETS["staging"]],
        "production-accounts": [TARGETS["production"]],
    }
    publish(b, env, values)
    account_env = f"{b.account}/{REGION}/{env}"
    (e.good if good else e.bad)("SM-REG-01", account_env)
    e.good("ART-01", account_env)
    return {"vpc": vpc, "subnet": subnet, "sg": sg, "domain_id": domain_id, "execution": execution, "team": team,
            "key": key}


def build(session_a, session_b) -> Expected:
    e = Expected()
    a = Builder(session_a, ACCOUNT_A)
    key = a.key()
    for control in ("S3-01", "S3-02", "S3-03"):
        e.good(control, a.bucket(f"{ACCOUNT_A}-flow-logs", key))
    a.default_vpc_flow_logs()
    e.good("KMS-01", key.rsplit("/", 1)[-1])
    e.good("KMS-02", key.rsplit("/", 1)[-1])
    norot = a.key(rotate=False)
    e.bad("KMS-01", norot.rsplit("/", 1)[-1])
    e.good("KMS-02", norot.rsplit("/", 1)[-1])
    public = a.key(policy=_doc({"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_A}:root"},
                                "Action": "kms:*", "Resource": "*"},
                               {"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                                "Resource": "*"}))
    e.bad("KMS-02", public.rsplit("/", 1)[-1])
    e.good("KMS-01", public.rsplit("/", 1)[-1])

    logs = a.log_bucket("audit-access-logs", key)
    for control in ("S3-01", "S3-02", "S3-03"):
        e.good(control, logs)
    env_a = build_environment(a, e, "env-a", "10.1.0.0/16", True, key, logs, stage="prod")
    build_environment(a, e, "env-b", "10.2.0.0/16", False, key, logs, stage="dev")

    # account-wide S3 drift (S3-01..03), each bucket compliant otherwise
    e.bad("S3-01", a.bucket("drift-unencrypted", key, encrypt=False))
    e.good("S3-02", "drift-unencrypted"), e.good("S3-03", "drift-unencrypted")
    e.bad("S3-02", a.bucket("drift-public", key, block=False))
    e.good("S3-01", "drift-public"), e.good("S3-03", "drift-public")
    e.bad("S3-03", a.bucket("drift-no-tls-policy", key, policy=None))
    e.good("S3-01", "drift-no-tls-policy"), e.good("S3-02", "drift-no-tls-policy")

    # security groups
    ec2 = a.client("ec2")
    open_sg = ec2.create_security_group(GroupName="drift-open", Description="open", VpcId=env_a["vpc"])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=open_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    e.bad("NET-02", open_sg)
    open6 = ec2.create_security_group(GroupName="drift-open6", Description="open", VpcId=env_a["vpc"])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=open6, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    e.bad("NET-02", open6)
    e.bad("NET-01", a.vpc("10.9.0.0/16", flow_logs=False))

    # trail (LOG-01) and its data events (LOG-02 / S3-06): covers every data bucket and env-a's models
    trail_key = a.trail_key()
    e.good("KMS-01", trail_key.rsplit("/", 1)[-1])
    e.good("KMS-02", trail_key.rsplit("/", 1)[-1])
    trail_bucket = a.trail_bucket("audit-trail-logs", trail_key, logging_to=logs)
    for control in ("S3-01", "S3-02", "S3-03"):
        e.good(control, trail_bucket)
    ct = a.client("cloudtrail")
    ct.create_trail(Name="org-trail", S3BucketName=trail_bucket, IsMultiRegionTrail=True,
                    EnableLogFileValidation=True, KmsKeyId=trail_key)
    ct.start_logging(Name="org-trail")
    ct.put_event_selectors(TrailName="org-trail", EventSelectors=[{
        "ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [
            {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::env-a-data/", "arn:aws:s3:::env-a-models/",
                                                   "arn:aws:s3:::env-b-data/"]}]}])
    e.good("LOG-01", f"{ACCOUNT_A}/{REGION}")

    # log groups
    lg = a.client("logs")
    lg.create_log_group(logGroupName="/secure/good", kmsKeyId=key)
    lg.put_retention_policy(logGroupName="/secure/good", retentionInDays=365)
    e.good("LOG-03", "/secure/good")
    lg.create_log_group(logGroupName="/drift/kept-forever", kmsKeyId=key)
    e.bad("LOG-03", "/drift/kept-forever")

    # container and package repositories, code pipelines
    ecr = a.client("ecr")
    ecr.create_repository(repositoryName="images", imageTagMutability="IMMUTABLE",
                          imageScanningConfiguration={"scanOnPush": True},
                          encryptionConfiguration={"encryptionType": "KMS", "kmsKey": key})
    e.good("ART-02", "images")
    ecr.create_repository(repositoryName="drift-mutable", imageTagMutability="MUTABLE",
                          imageScanningConfiguration={"scanOnPush": True},
                          encryptionConfiguration={"encryptionType": "KMS", "kmsKey": key})
    e.bad("ART-02", "drift-mutable")
    ca = a.client("codeartifact")
    ca.create_domain(domain="env-a")
    ca.create_repository(domain="env-a", repository="pypi")
    ca.associate_external_connection(domain="env-a", repository="pypi", externalConnection="public:pypi")
    artifacts = a.bucket("pipeline-artifacts", key, logging_to=logs)
    for control in ("S3-01", "S3-02", "S3-03"):
        e.good(control, artifacts)
    cp_role = a.role("codepipeline", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}]}, "ops")
    stages = [{"name": "Source", "actions": [{"name": "src", "actionTypeId": {"category": "Source", "owner": "AWS",
                                                                              "provider": "S3", "version": "1"},
                                               "configuration": {"S3Bucket": artifacts, "S3ObjectKey": "seed.zip"},
                                               "outputArtifacts": [{"name": "src"}]}]},
              {"name": "Build", "actions": [{"name": "build", "actionTypeId": {"category": "Build", "owner": "AWS",
                                                                               "provider": "CodeBuild", "version": "1"},
                                              "configuration": {"ProjectName": "p"},
                                              "inputArtifacts": [{"name": "src"}]}]}]
    cp = a.client("codepipeline")
    cp.create_pipeline(pipeline={"name": "model-build", "roleArn": cp_role, "stages": stages, "artifactStore": {
        "type": "S3", "location": artifacts, "encryptionKey": {"id": key, "type": "KMS"}}})
    e.good("ART-03", "model-build")
    cp.create_pipeline(pipeline={"name": "drift-unencrypted-artifacts", "roleArn": cp_role, "stages": stages,
                                 "artifactStore": {"type": "S3", "location": artifacts}})
    e.bad("ART-03", "drift-unencrypted-artifacts")

    a.client("codecommit").create_repository(repositoryName="seed-code", kmsKeyId=key)
    e.good("ART-03", "seed-code")

    build_sagemaker(a, e, env_a, key)

    # account B: its only trail is single-region (LOG-01), everything else is empty
    bb = Builder(session_b, ACCOUNT_B)
    kb = bb.trail_key()
    bb.bucket(f"{ACCOUNT_B}-flow-logs", kb)
    bb.default_vpc_flow_logs()
    bb.trail_bucket("b-trail-logs", kb)
    bb.client("cloudtrail").create_trail(Name="regional-only", S3BucketName="b-trail-logs",
                                         EnableLogFileValidation=True, KmsKeyId=kb)
    bb.client("cloudtrail").start_logging(Name="regional-only")
    e.bad("LOG-01", f"{ACCOUNT_B}/{REGION}", account=ACCOUNT_B)
    for control in ("S3-01", "S3-02", "S3-03"):
        e.good(control, "b-trail-logs", account=ACCOUNT_B)
        e.good(control, f"{ACCOUNT_B}-flow-logs", account=ACCOUNT_B)
    e.good("KMS-01", kb.rsplit("/", 1)[-1], account=ACCOUNT_B)
    # no environment in account B: an endpoint configuration's own stage tag decides SM-EPC-02
    smb = bb.client("sagemaker")
    vpc_b = bb.client("ec2").create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    bb.flow_logs(vpc_b)
    subnet_b = bb.client("ec2").create_subnet(VpcId=vpc_b, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    sg_b = bb.client("ec2").create_security_group(GroupName="b", Description="b", VpcId=vpc_b)["GroupId"]
    smb.create_model(ModelName="b-model", ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT_B}:role/b-model",
                     PrimaryContainer={"Image": f"{ACCOUNT_B}.dkr.ecr.{REGION}.amazonaws.com/images:1"},
                     VpcConfig={"Subnets": [subnet_b], "SecurityGroupIds": [sg_b]}, EnableNetworkIsolation=True)
    for control in ("SM-MOD-01", "SM-MOD-02", "SM-MOD-03"):
        e.good(control, "b-model", account=ACCOUNT_B)
    for name, count in (("b-prod-one-instance", 1), ("b-prod-two-instances", 2)):
        smb.create_endpoint_config(
            EndpointConfigName=name, KmsKeyId=kb, Tags=[{"Key": "stage", "Value": "prod"}],
            ProductionVariants=[{"VariantName": "v", "ModelName": "b-model", "InitialInstanceCount": count,
                                 "InstanceType": "ml.m5.large"}],
            DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 100, "KmsKeyId": kb,
                               "DestinationS3Uri": "s3://b-trail-logs/capture", "CaptureOptions": [{"CaptureMode": "Input"}]})
        e.good("SM-EPC-01", name, account=ACCOUNT_B)
        e.good("SM-EPC-03", name, account=ACCOUNT_B)
    e.bad("SM-EPC-02", "b-prod-one-instance", account=ACCOUNT_B)
    e.good("SM-EPC-02", "b-prod-two-instances", account=ACCOUNT_B)
    return e


def build_sagemaker(a: Builder, e: Expected, env: dict, key: str) -> None:
    sm = a.client("sagemaker")
    vpc = {"Subnets": [env["subnet"]], "SecurityGroupIds": [env["sg"]]}
    role = env["execution"]
    image = f"{ACCOUNT_A}.dkr.ecr.{REGION}.amazonaws.com/images:1"

    # notebooks
    def notebook(name, **over):
        kw = dict(NotebookInstanceName=name, InstanceType="ml.t3.medium", RoleArn=role, SubnetId=env["subnet"],
                  SecurityGroupIds=[env["sg"]], DirectInternetAccess="Disabled", RootAccess="Disabled", KmsKeyId=key,
                  InstanceMetadataServiceConfiguration={"MinimumInstanceMetadataServiceVersion": "2"})
        kw.update(over)
        sm.create_notebook_instance(**{k: v for k, v in kw.items() if v is not None})
        return name

    good = notebook("nb-compliant")
    nb_controls = ["SM-NB-01", "SM-NB-02", "SM-NB-03", "SM-NB-04", "SM-NB-05"]
    drift = {"SM-NB-01": notebook("nb-internet", DirectInternetAccess="Enabled"),
             # outside a VPC a notebook must have direct internet access (AWS refuses otherwise)
             "SM-NB-02": notebook("nb-no-vpc", SubnetId=None, SecurityGroupIds=None, DirectInternetAccess="Enabled"),
             "SM-NB-03": notebook("nb-root", RootAccess="Enabled"),
             "SM-NB-04": notebook("nb-no-kms", KmsKeyId=None),
             "SM-NB-05": notebook("nb-imdsv1", InstanceMetadataServiceConfiguration={
                 "MinimumInstanceMetadataServiceVersion": "1"})}
    for control in nb_controls:
        e.good(control, good)
        for c, name in drift.items():
            fails = c == control or (control == "SM-NB-01" and name == "nb-no-vpc")
            (e.bad if fails else e.good)(control, name)

    # training, processing and transform jobs (all finished at once on the emulator)
    def training(name, instances=2, **over):
        kw = dict(TrainingJobName=name, AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
                  RoleArn=role, OutputDataConfig={"S3OutputPath": "s3://env-a-models/o", "KmsKeyId": key},
                  ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": instances, "VolumeSizeInGB": 10,
                                  "VolumeKmsKeyId": key},
                  StoppingCondition={"MaxRuntimeInSeconds": 60}, VpcConfig=vpc, EnableNetworkIsolation=True,
                  EnableInterContainerTrafficEncryption=True)
        kw.update(over)
        sm.create_training_job(**{k: v for k, v in kw.items() if v is not None})
        return name

    good_tj = training("tj-compliant")
    single = training("tj-single-instance", instances=1, EnableInterContainerTrafficEncryption=False)
    drift = {"SM-JOB-01": training("tj-no-vpc", VpcConfig=None),
             "SM-JOB-02": training("tj-no-isolation", EnableNetworkIsolation=False),
             "SM-JOB-03": training("tj-no-ice", EnableInterContainerTrafficEncryption=False),
             "SM-JOB-04": training("tj-no-volume-key", ResourceConfig={
                 "InstanceType": "ml.m5.large", "InstanceCount": 2, "VolumeSizeInGB": 10})}
    for control in ("SM-JOB-01", "SM-JOB-02", "SM-JOB-03", "SM-JOB-04"):
        e.good(control, good_tj)
        if control != "SM-JOB-03":
            e.good(control, single)  # one instance: SM-JOB-03 does not apply to it
        for c, name in drift.items():
            (e.bad if c == control else e.good)(control, name)

    def processing(name, **over):
        kw = dict(ProcessingJobName=name, AppSpecification={"ImageUri": image}, RoleArn=role,
                  ProcessingResources={"ClusterConfig": {"InstanceCount": 2, "InstanceType": "ml.m5.large",
                                                         "VolumeSizeInGB": 10, "VolumeKmsKeyId": key}},
                  NetworkConfig={"EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True,
                                 "VpcConfig": vpc},
                  ProcessingOutputConfig={"Outputs": [], "KmsKeyId": key})
        kw.update(over)
        sm.create_processing_job(**kw)
        return name

    good_pj = processing("pj-compliant")
    bad_pj = processing("pj-no-vpc", NetworkConfig={"EnableNetworkIsolation": True,
                                                    "EnableInterContainerTrafficEncryption": True})
    for control in ("SM-JOB-01", "SM-JOB-02", "SM-JOB-03", "SM-JOB-04"):
        e.good(control, good_pj)
        (e.bad if control == "SM-JOB-01" else e.good)(control, bad_pj)

    # model packages (SM-REG-01, SM-REG-04) and groups (SM-REG-03)
    sm.create_model_package_group(ModelPackageGroupName="env-a-models")
    sm.put_model_package_group_policy(ModelPackageGroupName="env-a-models", ResourcePolicy=_doc(
        {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{TARGETS['staging']}:root",
                                                  f"arn:aws:iam::{TARGETS['production']}:root"]},
         "Action": ["sagemaker:DescribeModelPackage"], "Resource": "*"}))
    e.good("SM-REG-03", "env-a-models")
    sm.create_model_package_group(ModelPackageGroupName="drift-shared-out")
    sm.put_model_package_group_policy(ModelPackageGroupName="drift-shared-out", ResourcePolicy=_doc(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
         "Action": ["sagemaker:DescribeModelPackage"], "Resource": "*"}))
    e.bad("SM-REG-03", "drift-shared-out")

    lineage = dict(MetadataProperties={"GeneratedBy": f"arn:aws:sagemaker:{REGION}:{ACCOUNT_A}:pipeline/p/execution/x"},
                   ModelMetrics={"ModelQuality": {"Statistics": {"ContentType": "application/json",
                                                                 "S3Uri": "s3://env-a-models/eval.json"}}},
                   CustomerMetadataProperties={"training_data": "s3://env-a-data/train", "registered_by": role})
    spec = {"Containers": [{"Image": image, "ModelDataUrl": "s3://env-a-models/m.tar.gz"}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}

    def package(status="PendingManualApproval", group="env-a-models", **over):
        kw = dict(ModelPackageGroupName=group, InferenceSpecification=spec, ModelApprovalStatus=status, **lineage)
        kw.update(over)
        return sm.create_model_package(**{k: v for k, v in kw.items() if v is not None})["ModelPackageArn"]

    approved = package()
    sm.update_model_package(ModelPackageArn=approved, ModelApprovalStatus="Approved")
    pending = package()
    created_approved = package(status="Approved")
    no_lineage = package(CustomerMetadataProperties={"registered_by": role})
    unversioned = package(group=None, ModelPackageName="drift-unversioned")

    def label(arn):
        parts = arn.split("model-package/", 1)[1]
        return parts

    for arn in (approved, pending, no_lineage):
        e.good("SM-REG-01", label(arn))
    e.bad("SM-REG-01", label(created_approved))
    e.bad("SM-REG-01", "drift-unversioned")
    for arn in (approved, pending, created_approved):
        e.good("SM-REG-04", label(arn))
    e.good("SM-REG-04", "drift-unversioned")
    e.bad("SM-REG-04", label(no_lineage))

    # models, endpoint configs, endpoints
    def model(name, **over):
        kw = dict(ModelName=name, ExecutionRoleArn=role, PrimaryContainer={"Image": image}, VpcConfig=vpc,
                  EnableNetworkIsolation=True)
        kw.update(over)
        sm.create_model(**{k: v for k, v in kw.items() if v is not None})
        return name

    m_approved = model("m-approved", PrimaryContainer={"Image": image, "ModelPackageName": approved})
    m_pending = model("m-pending", PrimaryContainer={"Image": image, "ModelPackageName": pending})
    drift = {"SM-MOD-01": model("m-no-isolation", EnableNetworkIsolation=False),
             "SM-MOD-02": model("m-no-vpc", VpcConfig=None),
             "SM-MOD-03": model("m-public-image", PrimaryContainer={"Image": "docker.io/library/python:3.11"})}
    for control in ("SM-MOD-01", "SM-MOD-02", "SM-MOD-03"):
        for good_model in (m_approved, m_pending):
            e.good(control, good_model)
        for c, name in drift.items():
            (e.bad if c == control else e.good)(control, name)

    def endpoint_config(name, model_name, count=2, **over):
        kw = dict(EndpointConfigName=name, KmsKeyId=key,
                  ProductionVariants=[{"VariantName": "v", "ModelName": model_name, "InitialInstanceCount": count,
                                       "InstanceType": "ml.m5.large"}],
                  DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 100,
                                     "DestinationS3Uri": "s3://env-a-models/capture", "KmsKeyId": key,
                                     "CaptureOptions": [{"CaptureMode": "Input"}]})
        kw.update(over)
        sm.create_endpoint_config(**{k: v for k, v in kw.items() if v is not None})
        return name

    epc_good = endpoint_config("epc-approved", m_approved)
    epc_pending = endpoint_config("epc-pending", m_pending)
    drift = {"SM-EPC-01": endpoint_config("epc-no-kms", m_approved, KmsKeyId=None),
             "SM-EPC-02": endpoint_config("epc-one-instance", m_approved, count=1),  # no stage tag: env-a's prod
             "SM-EPC-03": endpoint_config("epc-no-capture", m_approved, DataCaptureConfig=None)}
    for control in ("SM-EPC-01", "SM-EPC-02", "SM-EPC-03"):
        e.good(control, epc_good)
        e.good(control, epc_pending)
        for c, name in drift.items():
            (e.bad if c == control else e.good)(control, name)
    # its own stage tag says staging: SM-EPC-02 does not apply to it (no finding), though env-a is prod
    staging = endpoint_config("epc-staging-one-instance", m_approved, count=1, Tags=[{"Key": "stage", "Value": "staging"}])
    e.good("SM-EPC-01", staging)
    e.good("SM-EPC-03", staging)
    sm.create_endpoint(EndpointName="ep-approved", EndpointConfigName=epc_good)
    sm.create_endpoint(EndpointName="ep-unapproved-model", EndpointConfigName=epc_pending)
    e.good("SM-REG-02", "ep-approved")
    e.bad("SM-REG-02", "ep-unapproved-model")

    # transform jobs (SM-JOB-04)
    def transform(name, **over):
        kw = dict(TransformJobName=name, ModelName=m_approved,
                  TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://env-a-data/in"}}},
                  TransformOutput={"S3OutputPath": "s3://env-a-models/out", "KmsKeyId": key},
                  TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeKmsKeyId": key})
        kw.update(over)
        sm.create_transform_job(**kw)
        return name

    e.good("SM-JOB-04", transform("tr-compliant"))
    e.bad("SM-JOB-04", transform("tr-no-output-key", TransformOutput={"S3OutputPath": "s3://env-a-models/out"}))

    # pipelines (SM-PIPE-01): parameters resolved to their defaults
    def definition(isolation):
        return json.dumps({"Version": "2020-12-01", "Parameters": [
            {"Name": "VolumeKmsKeyId", "Type": "String", "DefaultValue": key}], "Steps": [
            {"Name": "Train", "Type": "Training", "Arguments": {
                "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"}, "RoleArn": role,
                "OutputDataConfig": {"S3OutputPath": "s3://env-a-models/o", "KmsKeyId": key},
                "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 30,
                                   "VolumeKmsKeyId": {"Get": "Parameters.VolumeKmsKeyId"}},
                "StoppingCondition": {"MaxRuntimeInSeconds": 3600}, "VpcConfig": vpc,
                "EnableNetworkIsolation": isolation, "EnableInterContainerTrafficEncryption": True}}]})

    sm.create_pipeline(PipelineName="pipe-compliant", RoleArn=role, PipelineDefinition=definition(True))
    sm.create_pipeline(PipelineName="pipe-no-isolation", RoleArn=role, PipelineDefinition=definition(False))
    e.good("SM-PIPE-01", "pipe-compliant")
    e.bad("SM-PIPE-01", "pipe-no-isolation")

    # model monitoring job definitions (SM-MON-01)
    def monitoring(name, **net):
        network = {"EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True, **net}
        sm.create_data_quality_job_definition(
            JobDefinitionName=name, DataQualityAppSpecification={"ImageUri": image},
            DataQualityJobInput={"EndpointInput": {"EndpointName": "ep-approved", "LocalPath": "/opt/ml/processing/input"}},
            DataQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {"S3Uri": "s3://env-a-models/mon",
                                                                            "LocalPath": "/opt/ml/processing/output"}}],
                                        "KmsKeyId": key},
            JobResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10,
                                            "VolumeKmsKeyId": key}},
            NetworkConfig=network, RoleArn=role)
        return name

    e.good("SM-MON-01", monitoring("dq-compliant"))
    e.bad("SM-MON-01", monitoring("dq-not-isolated", EnableNetworkIsolation=False))

    # Studio user profiles (SM-UP-01) in env-a's domain (default role: env-a's, tagged with its team)
    for name, tags, ok in (("alice", {"team": env["team"], "owner": "alice@example.com"}, True),
                           ("drift-no-owner", {"team": env["team"]}, False),
                           ("drift-other-team", {"team": "someone-else", "owner": "bob@example.com"}, False)):
        sm.create_user_profile(DomainId=env["domain_id"], UserProfileName=name,
                               Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
        (e.good if ok else e.bad)("SM-UP-01", f"{env['domain_id']}/{name}")
