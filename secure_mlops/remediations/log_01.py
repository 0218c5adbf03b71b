"""LOG-01 responsive: start logging on a stopped multi-region trail.

Does: ``cloudtrail:StartLogging`` on one multi-region trail homed in this region that is not
logging, preferring one that also validates log files and encrypts with KMS (so the control
passes once it logs). Never: creates, deletes or reconfigures a trail, or touches its bucket.
When no stopped multi-region trail exists here, nothing can be done automatically (FAIL): create
one (the control's remediation says how).
"""

from __future__ import annotations

from .base import Call, NoRemedy, read_failed, step_for

CONTROL_ID = "LOG-01"
permissions = ("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:StartLogging")
CONTAINS_ONLY = False


def _region(finding, session) -> str:
    return finding.region or session.region_name


def read(finding, session) -> dict:
    import botocore.exceptions

    ct = session.client("cloudtrail")
    trails = []
    try:
        for t in ct.describe_trails(includeShadowTrails=False)["trailList"]:
            status = ct.get_trail_status(Name=t["TrailARN"])
            trails.append({"Name": t["Name"], "TrailARN": t["TrailARN"], "HomeRegion": t.get("HomeRegion"),
                           "IsMultiRegionTrail": bool(t.get("IsMultiRegionTrail")),
                           "LogFileValidationEnabled": bool(t.get("LogFileValidationEnabled")),
                           "KmsKeyId": t.get("KmsKeyId"), "IsLogging": bool(status.get("IsLogging"))})
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise read_failed("the trails", exc) from None
    return {"Trails": trails}


def _complete(t: dict) -> bool:
    return t["IsMultiRegionTrail"] and t["LogFileValidationEnabled"] and bool(t["KmsKeyId"])


def plan(finding, session, context=None) -> list:
    trails = read(finding, session)["Trails"]
    if any(_complete(t) and t["IsLogging"] for t in trails):
        return []
    here = _region(finding, session)
    stopped = [t for t in trails if t["IsMultiRegionTrail"] and not t["IsLogging"] and t["HomeRegion"] == here]
    if not stopped:
        raise NoRemedy(f"no stopped multi-region trail homed in {here} to start; create a multi-region trail "
                       "with log file validation and a KMS key")
    best = sorted(stopped, key=lambda t: (not _complete(t), t["Name"]))[0]
    note = "" if _complete(best) else " (it lacks log file validation or a KMS key: the control will still fail)"
    return [step_for(finding, f"start logging on multi-region trail {best['Name']}{note}",
                     [Call("cloudtrail", "StartLogging", {"Name": best["TrailARN"]})],
                     contains_only=not _complete(best))]


def apply(step, session) -> list[dict]:
    from .base import run_calls

    return run_calls(step, session)
