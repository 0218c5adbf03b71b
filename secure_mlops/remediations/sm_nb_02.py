"""SM-NB-02 responsive: stop a notebook instance outside the VPC and tag it.

Does: ``sagemaker:StopNotebookInstance`` (waits until Stopped), ``sagemaker:AddTags``
``secure-mlops:remediation:SM-NB-02``. SubnetId and security groups cannot be changed in
place, so the instance stays non-compliant (contained, not fixed) until it is recreated in a
private subnet of the environment. Never: deletes the instance or its ML storage volume.
"""

from __future__ import annotations

from . import notebooks

CONTROL_ID = "SM-NB-02"
permissions = notebooks.PERMISSIONS
CONTAINS_ONLY = True

KEYS = ("SubnetId", "SecurityGroups")


def read(finding, session) -> dict:
    return notebooks.read(finding, session, KEYS)


def plan(finding, session, context=None) -> list:
    return notebooks.plan(finding, session, context, KEYS, lambda s: bool(s["SubnetId"] and s["SecurityGroups"]),
                          why="it has no subnet or no security group",
                          fix="Recreate it with SubnetId (a private subnet) and SecurityGroupIds.")


def apply(step, session) -> list[dict]:
    from .base import run_calls

    return run_calls(step, session)
