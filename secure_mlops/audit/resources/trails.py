"""Trails (with status and event selectors) and log groups."""

from __future__ import annotations

from c7n.query import TypeInfo

from .base import LeanResource, fetch, register


@register("audit-trail")
class Trail(LeanResource):
    """CloudTrail trails seen from this region (multi-region trails of other home regions included).

    Adds ``IsLogging`` (GetTrailStatus) and ``EventSelectors`` / ``AdvancedEventSelectors``.
    """

    class resource_type(TypeInfo):
        service = "cloudtrail"
        enum_spec = ("describe_trails", "trailList", {"includeShadowTrails": True})
        id = arn = "TrailARN"
        name = "Name"
        cfn_type = "AWS::CloudTrail::Trail"

    permissions = ("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors")

    def describe(self, client, t):
        fetch(t, "IsLogging", lambda: client.get_trail_status(Name=t["TrailARN"]),
              transform=lambda a: a.get("IsLogging"))

        def selectors():
            a = client.get_event_selectors(TrailName=t["TrailARN"])
            t["AdvancedEventSelectors"] = a.get("AdvancedEventSelectors") or []
            return a.get("EventSelectors") or []

        fetch(t, "EventSelectors", selectors)


@register("audit-log-group")
class LogGroup(LeanResource):
    class resource_type(TypeInfo):
        service = "logs"
        enum_spec = ("describe_log_groups", "logGroups", None)
        id = name = "logGroupName"
        arn = "arn"
        cfn_type = "AWS::Logs::LogGroup"

    permissions = ("logs:DescribeLogGroups",)
