"""Planning decisions the emulator cannot show (it has no Stopping or Pending notebook
instance), checked offline with botocore's Stubber: each expected request is validated against
the service's API model, and any other call fails the test."""

from __future__ import annotations

import pytest

from secure_mlops.controls import load_catalog
from secure_mlops.findings import Finding, Status
from secure_mlops.remediations.base import NoRemedy, tag_value
from secure_mlops.remediations.context import RemediationContext
from secure_mlops.remediations.registry import module_for

NB_ARN = "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/nb"


class StubbedSession:
    """A boto3 session whose clients answer only the stubbed calls, in order."""

    def __init__(self):
        import boto3

        self._session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1")
        self.region_name = "us-east-1"
        self.clients, self.stubbers = {}, {}

    def client(self, service, **_):
        from botocore.stub import Stubber

        if service not in self.clients:
            self.clients[service] = self._session.client(service)
            self.stubbers[service] = Stubber(self.clients[service])
            self.stubbers[service].activate()
        return self.clients[service]

    def expect(self, service, operation, response, params=None):
        self.client(service)
        self.stubbers[service].add_response(operation, response, params)

    def done(self):
        for s in self.stubbers.values():
            s.assert_no_pending_responses()


def finding(control_id, resource_id, resource_type, arn=None):
    control = load_catalog().get(control_id)
    return Finding(control_id=control_id, status=Status.FAIL, severity=control.severity,
                   questions=list(control.questions), source="live", resource_type=resource_type,
                   resource_id=resource_id, message="fails", resource_arn=arn, account="123456789012",
                   region="us-east-1", evidence={})


def notebook(session, status, root="Enabled", tags=()):
    session.expect("sagemaker", "describe_notebook_instance", {
        "NotebookInstanceName": "nb", "NotebookInstanceArn": NB_ARN, "NotebookInstanceStatus": status,
        "RootAccess": root, "DirectInternetAccess": "Enabled"}, {"NotebookInstanceName": "nb"})
    session.expect("sagemaker", "list_tags", {"Tags": [{"Key": k, "Value": v} for k, v in tags]},
                   {"ResourceArn": NB_ARN})


def plan_nb(control_id, session):
    module = module_for(load_catalog().get(control_id))
    steps = module.plan(finding(control_id, "nb", "AWS::SageMaker::NotebookInstance", NB_ARN), session,
                        RemediationContext(session, now="2026-01-01T00:00:00Z"))
    session.done()
    return [(c.operation, c.wait) for s in steps for c in s.calls]


@pytest.mark.parametrize("status,expected", [
    ("InService", [("StopNotebookInstance", False), ("notebook_instance_stopped", True),
                   ("UpdateNotebookInstance", False), ("AddTags", False)]),
    ("Pending", [("notebook_instance_in_service", True), ("StopNotebookInstance", False),
                 ("notebook_instance_stopped", True), ("UpdateNotebookInstance", False), ("AddTags", False)]),
    ("Stopping", [("notebook_instance_stopped", True), ("UpdateNotebookInstance", False), ("AddTags", False)]),
    ("Stopped", [("UpdateNotebookInstance", False), ("AddTags", False)]),
])
def test_a_notebook_is_stopped_according_to_its_status_before_it_is_updated(status, expected):
    session = StubbedSession()
    notebook(session, status)
    assert plan_nb("SM-NB-03", session) == expected


def test_a_notebook_being_deleted_is_left_alone():
    session = StubbedSession()
    notebook(session, "Deleting", root="Enabled")
    with pytest.raises(NoRemedy, match="being deleted"):
        plan_nb("SM-NB-03", session)


def test_a_restarted_contained_notebook_is_stopped_again():
    tag = ("secure-mlops:remediation:SM-NB-01", "2025-12-01T00:00:00Z SM-NB-01 stopped")
    session = StubbedSession()
    notebook(session, "Stopped", tags=[tag])
    with pytest.raises(NoRemedy, match="already contained"):
        plan_nb("SM-NB-01", session)
    session = StubbedSession()
    notebook(session, "InService", tags=[tag])
    assert plan_nb("SM-NB-01", session) == [("StopNotebookInstance", False), ("notebook_instance_stopped", True),
                                            ("AddTags", False)]


def test_the_tls_deny_keeps_statements_and_picks_a_free_sid():
    import json

    existing = {"Version": "2012-10-17", "Id": "p", "Statement": {
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}}
    session = StubbedSession()
    session.expect("s3", "get_bucket_policy", {"Policy": json.dumps(existing)}, {"Bucket": "b"})
    module = module_for(load_catalog().get("S3-03"))
    (step,) = module.plan(finding("S3-03", "b", "AWS::S3::Bucket"), session)
    new = json.loads(step.calls[0].params["Policy"])
    assert new["Id"] == "p" and new["Statement"][0] == existing["Statement"]  # a partial deny is kept as it was
    assert new["Statement"][1]["Sid"] == "SecureMlopsDenyInsecureTransport"
    assert module.denies_insecure_transport(new, "b") and not module.denies_insecure_transport(existing, "b")


def test_log_01_starts_the_trail_that_makes_the_control_pass():
    session = StubbedSession()
    trails = [{"Name": n, "TrailARN": f"arn:aws:cloudtrail:us-east-1:123456789012:trail/{n}", "HomeRegion": home,
               "IsMultiRegionTrail": multi, "LogFileValidationEnabled": valid, **({"KmsKeyId": "k"} if valid else {})}
              for n, home, multi, valid in (("a-plain", "us-east-1", True, False), ("b-good", "us-east-1", True, True),
                                            ("c-other-home", "eu-west-1", True, True), ("d-regional", "us-east-1",
                                                                                          False, True))]
    session.expect("cloudtrail", "describe_trails", {"trailList": trails}, {"includeShadowTrails": False})
    for t in trails:
        session.expect("cloudtrail", "get_trail_status", {"IsLogging": False}, {"Name": t["TrailARN"]})
    module = module_for(load_catalog().get("LOG-01"))
    (step,) = module.plan(finding("LOG-01", "123456789012/us-east-1", "AWS::Account"), session)
    assert step.calls[0].params == {"Name": trails[1]["TrailARN"]} and not step.contains_only


def test_tag_values_only_carry_characters_aws_accepts():
    assert tag_value("2026-01-01T00:00:00Z model m serves arn:...:1, which is 'Rejected' (x); y") == \
        "2026-01-01T00:00:00Z model m serves arn:...:1  which is  Rejected   x   y"
    assert len(tag_value("x" * 400)) == 256
