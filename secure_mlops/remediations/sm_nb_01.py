"""SM-NB-01 responsive: stop a notebook instance with direct internet access and tag it.

Does: ``sagemaker:StopNotebookInstance`` (waits until Stopped), ``sagemaker:AddTags``
``secure-mlops:remediation:SM-NB-01``. DirectInternetAccess cannot be changed in place, so the
instance stays non-compliant (contained, not fixed) until it is recreated with it Disabled in
a private subnet. Never: deletes the instance or its ML storage volume, starts it again.
"""

from __future__ import annotations

from . import notebooks

CONTROL_ID = "SM-NB-01"
permissions = notebooks.PERMISSIONS
CONTAINS_ONLY = True

KEYS = ("DirectInternetAccess",)


def read(finding, session) -> dict:
    return notebooks.read(finding, session, KEYS)


def plan(finding, session, context=None) -> list:
    return notebooks.plan(finding, session, context, KEYS, lambda s: s["DirectInternetAccess"] == "Disabled",
                          why="DirectInternetAccess is Enabled",
                          fix="Recreate the instance with DirectInternetAccess Disabled in a private subnet.")


def apply(step, session) -> list[dict]:
    from .base import run_calls

    return run_calls(step, session)
