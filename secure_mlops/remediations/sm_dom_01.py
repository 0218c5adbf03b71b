"""SM-DOM-01 responsive: tag a Studio domain that is not VpcOnly, and notify.

Does: ``sagemaker:AddTags`` ``secure-mlops:remediation:SM-DOM-01`` on the domain, and
``sns:Publish`` of the finding to the ``--notify`` topic when one is given.
AppNetworkAccessType cannot be changed while apps run, so the domain stays non-compliant
(contained, not fixed) until it is recreated VpcOnly. Never: deletes or updates the domain,
its user profiles, apps or home directories (EFS).
"""

from __future__ import annotations

from . import tagging
from .base import read_failed, remediation_tags, sagemaker_tags

CONTROL_ID = "SM-DOM-01"
permissions = ("sagemaker:ListDomains", "sagemaker:DescribeDomain") + tagging.PERMISSIONS
CONTAINS_ONLY = True


def _domain(finding, session) -> dict:
    import botocore.exceptions

    sm = session.client("sagemaker")
    domain_id = (finding.resource_arn or "").rsplit("/", 1)[-1]
    try:
        if not domain_id.startswith("d-"):
            matches = [d for d in sm.list_domains()["Domains"] if d["DomainName"] == finding.resource_id]
            if not matches:
                raise read_failed(f"domain {finding.resource_id}", "no such domain")
            domain_id = matches[0]["DomainId"]
        return sm.describe_domain(DomainId=domain_id)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise read_failed(f"domain {finding.resource_id}", exc) from None


def read(finding, session) -> dict:
    d = _domain(finding, session)
    return {"DomainId": d["DomainId"], "DomainArn": d["DomainArn"], "AppNetworkAccessType": d.get("AppNetworkAccessType"),
            "RemediationTags": remediation_tags(sagemaker_tags(session, d["DomainArn"]))}


def plan(finding, session, context=None) -> list:
    state = read(finding, session)
    if state["AppNetworkAccessType"] == "VpcOnly":
        return []
    return tagging.plan(finding, session, context, state, state["DomainArn"],
                        why=f"AppNetworkAccessType is {state['AppNetworkAccessType']}",
                        fix="Recreate the domain with AppNetworkAccessType VpcOnly and private subnets.")


def apply(step, session) -> list[dict]:
    from .base import run_calls

    return run_calls(step, session)
