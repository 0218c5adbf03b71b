"""From c7n's matches to PASS / FAIL / ERROR, offline: the run cache is filled by hand, so
no call is made and each case says exactly what the resource type would have read."""

from __future__ import annotations

import pytest

from secure_mlops.audit.resources.base import ERRORS
from secure_mlops.findings import Status

ACCOUNT, REGION = "123456789012", "us-east-1"

TLS_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::{b}", "arn:aws:s3:::{b}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}


def bucket(name, kms=True, policy=True, errors=None):
    r = {"Name": name, "Arn": f"arn:aws:s3:::{name}",
         "DefaultEncryption": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k"} if kms else {"SSEAlgorithm": "AES256"},
         "PublicAccessBlock": dict.fromkeys(["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                             "RestrictPublicBuckets"], True),
         "Policy": _policy(name) if policy else None, "Versioning": {"Status": "Enabled"}, "Logging": None}
    if errors:
        r[ERRORS] = errors
    return r


def _policy(name):
    import json

    return json.loads(json.dumps(TLS_POLICY).replace("{b}", name))


@pytest.fixture(autouse=True)
def nowhere(monkeypatch):
    """Any call that slipped past the cache would fail at once, never reach AWS."""
    from secure_mlops.provision.emulator.server import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")


def audit_offline(control_ids, type_class, resources, others=(), environments=()):
    """Audit `control_ids` over `resources` of `type_class` (and empty listings of `others`),
    knowing `environments` ({name: {parameter key: value}})."""
    import boto3

    from secure_mlops.audit.cache import RUN_CACHE_KEY
    from secure_mlops.audit.context import AuditContext
    from secure_mlops.audit.runner import AccountRegionAudit, plan, setup
    from secure_mlops.audit.stats import AuditStats
    from secure_mlops.audit.verdicts import merge
    from secure_mlops.controls import load_catalog
    from secure_mlops.envcontext import EnvironmentContext

    setup()
    actx = AuditContext(ACCOUNT, REGION, environments=[EnvironmentContext(n, dict(v)) for n, v in dict(environments).items()])
    stats = AuditStats()
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name=REGION)
    run = AccountRegionAudit(session, ACCOUNT, REGION, stats, actx.account_variables())
    cache = run.options[RUN_CACHE_KEY]
    for name, listed in ((type_class, resources), *((o, []) for o in others)):
        key = {"account": ACCOUNT, "region": REGION, "resource": name, "source": "describe", "q": None}
        with cache:
            assert cache.get(key) is None
            cache.save(key, listed)
    controls = [load_catalog().get(c) for c in control_ids]
    findings = merge([f for job in plan(controls, actx) for f in run.run(job)])
    assert stats.total_calls == 0
    return {(f.control_id, f.resource_id): f for f in findings}


def test_pass_fail_and_evidence():
    out = audit_offline(["S3-01", "S3-03"], "Bucket", [bucket("good"), bucket("plain", kms=False, policy=False)])
    assert out[("S3-01", "good")].status is Status.PASS
    assert out[("S3-01", "plain")].status is Status.FAIL
    assert out[("S3-01", "plain")].evidence["DefaultEncryption.SSEAlgorithm"] == "AES256"
    assert out[("S3-01", "plain")].message == (
        "Bucket plain is not encrypted by default with a KMS key: DefaultEncryption.SSEAlgorithm is 'AES256'; "
        "DefaultEncryption.KMSMasterKeyID is not set.")
    assert out[("S3-03", "good")].status is Status.PASS
    assert out[("S3-03", "good")].evidence["denied_by_statements"] == ["0"]
    assert out[("S3-03", "plain")].status is Status.FAIL
    assert out[("S3-03", "plain")].message == (
        "Bucket plain does not refuse requests sent without TLS: the bucket has no bucket policy.")


def test_an_attribute_that_could_not_be_read_is_error_only_for_the_controls_reading_it():
    denied = bucket("denied", policy=False, errors={"Policy": "GetBucketPolicy: AccessDenied"})
    out = audit_offline(["S3-01", "S3-03"], "Bucket", [denied])
    assert out[("S3-01", "denied")].status is Status.PASS  # encryption was read
    assert out[("S3-03", "denied")].status is Status.ERROR  # the policy was not: never PASS
    assert "AccessDenied" in out[("S3-03", "denied")].message


def test_a_resource_that_could_not_be_described_is_error_for_every_control():
    broken = {"Name": "broken", "Arn": "arn:aws:s3:::broken", ERRORS: {"*": "the target answered HTTP 500"}}
    out = audit_offline(["S3-01", "S3-02", "S3-03"], "Bucket", [broken])
    assert {f.status for f in out.values()} == {Status.ERROR}


def test_context_missing_is_error_naming_the_parameters():
    out = audit_offline(["S3-05"], "Bucket", [bucket("good")])
    (finding,) = out.values()
    assert finding.status is Status.ERROR and "env_buckets" in finding.message


@pytest.mark.parametrize("scope_count,expected", [(1, set()), (2, {Status.FAIL})])
def test_out_of_scope_resources_get_no_finding(scope_count, expected):
    """SM-JOB-03 applies to jobs on more than one instance only."""
    job = {"TrainingJobName": "j", "TrainingJobArn": "arn:aws:sagemaker:us-east-1:1:training-job/j",
           "ResourceConfig": {"InstanceCount": scope_count}, "EnableInterContainerTrafficEncryption": False}
    out = audit_offline(["SM-JOB-03"], "TrainingJob", [job], others=["ProcessingJob"])
    assert {f.status for f in out.values()} == expected


def test_a_job_that_could_not_be_described_is_error_not_out_of_scope():
    """Scope filters cannot be decided on a resource whose describe failed: ERROR, never skipped."""
    job = {"TrainingJobName": "j", "TrainingJobArn": "arn:aws:sagemaker:us-east-1:1:training-job/j",
           ERRORS: {"*": "DescribeTrainingJob: AccessDeniedException"}}
    out = audit_offline(["SM-JOB-03"], "TrainingJob", [job], others=["ProcessingJob"])
    (finding,) = out.values()
    assert finding.status is Status.ERROR and "AccessDeniedException" in finding.message


def test_a_key_that_could_not_be_described_is_error_not_skipped():
    """KMS-01/02 scope keys by what DescribeKey returns: a key it refuses is judged ERROR, never dropped."""
    arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/"
    keys = [{"KeyId": "denied", "KeyArn": arn + "denied", "Aliases": [],
             ERRORS: {"*": "DescribeKey: AccessDeniedException"}},
            {"KeyId": "aws", "KeyArn": arn + "aws", "Aliases": ["alias/aws/s3"], "KeyManager": "AWS"},
            {"KeyId": "asym", "KeyArn": arn + "asym", "Aliases": [], "KeyManager": "CUSTOMER",
             "KeySpec": "RSA_2048", "Origin": "AWS_KMS", "KeyState": "Enabled", "Policy": None}]
    out = audit_offline(["KMS-01", "KMS-02"], "KmsKey", keys)
    verdicts = {key: f.status for key, f in out.items()}
    assert verdicts == {("KMS-01", "denied"): Status.ERROR, ("KMS-02", "denied"): Status.ERROR,
                        ("KMS-02", "asym"): Status.PASS}  # AWS managed: out of scope; asymmetric: no rotation
    assert "AccessDeniedException" in out[("KMS-01", "denied")].message


# ------------------------------------------------------------------------------ SM-EPC-02 (review item 5)
def endpoint_config(name, counts=(1,), stage=None, tags_unreadable=False, serverless=False):
    variants = [{"VariantName": f"v{i}", "ModelName": "m", "InitialInstanceCount": n, "InstanceType": "ml.m5.large"}
                for i, n in enumerate(counts)]
    if serverless:
        variants = [{"VariantName": "s", "ModelName": "m", "ServerlessConfig": {"MaxConcurrency": 5,
                                                                                "MemorySizeInMB": 2048}}]
    r = {"EndpointConfigName": name, "EndpointConfigArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config/{name}",
         "ProductionVariants": variants, "Tags": {"stage": stage} if stage else {}}
    if tags_unreadable:
        r["Tags"] = None
        r[ERRORS] = {"Tags": "ListTags: AccessDeniedException"}
    return r


EPCS = [endpoint_config("prod-one", stage="prod"), endpoint_config("prod-two", (2, 3), stage="prod"),
        endpoint_config("prod-mixed", (2, 1), stage="prod"), endpoint_config("prod-serverless", stage="prod",
                                                                             serverless=True),
        endpoint_config("staging-one", stage="staging"), endpoint_config("untagged-one"),
        endpoint_config("untagged-two", (2,)), endpoint_config("tags-unreadable", tags_unreadable=True)]


def test_endpoint_configs_tagged_prod_are_judged_without_environment_context():
    out = audit_offline(["SM-EPC-02"], "EndpointConfig", EPCS)
    verdicts = {rid: f.status for (_, rid), f in out.items()}
    assert verdicts == {"prod-one": Status.FAIL, "prod-two": Status.PASS, "prod-mixed": Status.FAIL,
                        "prod-serverless": Status.PASS,  # no instance count to judge (as the gate)
                        # no stage tag and no environment: not evaluated, each one named
                        "untagged-one": Status.ERROR, "untagged-two": Status.ERROR, "tags-unreadable": Status.ERROR}
    assert out[("SM-EPC-02", "prod-one")].message == (
        "Endpoint configuration prod-one is tagged stage=prod but runs a production variant on fewer than "
        "two instances.")
    assert "needs the environment's stage" in out[("SM-EPC-02", "untagged-one")].message
    assert set(out[("SM-EPC-02", "prod-one")].evidence) == {"Tags.stage", "ProductionVariants", "Tags"}


@pytest.mark.parametrize("stage,untagged_one", [("prod", Status.FAIL), ("dev", None)])
def test_endpoint_configs_without_stage_tag_take_the_environments_stage(stage, untagged_one):
    out = audit_offline(["SM-EPC-02"], "EndpointConfig", EPCS, environments={"team-env": {"stage": stage}})
    verdicts = {rid: f.status for (_, rid), f in out.items()}
    assert verdicts.get("untagged-one") is untagged_one
    assert verdicts.get("untagged-two") is (Status.PASS if stage == "prod" else None)
    assert verdicts["prod-one"] is Status.FAIL and "staging-one" not in verdicts  # their own tag decides
    assert verdicts["tags-unreadable"] is Status.ERROR  # its stage cannot be known: never skipped
    if stage == "prod":
        assert "stage of environment team-env (prod)" in out[("SM-EPC-02", "untagged-one")].message
