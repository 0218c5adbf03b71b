"""CloudTrail: trails as AWS creates them, and ``AWS::CloudTrail::Trail`` (moto skips it).

moto's CreateTrail checks only that the bucket exists. AWS also refuses a trail whose bucket
policy does not let CloudTrail write to it (InsufficientS3BucketPolicyException) and one whose
KMS key is missing, disabled or whose key policy does not let CloudTrail use it
(InsufficientEncryptionPolicyException / KmsKeyNotFoundException); this extension adds those
checks (API and CloudFormation), reports HasCustomEventSelectors/HasInsightSelectors, and
handles ``AWS::CloudTrail::Trail``: name, bucket and prefix, SNS topic, multi-region, global
events, log file validation, KMS key, CloudWatch Logs, event selectors (basic or advanced),
insight selectors, logging on/off and tags, each updatable in place.
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.common_models import CloudFormationModel

from ._support import Handler, file_under, handles, override

SERVICE = "cloudtrail.amazonaws.com"


def _backend(account_id: str, region_name: str) -> Any:
    from moto.cloudtrail.models import cloudtrail_backends

    return cloudtrail_backends[account_id][region_name]


def _error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _allows_service(policy: str | bytes | None, actions: tuple[str, ...]) -> bool:
    """Whether a resource policy has an Allow for the CloudTrail service covering one of ``actions``."""
    if not policy:
        return False
    try:
        doc = json.loads(policy.decode() if isinstance(policy, bytes) else policy)
    except ValueError:
        return False
    for st in _as_list(doc.get("Statement")):
        if st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        if principal != "*" and SERVICE not in services:
            continue
        granted = [a.lower() for a in _as_list(st.get("Action"))]
        for action in actions:
            service = action.split(":")[0]
            if action.lower() in granted or "*" in granted or f"{service}:*" in granted or \
                    any(g.endswith("*") and action.lower().startswith(g[:-1]) for g in granted):
                return True
    return False


def check_delivery(account_id: str, region_name: str, bucket_name: str, kms_key_id: str | None) -> None:
    """CloudTrail can write to the bucket and use the key, as AWS checks when a trail is saved."""
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    try:
        bucket = s3_backends[account_id][get_partition(region_name)].get_bucket(bucket_name)
    except Exception:
        raise _error("S3BucketDoesNotExistException", f"S3 bucket {bucket_name} does not exist!") from None
    if not (_allows_service(bucket.policy, ("s3:PutObject",)) and _allows_service(bucket.policy, ("s3:GetBucketAcl",))):
        raise _error("InsufficientS3BucketPolicyException",
                     f"Incorrect S3 bucket policy is detected for bucket: {bucket_name}")
    if kms_key_id:
        from moto.kms.models import kms_backends

        kms = kms_backends[account_id][region_name]
        try:
            key = kms.describe_key(kms.any_id_to_key_id(kms_key_id))
        except Exception:
            raise _error("KmsKeyNotFoundException", f"KMS key {kms_key_id} does not exist") from None
        if not key.enabled:
            raise _error("KmsKeyDisabledException", f"KMS key {kms_key_id} is disabled")
        if not _allows_service(key.policy, ("kms:GenerateDataKey", "kms:GenerateDataKey*")):
            raise _error("InsufficientEncryptionPolicyException",
                         f"Insufficient permissions to access S3 bucket {bucket_name} or KMS key {kms_key_id}.")


def _install_backend() -> None:
    from moto.cloudtrail.models import CloudTrailBackend, Trail

    import inspect

    create_signature = inspect.signature(CloudTrailBackend.create_trail)
    update_signature = inspect.signature(CloudTrailBackend.update_trail)

    @override(CloudTrailBackend)
    def create_trail(self: Any, name: str, bucket_name: str, *args: Any, **kwargs: Any) -> Any:
        kms_key_id = create_signature.bind(self, name, bucket_name, *args, **kwargs).arguments.get("kms_key_id")
        if name in self.trails:
            raise _error("TrailAlreadyExistsException", f"Trail {name} already exists for customer: {self.account_id}")
        check_delivery(self.account_id, self.region_name, bucket_name, kms_key_id)
        return create_trail.original(self, name, bucket_name, *args, **kwargs)

    @override(CloudTrailBackend)
    def update_trail(self: Any, name: str, s3_bucket_name: str | None, *args: Any, **kwargs: Any) -> Any:
        trail = self.get_trail(name)
        kms_key_id = update_signature.bind(self, name, s3_bucket_name, *args, **kwargs).arguments.get("kms_key_id")
        check_delivery(self.account_id, self.region_name, s3_bucket_name or trail.bucket_name,
                       kms_key_id if kms_key_id is not None else trail.kms_key_id)
        return update_trail.original(self, name, s3_bucket_name, *args, **kwargs)

    @override(Trail)
    def description(self: Any, include_region: bool = False) -> dict[str, Any]:
        out = description.original(self, include_region)
        out["HasCustomEventSelectors"] = bool(self.event_selectors or self.advanced_event_selectors)
        out["HasInsightSelectors"] = bool(self.insight_selectors)
        return {k: v for k, v in out.items() if v is not None}

    @override(Trail)
    def put_insight_selectors(self: Any, insight_selectors: list[dict[str, str]]) -> None:
        self.insight_selectors = list(insight_selectors)  # AWS replaces the selectors


class TrailHandler(Handler, CloudFormationModel):
    TYPE = "AWS::CloudTrail::Trail"
    NAME_PROPERTY = "TrailName"
    ATTRIBUTES = ("Arn", "SnsTopicArn")

    def create(self, resource_name: str, kwargs: dict[str, Any]) -> None:
        p = self.properties
        backend = _backend(self.account_id, self.region_name)
        name = p.get("TrailName") or resource_name[:128]
        if p.get("IsOrganizationTrail"):
            raise _error("OrganizationsNotInUseException",
                         "This account is not the management account of an organization in the embedded emulator.")
        trail = backend.create_trail(
            name=name, bucket_name=p["S3BucketName"], s3_key_prefix=p.get("S3KeyPrefix"),
            sns_topic_name=p.get("SnsTopicName"), is_global=p.get("IncludeGlobalServiceEvents", True),
            is_multi_region=p.get("IsMultiRegionTrail", False), log_validation=p.get("EnableLogFileValidation", False),
            is_org_trail=False, cw_log_group_arn=p.get("CloudWatchLogsLogGroupArn"),
            cw_role_arn=p.get("CloudWatchLogsRoleArn"), kms_key_id=p.get("KMSKeyId"), tags_list=self.tags(kwargs))
        try:
            self._selectors_and_logging(backend, trail, p)
        except Exception:
            backend.delete_trail(name)
            raise
        self.physical_id = name
        self.attributes = {"Arn": trail.arn, "SnsTopicArn": lambda: trail.topic_arn}

    @staticmethod
    def _selectors_and_logging(backend: Any, trail: Any, p: dict[str, Any]) -> None:
        if p.get("EventSelectors") and p.get("AdvancedEventSelectors"):
            raise _error("InvalidParameterCombinationException",
                         "You cannot use both EventSelectors and AdvancedEventSelectors")
        if p.get("EventSelectors") or p.get("AdvancedEventSelectors"):
            backend.put_event_selectors(trail.trail_name, p.get("EventSelectors"), p.get("AdvancedEventSelectors"))
            trail.event_selectors = p.get("EventSelectors") or []
            trail.advanced_event_selectors = p.get("AdvancedEventSelectors") or []
        else:
            trail.event_selectors, trail.advanced_event_selectors = [], []
        trail.insight_selectors = list(p.get("InsightSelectors") or [])
        if p["IsLogging"]:
            backend.start_logging(trail.trail_name)
        else:
            backend.stop_logging(trail.trail_name)

    def update(self, properties: dict[str, Any]) -> None:
        p = properties
        backend = _backend(self.account_id, self.region_name)
        trail = backend.update_trail(
            name=self.physical_id, s3_bucket_name=p["S3BucketName"], s3_key_prefix=p.get("S3KeyPrefix", ""),
            sns_topic_name=p.get("SnsTopicName", ""), include_global_service_events=p.get("IncludeGlobalServiceEvents", True),
            is_multi_region_trail=p.get("IsMultiRegionTrail", False),
            enable_log_file_validation=p.get("EnableLogFileValidation", False), is_organization_trail=False,
            cw_log_group_arn=p.get("CloudWatchLogsLogGroupArn", ""), cw_role_arn=p.get("CloudWatchLogsRoleArn", ""),
            kms_key_id=p.get("KMSKeyId", ""))
        for attr in ("s3_key_prefix", "sns_topic_name", "cw_log_group_arn", "cw_role_arn", "kms_key_id"):
            if getattr(trail, attr) == "":
                setattr(trail, attr, None)
        self._selectors_and_logging(backend, trail, p)
        current = backend.list_tags([trail.arn])[0]["TagsList"]
        new = self.retagged(current, p)
        removed = {t["Key"] for t in current} - {t["Key"] for t in new}
        if removed:
            backend.remove_tags(trail.arn, [{"Key": k} for k in removed])
        backend.add_tags(trail.arn, new)

    def remove(self) -> None:
        _backend(self.account_id, self.region_name).delete_trail(self.physical_id)


def install() -> None:
    handles(TrailHandler.TYPE)
    _install_backend()
    file_under("cloudtrail", TrailHandler)
