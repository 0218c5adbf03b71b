"""S3: the defaults AWS gives new buckets, bucket policies as S3 checks them, and the
bucket properties moto's CloudFormation drops.

- New buckets get what AWS gives every bucket since 2023: SSE-S3 default encryption, all four
  Block Public Access settings on and Object Ownership "BucketOwnerEnforced".
  DeleteBucketEncryption returns a bucket to SSE-S3 (a bucket is never unencrypted).
- Bucket policies are evaluated for each object request as AWS does (moto ignores their
  conditions, so a TLS-only Deny denies everything): conditions on aws:SecureTransport (the
  emulator stands in for HTTPS endpoints: true), aws:PrincipalArn (an assumed role's ARN with
  its path)/Account, aws:SourceVpce and aws:SourceVpc, encryption headers.
- Network placement (``emulator/network.py``, a simulation): a request that carries the
  ``x-secure-mlops-emulator-source-vpce`` header comes through that S3 gateway endpoint:
  aws:SourceVpce/aws:SourceVpc are set and the endpoint's policy is evaluated too (anything
  it does not allow is denied, as AWS does for endpoint policies). A header naming anything
  but an S3 gateway endpoint of the caller's account and region is refused (AccessDenied).
  Without the header, requests come from outside any VPC (the keys are absent).
- PutBucketLogging checks log-delivery grants only where the target bucket uses ACLs (with
  Object Ownership "BucketOwnerEnforced" delivery is granted by bucket policy).
- PutBucketPolicy rejects what S3 rejects: a policy that is not a JSON object with
  statements, a Resource outside the bucket ("Policy has invalid resource"), and a public
  policy while the bucket blocks public policies (AccessDenied).
- ``AWS::S3::Bucket`` applies every property the project's templates use: BucketEncryption
  (all rules, BucketKeyEnabled), PublicAccessBlockConfiguration, VersioningConfiguration,
  LoggingConfiguration, OwnershipControls, ObjectLockEnabled/ObjectLockConfiguration,
  LifecycleConfiguration, CorsConfiguration and Tags; on update a property the template no
  longer declares is reset as CloudFormation does. A property the emulator does not implement
  fails the resource rather than being dropped.
- ``AWS::S3::BucketPolicy`` is handled (moto skips it).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from moto.core.common_models import CloudFormationModel

from ..network import SOURCE_VPCE_HEADER
from ._conditions import ALLOW, DENY, evaluate, request_context
from ._support import Handler, checked_properties, file_under, handles, override, resource_tags

#: the request S3 is serving (moto's server is threaded: one request per thread)
_REQUEST = threading.local()

#: AWS::S3::Bucket properties the emulator applies (others fail the resource)
BUCKET_PROPERTIES = {
    "BucketName", "BucketEncryption", "PublicAccessBlockConfiguration", "VersioningConfiguration",
    "LoggingConfiguration", "OwnershipControls", "ObjectLockEnabled", "ObjectLockConfiguration",
    "LifecycleConfiguration", "CorsConfiguration", "Tags",
}

DEFAULT_ENCRYPTION = {"Rule": {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                               "BucketKeyEnabled": "false"}}

#: condition keys whose fixed values make an Allow-to-everyone statement non-public (S3's rule)
_RESTRICTING_KEYS = {
    "aws:sourcevpce", "aws:sourcevpc", "aws:sourceaccount", "aws:sourceowner", "aws:sourcearn",
    "aws:principalorgid", "aws:principalaccount", "aws:principalarn", "aws:userid", "aws:sourceip",
    "aws:principalorgpaths", "aws:sourceorgid", "aws:sourceorgpaths", "s3:dataaccesspointaccount",
    "s3:dataaccesspointarn",
}


def _backend(account_id: str, region_name: str) -> Any:
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    return s3_backends[account_id][get_partition(region_name)]


def _error(code: str, message: str) -> Exception:
    from moto.s3.exceptions import S3ClientError

    return S3ClientError(code, message)


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def is_public_statement(statement: dict[str, Any]) -> bool:
    """An Allow to every principal that no fixed-value condition narrows down."""
    if statement.get("Effect") != "Allow":
        return False
    principal = statement.get("Principal")
    everyone = principal == "*" or (isinstance(principal, dict) and "*" in _as_list(principal.get("AWS", [])))
    if not everyone:
        return False
    for operator, conditions in (statement.get("Condition") or {}).items():
        if "IfExists" in operator or not isinstance(conditions, dict):
            continue
        for key, values in conditions.items():
            if key.lower() in _RESTRICTING_KEYS and not any("*" in str(v) for v in _as_list(values)):
                return False
    return True


def check_bucket_policy(bucket: Any, policy: str | bytes) -> dict[str, Any]:
    text = policy.decode() if isinstance(policy, bytes) else policy
    try:
        doc = json.loads(text)
    except ValueError:
        raise _error("MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'") from None
    if not isinstance(doc, dict) or not doc.get("Statement"):
        raise _error("MalformedPolicy", "Missing required field Statement")
    for statement in _as_list(doc["Statement"]):
        if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
            raise _error("MalformedPolicy", "Invalid effect")
        if "Action" not in statement and "NotAction" not in statement:
            raise _error("MalformedPolicy", "Missing required field Action")
        if "Principal" not in statement and "NotPrincipal" not in statement:
            raise _error("MalformedPolicy", "Missing required field Principal")
        for resource in _as_list(statement.get("Resource", statement.get("NotResource", []))):
            arn = f"arn:{bucket.partition}:s3:::{bucket.name}"
            if not (resource == arn or str(resource).startswith(arn + "/")):
                raise _error("MalformedPolicy", "Policy has invalid resource")
    pab = bucket.public_access_block
    if pab is not None and pab.block_public_policy and any(is_public_statement(s) for s in _as_list(doc["Statement"])):
        raise _error("AccessDenied", "Access Denied")
    return doc


#: request-context entries of the emulator (not condition keys): why a request is refused, and
#: the policy of the gateway endpoint it comes through
_REFUSED = "emulator:refused"
_ENDPOINT_POLICY = "emulator:endpoint-policy"


def _through_endpoint(ctx: dict[str, Any], account_id: str, region: str, vpce_id: str) -> None:
    """The request comes through S3 gateway endpoint ``vpce_id`` (network.inside_vpc): set the
    keys AWS sets for such a request, or refuse it when there is no such endpoint."""
    from moto.ec2.models import ec2_backends

    endpoint = ec2_backends[account_id][region].vpc_end_points.get(vpce_id)
    if (endpoint is None or getattr(endpoint, "state", "available") == "deleted"
            or (endpoint.vpc_endpoint_type or "Gateway").lower() != "gateway"
            or endpoint.service_name != f"com.amazonaws.{region}.s3"):
        ctx[_REFUSED] = (f"{vpce_id} is not an S3 gateway endpoint of account {account_id} in {region}: "
                         f"no request can come through it (header {SOURCE_VPCE_HEADER})")
        return
    ctx["aws:SourceVpce"] = vpce_id
    ctx["aws:SourceVpc"] = endpoint.vpc_id
    document = endpoint.policy_document
    ctx[_ENDPOINT_POLICY] = (json.loads(document) if isinstance(document, str) else document) or {
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}


def _install_backend() -> None:
    from moto.s3.models import FakeBucket, PublicAccessBlock, S3Backend

    from moto.s3.responses import S3Response

    @override(S3Response)
    def setup_class(self: Any, request: Any, *args: Any, **kwargs: Any) -> None:
        setup_class.original(self, request, *args, **kwargs)
        _REQUEST.context = None
        headers = dict(self.headers or {})
        try:
            from ._support import caller_arn

            ctx = request_context(self.get_current_account(), caller_arn(self), headers)
        except Exception:  # no usable identity: the policy is evaluated without a principal
            ctx = request_context(self.get_current_account(), "")
        vpce = next((v for k, v in headers.items() if k.lower() == SOURCE_VPCE_HEADER), None)
        if vpce:
            _through_endpoint(ctx, self.get_current_account(), self.region, vpce)
        _REQUEST.context = ctx

    def refuse_outside(fn: Any) -> Any:
        def serve(self: Any, request: Any, full_url: str) -> Any:
            reason = (getattr(_REQUEST, "context", None) or {}).get(_REFUSED)
            if reason:
                raise _error("AccessDenied", reason)
            return fn(self, request, full_url)
        return serve

    S3Response._bucket_response = refuse_outside(S3Response._bucket_response)
    S3Response._key_response = refuse_outside(S3Response._key_response)

    @override(FakeBucket)
    def get_permission(self: Any, action: str, resource: str) -> Any:
        from moto.iam.access_control import PermissionResult

        ctx = getattr(_REQUEST, "context", None) or request_context(self.account_id, "")
        if ctx.get(_REFUSED):
            return PermissionResult.DENIED
        endpoint_policy = ctx.get(_ENDPOINT_POLICY)
        if endpoint_policy is not None and evaluate(endpoint_policy, action, resource, ctx) != ALLOW:
            return PermissionResult.DENIED  # an endpoint policy only lets through what it allows
        if self.policy is None:
            return PermissionResult.NEUTRAL
        result = evaluate(json.loads(self.policy), action, resource, ctx)
        return {ALLOW: PermissionResult.PERMITTED, DENY: PermissionResult.DENIED}.get(result, PermissionResult.NEUTRAL)

    @override(S3Backend)
    def create_bucket(self: Any, bucket_name: str, region_name: str, *args: Any, **kwargs: Any) -> Any:
        bucket = create_bucket.original(self, bucket_name, region_name, *args, **kwargs)
        bucket.encryption = json.loads(json.dumps(DEFAULT_ENCRYPTION))
        bucket.public_access_block = PublicAccessBlock(True, True, True, True)
        bucket.ownership_rule = "BucketOwnerEnforced"
        return bucket

    @override(S3Backend)
    def delete_bucket_encryption(self: Any, bucket_name: str) -> None:
        self.get_bucket(bucket_name).encryption = json.loads(json.dumps(DEFAULT_ENCRYPTION))

    @override(S3Backend)
    def put_bucket_logging(self: Any, bucket_name: str, logging_config: dict[str, Any]) -> None:
        # S3 checks log-delivery grants only for a target bucket that uses ACLs; with ACLs
        # disabled (BucketOwnerEnforced) delivery is granted by bucket policy, not checked here
        target = self.buckets.get((logging_config or {}).get("TargetBucket") or "")
        bucket = self.get_bucket(bucket_name)
        if target is not None and target.ownership_rule == "BucketOwnerEnforced":
            from moto.s3.exceptions import CrossLocationLoggingProhibited

            if target.region_name != bucket.region_name:
                raise CrossLocationLoggingProhibited()
            bucket.logging = logging_config
            return
        put_bucket_logging.original(self, bucket_name, logging_config)

    @override(S3Backend)
    def put_bucket_policy(self: Any, bucket_name: str, policy: bytes) -> None:
        check_bucket_policy(self.get_bucket(bucket_name), policy)
        put_bucket_policy.original(self, bucket_name, policy)

    @override(FakeBucket, kind="classmethod")
    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any,
                                        account_id: str, region_name: str, **kwargs: Any) -> Any:
        logical_id = kwargs.get("LogicalId") or resource_name
        props = checked_properties("AWS::S3::Bucket", logical_id, cloudformation_json, BUCKET_PROPERTIES)
        backend = _backend(account_id, region_name)
        bucket = backend.create_bucket(resource_name, region_name)
        tags = resource_tags("AWS::S3::Bucket", props, account_id, region_name, {**kwargs, "LogicalId": logical_id})
        bucket.cfn_declared_tags = props.get("Tags") or []
        try:
            apply_bucket_properties(backend, bucket, props, {}, tags)
        except Exception:
            backend.delete_bucket(bucket.name)
            raise
        bucket.cfn_properties = props
        return bucket

    @override(FakeBucket, kind="classmethod")
    def update_from_cloudformation_json(cls: Any, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: Any, account_id: str, region_name: str) -> Any:
        logical_id = getattr(original_resource, "logical_resource_id", new_resource_name)
        props = checked_properties("AWS::S3::Bucket", logical_id, cloudformation_json, BUCKET_PROPERTIES)
        old = getattr(original_resource, "cfn_properties", {})
        if props.get("BucketName") and props["BucketName"] != original_resource.name:
            new = cls.create_from_cloudformation_json(props["BucketName"], cloudformation_json, account_id,
                                                      region_name, LogicalId=logical_id)
            return new
        backend = _backend(account_id, region_name)
        tagged = {t["Key"]: t["Value"] for t in backend.get_bucket_tagging(original_resource.name)["Tags"]}
        for tag in old.get("Tags") or []:
            tagged.pop(tag["Key"], None)
        tagged.update({t["Key"]: str(t["Value"]) for t in props.get("Tags") or []})
        apply_bucket_properties(backend, original_resource, props, old,
                                [{"Key": k, "Value": v} for k, v in tagged.items()])
        original_resource.cfn_properties = props
        return original_resource


def _encryption(config: dict[str, Any]) -> dict[str, Any]:
    rule = (config.get("ServerSideEncryptionConfiguration") or [{}])[0]
    default = rule.get("ServerSideEncryptionByDefault") or {}
    apply: dict[str, Any] = {"SSEAlgorithm": default.get("SSEAlgorithm")}
    if default.get("KMSMasterKeyID"):
        apply["KMSMasterKeyID"] = default["KMSMasterKeyID"]
    return {"Rule": {"ApplyServerSideEncryptionByDefault": apply,
                     "BucketKeyEnabled": "true" if rule.get("BucketKeyEnabled") else "false"}}


def apply_bucket_properties(backend: Any, bucket: Any, props: dict[str, Any], old: dict[str, Any],
                            tags: list[dict[str, str]]) -> None:
    """Make the bucket match the template's properties (``old``: those of the previous template)."""
    from moto.s3.models import PublicAccessBlock

    name = bucket.name
    backend.put_bucket_tagging(name, {t["Key"]: t["Value"] for t in tags})

    if "BucketEncryption" in props:
        enc = _encryption(props["BucketEncryption"])
        key = enc["Rule"]["ApplyServerSideEncryptionByDefault"].get("KMSMasterKeyID")
        if enc["Rule"]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] not in ("AES256", "aws:kms", "aws:kms:dsse"):
            raise _error("InvalidArgument", "The encryption method specified is not supported")
        if key and enc["Rule"]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256":
            raise _error("InvalidArgument", "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse")
        backend.put_bucket_encryption(name, enc)
    elif "BucketEncryption" in old:
        backend.delete_bucket_encryption(name)

    if "PublicAccessBlockConfiguration" in props:
        c = props["PublicAccessBlockConfiguration"]
        bucket.public_access_block = PublicAccessBlock(
            bool(c.get("BlockPublicAcls")), bool(c.get("IgnorePublicAcls")),
            bool(c.get("BlockPublicPolicy")), bool(c.get("RestrictPublicBuckets")))
    elif "PublicAccessBlockConfiguration" in old:
        backend.delete_public_access_block(name)

    if "OwnershipControls" in props:
        rules = props["OwnershipControls"].get("Rules") or []
        backend.put_bucket_ownership_controls(name, rules[0]["ObjectOwnership"] if rules else None)
    elif "OwnershipControls" in old:
        backend.delete_bucket_ownership_controls(name)

    if "VersioningConfiguration" in props:
        backend.put_bucket_versioning(name, props["VersioningConfiguration"]["Status"])
    elif "VersioningConfiguration" in old and bucket.versioning_status == "Enabled":
        backend.put_bucket_versioning(name, "Suspended")

    lock = props.get("ObjectLockConfiguration") or {}
    if props.get("ObjectLockEnabled") or lock.get("ObjectLockEnabled") == "Enabled":
        if not bucket.object_lock_enabled:
            if old:
                raise _error("InvalidBucketState", "Object Lock can only be enabled when the bucket is created")
            bucket.versioning_status = "Enabled"
        retention = (lock.get("Rule") or {}).get("DefaultRetention") or {}
        backend.put_object_lock_configuration(name, True, retention.get("Mode"), retention.get("Days"),
                                              retention.get("Years"))

    if "LoggingConfiguration" in props:
        c = props["LoggingConfiguration"]
        target = c.get("DestinationBucketName") or name
        backend.put_bucket_logging(name, {"TargetBucket": target, "TargetPrefix": c.get("LogFilePrefix", "")})
    elif "LoggingConfiguration" in old:
        backend.put_bucket_logging(name, {})

    if "LifecycleConfiguration" in props:
        backend.put_bucket_lifecycle_configuration(name, [_lifecycle_rule(r) for r in props["LifecycleConfiguration"]["Rules"]])
    elif "LifecycleConfiguration" in old:
        backend.delete_bucket_lifecycle(name)

    if "CorsConfiguration" in props:
        backend.put_bucket_cors(name, [_cors_rule(r) for r in props["CorsConfiguration"]["CorsRules"]])
    elif "CorsConfiguration" in old:
        backend.delete_bucket_cors(name)


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule in the shape moto's S3 API takes (from XML)."""
    out: dict[str, Any] = {"ID": rule.get("Id"), "Status": rule["Status"]}
    flt: dict[str, Any] = {}
    if "Prefix" in rule:
        flt["Prefix"] = rule["Prefix"]
    out["Filter"] = flt or {"Prefix": ""}
    if "ExpirationInDays" in rule:
        out["Expiration"] = {"Days": rule["ExpirationInDays"]}
    if "NoncurrentVersionExpiration" in rule:
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule["NoncurrentVersionExpiration"]["NoncurrentDays"]}
    elif "NoncurrentVersionExpirationInDays" in rule:
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule["NoncurrentVersionExpirationInDays"]}
    if "AbortIncompleteMultipartUpload" in rule:
        out["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]}
    if "Transitions" in rule:
        out["Transition"] = [{"Days": t.get("TransitionInDays"), "StorageClass": t["StorageClass"]} for t in rule["Transitions"]]
    return out


def _cors_rule(rule: dict[str, Any]) -> dict[str, Any]:
    return {"AllowedMethod": rule["AllowedMethods"], "AllowedOrigin": rule["AllowedOrigins"],
            "AllowedHeader": rule.get("AllowedHeaders", []), "ExposeHeader": rule.get("ExposedHeaders", []),
            "MaxAgeSeconds": rule.get("MaxAge"), "ID": rule.get("Id")}


class BucketPolicyHandler(Handler, CloudFormationModel):
    TYPE = "AWS::S3::BucketPolicy"

    def create(self, resource_name: str, kwargs: dict[str, Any]) -> None:
        self._put(self.properties)
        self.physical_id = self.properties["Bucket"]

    def _put(self, properties: dict[str, Any]) -> None:
        document = properties["PolicyDocument"]
        text = document if isinstance(document, str) else json.dumps(document)
        _backend(self.account_id, self.region_name).put_bucket_policy(properties["Bucket"], text.encode())

    def update(self, properties: dict[str, Any]) -> None:
        self._put(properties)

    def remove(self) -> None:
        backend = _backend(self.account_id, self.region_name)
        if self.properties["Bucket"] in backend.buckets:
            backend.delete_bucket_policy(self.properties["Bucket"])


def install() -> None:
    handles("AWS::S3::Bucket", BucketPolicyHandler.TYPE)
    _install_backend()
    file_under("s3", BucketPolicyHandler)
