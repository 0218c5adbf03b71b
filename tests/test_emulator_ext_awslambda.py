"""Lambda on the emulator: a function's role must be one Lambda can assume."""

import io
import json
import zipfile

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.emulator


def trust(service, account=None):
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if account:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": account}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def code():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("h.py", "def h(event, context):\n    return 1\n")
    return {"ZipFile": buf.getvalue()}


def test_the_role_must_trust_lambda(aws):
    iam, lam = aws.client("iam"), aws.client("lambda")
    good = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=trust("lambda.amazonaws.com", "123456789012"))["Role"]["Arn"]
    foreign = iam.create_role(RoleName="other-account",
                              AssumeRolePolicyDocument=trust("lambda.amazonaws.com", "210987654321"))["Role"]["Arn"]
    ec2 = iam.create_role(RoleName="ec2", AssumeRolePolicyDocument=trust("ec2.amazonaws.com"))["Role"]["Arn"]
    function = dict(FunctionName="f", Runtime="python3.11", Handler="h.h", Code=code())
    for role in (ec2, foreign):  # not Lambda; Lambda, but only for another account's functions
        with pytest.raises(ClientError, match="cannot be assumed by Lambda") as exc:
            lam.create_function(Role=role, **function)
        assert exc.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert lam.list_functions()["Functions"] == []
    lam.create_function(Role=good, **function)
    with pytest.raises(ClientError, match="cannot be assumed by Lambda"):
        lam.update_function_configuration(FunctionName="f", Role=ec2)
    assert lam.get_function_configuration(FunctionName="f")["Role"] == good
    lam.update_function_configuration(FunctionName="f", Description="still the same role")
