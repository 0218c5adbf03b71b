"""AWS CloudTrail: trails (logging on, bucket, KMS key, log file validation, scope, data events)."""

from __future__ import annotations

from . import reader


@reader("AWS::CloudTrail::Trail")
def trail(r):
    ct = r.client("cloudtrail")
    name = r.physical_id
    trails = ct.get_trail(Name=name)
    got = trails["Trail"]
    r.attributes.update(Arn=got.get("TrailARN"), SnsTopicArn=got.get("SnsTopicARN"))
    r.compare("TrailName", got.get("Name"))
    r.compare("IsLogging", ct.get_trail_status(Name=name).get("IsLogging"))
    r.compare("S3BucketName", got.get("S3BucketName"))
    r.compare("S3KeyPrefix", got.get("S3KeyPrefix"))
    r.compare("KMSKeyId", got.get("KmsKeyId"), kind="kms")
    r.compare("EnableLogFileValidation", got.get("LogFileValidationEnabled"), default=False)
    r.compare("IsMultiRegionTrail", got.get("IsMultiRegionTrail"), default=False)
    r.compare("IncludeGlobalServiceEvents", got.get("IncludeGlobalServiceEvents"), default=True)
    r.compare("IsOrganizationTrail", got.get("IsOrganizationTrail"), default=False)
    r.compare("CloudWatchLogsLogGroupArn", got.get("CloudWatchLogsLogGroupArn"))
    r.compare("CloudWatchLogsRoleArn", got.get("CloudWatchLogsRoleArn"))
    r.compare("SnsTopicName", got.get("SnsTopicName"))
    declares_selectors = any(r.declared(p, default=None) is not None
                             for p in ("EventSelectors", "AdvancedEventSelectors"))
    if declares_selectors:
        selectors = ct.get_event_selectors(TrailName=name)
        r.compare("EventSelectors", selectors.get("EventSelectors"))
        r.compare("AdvancedEventSelectors", selectors.get("AdvancedEventSelectors"))
