"""Lambda: a function's execution role must be one Lambda can assume.

moto refuses a role that does not exist, but accepts any role that exists, whatever its trust
policy. AWS refuses, on CreateFunction and on an UpdateFunctionConfiguration that changes the
role, a role whose trust policy does not let ``lambda.amazonaws.com`` call ``sts:AssumeRole``:
InvalidParameterValueException "The role defined for the function cannot be assumed by
Lambda." This extension checks the trust policy the way IAM evaluates it (``_conditions``).
"""

from __future__ import annotations

import json
from typing import Any

from ._conditions import ALLOW, evaluate
from ._support import override

LAMBDA = "lambda.amazonaws.com"


def check_role_trusts_lambda(account_id: str, partition: str, role_arn: str, function_arn: str | None = None) -> None:
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.iam.models import iam_backends

    try:
        role = iam_backends[account_id][partition].get_role_by_arn(role_arn)
    except Exception:  # a missing role: moto's own check answers it
        return
    trust = role.assume_role_policy_document
    trust = json.loads(trust) if isinstance(trust, str) else (trust or {})
    # Lambda assumes the role on behalf of the function: the function's account and ARN are the source
    context = {"service": LAMBDA, "aws:PrincipalServiceName": LAMBDA, "aws:PrincipalIsAWSService": "true",
               "aws:SecureTransport": "true", "aws:SourceAccount": account_id}
    if function_arn:
        context["aws:SourceArn"] = function_arn
    if evaluate(trust, "sts:AssumeRole", role.arn, context) != ALLOW:
        raise InvalidParameterValueException("The role defined for the function cannot be assumed by Lambda.")


def install() -> None:
    from moto.awslambda.models import LambdaBackend, LambdaStorage

    @override(LambdaStorage)
    def put_function(self: Any, fn: Any) -> None:
        # (moto checks the role's format and existence)
        check_role_trusts_lambda(self.account_id, self.partition, fn.role, fn.function_arn)
        put_function.original(self, fn)

    @override(LambdaBackend)
    def update_function_configuration(self: Any, function_name: str, qualifier: str, body: dict[str, Any]) -> Any:
        if body.get("Role"):
            fn = self.get_function(function_name, qualifier)
            check_role_trusts_lambda(self.account_id, self.partition, body["Role"], fn.function_arn)
        return update_function_configuration.original(self, function_name, qualifier, body)
