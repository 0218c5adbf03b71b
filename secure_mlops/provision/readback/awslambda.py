"""AWS Lambda: functions (role, runtime, VPC, KMS key) and permissions."""

from __future__ import annotations

import json

from . import reader
from .compare import ABSENT


@reader("AWS::Lambda::Function")
def function(r):
    got = r.client("lambda").get_function_configuration(FunctionName=r.physical_id)
    r.attributes.update(Arn=got["FunctionArn"])
    r.compare("FunctionName", got["FunctionName"])
    r.compare("Role", got.get("Role"))
    r.compare("Runtime", got.get("Runtime"))
    r.compare("Handler", got.get("Handler"))
    r.compare("KmsKeyArn", got.get("KMSKeyArn"), kind="kms")
    vpc = got.get("VpcConfig") or {}
    r.compare("VpcConfig.SubnetIds", vpc.get("SubnetIds"), kind="set")
    r.compare("VpcConfig.SecurityGroupIds", vpc.get("SecurityGroupIds"), kind="set")


@reader("AWS::Lambda::Permission")
def permission(r):
    function_name = r.required("FunctionName")
    got = r.optional(r.client("lambda").get_policy, ("ResourceNotFoundException",), FunctionName=function_name)
    statements = json.loads(got["Policy"]).get("Statement", []) if got else []
    found = next((s for s in statements if s.get("Sid") == r.physical_id.rsplit("|", 1)[-1]), None)
    if found is None:
        r.mismatch("(resource)", r.physical_id, "no such statement in the function's policy", "missing")
        return
    principal = found.get("Principal")
    if isinstance(principal, dict):
        principal = principal.get("Service") or principal.get("AWS")
    condition = found.get("Condition") or {}
    r.compare("Action", found.get("Action"))
    r.compare("Principal", principal if principal is not None else ABSENT)
    r.compare("SourceArn", (condition.get("ArnLike") or {}).get("AWS:SourceArn"))
    r.compare("SourceAccount", (condition.get("StringEquals") or {}).get("AWS:SourceAccount"))
