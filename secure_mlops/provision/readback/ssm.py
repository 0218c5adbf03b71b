"""AWS Systems Manager Parameter Store: parameters (the environment's published ids)."""

from __future__ import annotations

from . import reader
from .compare import as_list


@reader("AWS::SSM::Parameter")
def parameter(r):
    got = r.client("ssm").get_parameter(Name=r.physical_id)["Parameter"]
    r.attributes.update(Type=got["Type"], Value=got["Value"])
    r.compare("Name", got["Name"])
    r.compare("Type", got["Type"])
    with r.section("Value"):
        declared = r.declared("Value")
        if isinstance(declared, list):  # a StringList given as a list (e.g. Fn::Split)
            declared = ",".join(map(str, as_list(declared)))
        r.compare("Value", got["Value"], declared=declared)
