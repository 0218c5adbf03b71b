"""CloudWatch Logs: log groups as CloudFormation declares them.

moto's ``AWS::Logs::LogGroup`` reads the KMS key from the wrong key (it is dropped) and has
no update; moto has no AssociateKmsKey/DisassociateKmsKey. This extension applies LogGroupName, KmsKeyId, RetentionInDays, LogGroupClass and
Tags, checks them as CloudWatch Logs does (the KMS key must exist and be enabled; retention
must be one of the allowed values), and updates KMS key, retention and tags in place. ``Fn::GetAtt Arn`` ends in ``:*`` as on AWS.
The API gets ``AssociateKmsKey``/``DisassociateKmsKey``, and ``CreateLogGroup``,
``AssociateKmsKey`` and ``PutRetentionPolicy`` get the same checks.
"""

from __future__ import annotations

from typing import Any

from ._support import PropertyValidationError, checked_properties, handles, override, resource_tags

RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                  3288, 3653)
LOG_GROUP_PROPERTIES = {"LogGroupName", "KmsKeyId", "RetentionInDays", "LogGroupClass", "Tags"}


def _logs(account_id: str, region_name: str) -> Any:
    from moto.logs.models import logs_backends

    return logs_backends[account_id][region_name]


def _invalid(message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError("InvalidParameterException", message)


def check_kms_key(account_id: str, region_name: str, key_arn: str | None, group: str) -> None:
    if not key_arn:
        return
    from moto.kms.models import kms_backends

    kms = kms_backends[account_id][region_name]
    try:
        key = kms.describe_key(kms.any_id_to_key_id(key_arn))
    except Exception:
        key = None
    if key is None or not key.enabled:
        from moto.core.exceptions import JsonRESTError

        raise JsonRESTError(
            "AccessDeniedException",
            f"The specified KMS key does not exist or is not allowed to be used with "
            f"arn:aws:logs:{region_name}:{account_id}:log-group:{group}")


def check_retention(days: Any) -> None:
    if days is not None and int(days) not in RETENTION_DAYS:
        raise _invalid(f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy "
                       "constraint: Member must satisfy enum value set: "
                       f"[{', '.join(str(d) for d in RETENTION_DAYS)}]")


def _install() -> None:
    from moto.logs.models import LogGroup, LogsBackend
    from moto.logs.responses import LogsResponse

    @override(LogsBackend)
    def create_log_group(self: Any, log_group_name: str, tags: dict[str, str], **kwargs: Any) -> Any:
        check_kms_key(self.account_id, self.region_name, kwargs.get("kmsKeyId"), log_group_name)
        check_retention(kwargs.get("RetentionInDays"))
        return create_log_group.original(self, log_group_name, tags, **kwargs)

    @override(LogsBackend)
    def associate_kms_key(self: Any, log_group_name: str, kms_key_id: str) -> None:
        from moto.logs.exceptions import ResourceNotFoundException

        if log_group_name not in self.groups:
            raise ResourceNotFoundException()
        check_kms_key(self.account_id, self.region_name, kms_key_id, log_group_name)
        self.groups[log_group_name].kms_key_id = kms_key_id

    @override(LogsBackend)
    def disassociate_kms_key(self: Any, log_group_name: str) -> None:
        from moto.logs.exceptions import ResourceNotFoundException

        if log_group_name not in self.groups:
            raise ResourceNotFoundException()
        self.groups[log_group_name].kms_key_id = None

    def associate_kms_key_api(self: Any) -> str:
        self.logs_backend.associate_kms_key(self._get_param("logGroupName"), self._get_param("kmsKeyId"))
        return ""

    def disassociate_kms_key_api(self: Any) -> str:
        self.logs_backend.disassociate_kms_key(self._get_param("logGroupName"))
        return ""

    override(LogsResponse, "associate_kms_key")(associate_kms_key_api)
    override(LogsResponse, "disassociate_kms_key")(disassociate_kms_key_api)

    @override(LogsBackend)
    def put_retention_policy(self: Any, log_group_name: str, retention_in_days: int) -> None:
        check_retention(retention_in_days)
        return put_retention_policy.original(self, log_group_name, retention_in_days)

    @override(LogGroup)
    def get_cfn_attribute(self: Any, attribute_name: str) -> str:
        # CloudFormation's Arn of a log group ends in ":*" (moto's lacks it)
        if attribute_name == "Arn":
            return f"{self.arn}:*"
        return get_cfn_attribute.original(self, attribute_name)

    @override(LogGroup, kind="classmethod")
    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        logical_id = kwargs.get("LogicalId") or resource_name
        props = checked_properties("AWS::Logs::LogGroup", logical_id, cloudformation_json, LOG_GROUP_PROPERTIES)
        tags = resource_tags("AWS::Logs::LogGroup", props, account_id, region_name, {**kwargs, "LogicalId": logical_id})
        group = _logs(account_id, region_name).create_log_group(
            props.get("LogGroupName") or resource_name, {t["Key"]: t["Value"] for t in tags},
            kmsKeyId=props.get("KmsKeyId"), RetentionInDays=props.get("RetentionInDays"))
        group.log_group_class = props.get("LogGroupClass", "STANDARD")
        group.cfn_properties = props
        return group

    @override(LogGroup, kind="classmethod")
    def update_from_cloudformation_json(cls: Any, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: Any, account_id: str, region_name: str) -> Any:
        logical_id = getattr(original_resource, "logical_resource_id", new_resource_name)
        props = checked_properties("AWS::Logs::LogGroup", logical_id, cloudformation_json, LOG_GROUP_PROPERTIES)
        old = getattr(original_resource, "cfn_properties", {})
        logs = _logs(account_id, region_name)
        group = original_resource
        if (props.get("LogGroupName") or group.name) != group.name or \
                props.get("LogGroupClass", "STANDARD") != old.get("LogGroupClass", "STANDARD"):
            if props.get("LogGroupName") and props.get("LogGroupName") == old.get("LogGroupName"):
                raise PropertyValidationError(
                    "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
                    f"Rename {props['LogGroupName']} and update the stack again.")
            new = cls.create_from_cloudformation_json(props.get("LogGroupName") or new_resource_name,
                                                      cloudformation_json, account_id, region_name, LogicalId=logical_id)
            logs.delete_log_group(group.name)
            return new
        if props.get("KmsKeyId"):
            logs.associate_kms_key(group.name, props["KmsKeyId"])
        elif group.kms_key_id:
            logs.disassociate_kms_key(group.name)
        if props.get("RetentionInDays"):
            logs.put_retention_policy(group.name, props["RetentionInDays"])
        else:
            logs.delete_retention_policy(group.name)
        removed = {t["Key"] for t in old.get("Tags") or []} - {t["Key"] for t in props.get("Tags") or []}
        if removed:
            logs.untag_resource(group.arn, sorted(removed))
        if props.get("Tags"):
            logs.tag_resource(group.arn, {t["Key"]: t["Value"] for t in props["Tags"]})
        group.cfn_properties = props
        return group


def install() -> None:
    handles("AWS::Logs::LogGroup")
    _install()
