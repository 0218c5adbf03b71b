"""The audited account and region as one resource, for controls about what must exist.

LOG-01 (a compliant trail exists), SM-REG-01 (the environment's model package group
exists) and ART-01 (a private package repository exists) judge the account-region as a
whole: this type yields exactly one resource and makes no call; its filters read the
other types' listings from the run cache. A policy run for one environment (it uses the
context) judges that environment: the resource id is ``<account>/<region>/<environment>``.
"""

from __future__ import annotations

from c7n.manager import ResourceManager
from c7n.query import TypeInfo
from c7n.filters import FilterRegistry
from c7n.actions import ActionRegistry

from .base import register


@register("audit-account")
class Account(ResourceManager):
    class resource_type(TypeInfo):
        service = "sts"
        id = name = "AccountRegion"
        arn = "Arn"
        cfn_type = "AWS::Account"

    filter_registry = FilterRegistry("audit-account.filters")
    action_registry = ActionRegistry("audit-account.actions")
    permissions = ()
    source_type = "describe"

    @classmethod
    def get_model(cls):
        return cls.resource_type

    def get_permissions(self):
        return []

    def get_arns(self, resources):
        return [r["Arn"] for r in resources]

    @property
    def region(self):
        return self.config.region

    @property
    def account_id(self):
        return self.config.account_id

    def resources(self, query=None):
        """The account-region, or, for a policy run for one environment, that environment in it."""
        env = self.data.get("environment")
        r = {"AccountId": self.account_id, "Region": self.region,
             "AccountRegion": f"{self.account_id}/{self.region}" + (f"/{env}" if env else ""),
             "Arn": f"arn:aws:iam::{self.account_id}:root"}
        if env:
            r["Environment"] = env
        return self.filter_resources([r])
