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


def audit_offline(control_ids, type_class, resources, others=()):
    """Audit `control_ids` over `resources` of `type_class` (and empty listings of `others`)."""
    import boto3

    from secure_mlops.audit.cache import RUN_CACHE_KEY
    from secure_mlops.audit.context import AuditContext
    from secure_mlops.audit.runner import AccountRegionAudit, plan, setup
    from secure_mlops.audit.stats import AuditStats
    from secure_mlops.audit.verdicts import merge
    from secure_mlops.controls import load_catalog

    setup()
    actx = AuditContext(ACCOUNT, REGION)
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
    assert "DefaultEncryption.SSEAlgorithm is 'AES256'" in out[("S3-01", "plain")].message
    assert out[("S3-03", "good")].status is Status.PASS
    assert out[("S3-03", "good")].evidence["denied_by_statements"] == ["0"]
    assert out[("S3-03", "plain")].status is Status.FAIL
    assert "no bucket policy" in out[("S3-03", "plain")].message


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
