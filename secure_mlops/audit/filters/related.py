"""Filters that judge a resource by other resources, read from the run's shared listings.

``related`` (every audit type): follow ``key`` (or literal ``values``) to resources of type
``resource`` whose ``match`` attribute equals it; match when one is missing, or fails
``controls`` (their rule files), or matches ``filters``::

    - type: related
      resource: aws.audit-bucket
      key: artifactStore.location
      match: Name
      controls: [S3-01, S3-02, S3-03]

``none-exist`` (``aws.audit-account``): match when no resource of type ``resource``
matches ``filters`` (LOG-01: no compliant trail; SM-REG-01: no model package group).

``unapproved-model`` (``aws.audit-endpoint``; SM-REG-02), ``image-outside``
(``aws.audit-model``; SM-MOD-03), ``not-customer-managed-key`` (``aws.audit-domain``;
SM-DOM-02), ``role-outside-team`` (``aws.audit-user-profile``; SM-UP-01),
``not-logged-by-trail`` (``aws.audit-bucket``; LOG-02, S3-06), ``missing-endpoints``
(``aws.vpc``; NET-03, ART-01): see each class.
"""

from __future__ import annotations

import re

from c7n.filters import Filter
from c7n.resources.vpc import Vpc
from c7n.utils import jmespath_search, type_schema

from ..resources.account import Account
from ..resources.base import ERRORS, NOT_EVALUATED, error_text
from ..resources.sagemaker import Domain, Endpoint, Model, UserProfile
from ..resources.storage import Bucket
from .iam import annotate
from .resource_policy import _LIST, as_list
from .reuse import NotEvaluable, control_failures


def listing(manager, resource_type: str, filters: list | None = None) -> list[dict]:
    """Every resource of a type in this account-region (the run's shared listing), optionally filtered."""
    return manager.get_resource_manager(resource_type, {"filters": filters or []}).resources()


class Related(Filter):
    schema = type_schema("related", required=["resource", "match"], resource={"type": "string"},
                         key={"type": "string"}, values=_LIST, match={"type": "string"},
                         controls={"type": "array", "items": {"type": "string"}},
                         filters={"type": "array"})

    def validate(self):
        if ("key" in self.data) == ("values" in self.data):
            from c7n.exceptions import PolicyValidationError

            raise PolicyValidationError(f"related: give exactly one of key or values: {self.data}")
        return self

    def process(self, resources, event=None):
        rtype, match = self.data["resource"], self.data["match"]
        others = listing(self.manager, rtype)
        by_value = {}
        for o in others:
            v = jmespath_search(match, o)
            for one in v if isinstance(v, list) else [v]:
                by_value.setdefault(one, o)
        out = []
        for r in resources:
            wanted = as_list(self.data["values"]) if "values" in self.data else jmespath_search(self.data["key"], r)
            wanted = [w for w in (wanted if isinstance(wanted, list) else [wanted]) if w]
            problems, evidence = [], {}
            if not wanted:
                problems.append(f"names no {rtype.replace('aws.audit-', '')} ({self.data.get('key')} is empty)")
            found = []
            for w in wanted:
                if w not in by_value:
                    problems.append(f"{w} was not found (it cannot be verified)")
                else:
                    found.append((w, by_value[w]))
            try:
                problems.extend(self._judge(rtype, found, evidence))
            except NotEvaluable as exc:
                r[NOT_EVALUATED] = str(exc)
                continue
            annotate(r, {"related": evidence or [w for w in wanted]})
            if problems:
                annotate(r, reasons=problems)
                out.append(r)
        return out

    def _judge(self, rtype, found, evidence) -> list[str]:
        problems = []
        items = [o for _, o in found]
        if self.data.get("controls") and items:
            for (w, _), failed in zip(found, control_failures(self.manager, self.data["controls"], rtype, items)):
                evidence[w] = {"fails": failed}
                if failed:
                    problems.append(f"{w} fails {', '.join(failed)}")
        if self.data.get("filters") and items:
            mgr = self.manager.get_resource_manager(rtype, {"filters": self.data["filters"]})
            copies = [dict(o, **{"audit:name": w}) for w, o in found]
            for c in mgr.filter_resources(copies):
                reasons = c.get("audit:reasons") or _matched_values(c, self.data["filters"])
                problems.extend(f"{c['audit:name']}: {why}" for why in reasons)
            for c in copies:
                evidence.setdefault(c["audit:name"], {}).update(c.get("audit:evidence") or {})
        return problems


def _matched_values(resource: dict, filters: list) -> list[str]:
    """What the value filters of `filters` found on a matching resource: "AttachedPolicyArns is [...]"."""
    keys = [f.get("key") if "key" in f else next(iter(f)) for f in _value_filter_data(filters)]
    matched = [k for k in resource.get("c7n:MatchedFilters") or [] if k in keys] or keys
    return [f"{k} is {jmespath_search(k, resource)!r}" for k in dict.fromkeys(matched)] or ["matches the filters"]


def _value_filter_data(filters: list):
    for f in filters:
        if not isinstance(f, dict):
            continue
        if f.get("type") == "value" or (len(f) == 1 and next(iter(f)) not in ("and", "or", "not", "type")):
            yield f
        for nested in ("and", "or", "not"):
            yield from _value_filter_data(f.get(nested) or [])


def register_related(*classes) -> None:
    for cls in classes:
        if "related" not in cls.filter_registry:
            cls.filter_registry.register("related", Related)


@Account.filter_registry.register("none-exist")
class NoneExist(Filter):
    schema = type_schema("none-exist", required=["resource"], resource={"type": "string"},
                         filters={"type": "array"})

    def process(self, resources, event=None):
        matching = listing(self.manager, self.data["resource"], self.data.get("filters"))
        model = self.manager.get_resource_manager(self.data["resource"]).get_model()
        names = [m.get(model.name) or m.get(model.id) for m in matching]
        for r in resources:
            # what is missing is the policy's violation ("has no model package group X"): no reason here
            annotate(r, {"matching": names})
        return [] if matching else list(resources)


@Endpoint.filter_registry.register("unapproved-model")
class UnapprovedModel(Filter):
    """Endpoint → its config → each variant's model → each container's model package: Approved?"""

    schema = type_schema("unapproved-model")

    def process(self, resources, event=None):
        configs = {c["EndpointConfigName"]: c for c in listing(self.manager, "aws.audit-endpoint-config")}
        models = {m["ModelName"]: m for m in listing(self.manager, "aws.audit-model")}
        packages = {p["ModelPackageArn"]: p for p in listing(self.manager, "aws.audit-model-package")}
        out = []
        for r in resources:
            chain, problems = [], []
            config = configs.get(r.get("EndpointConfigName"))
            if config is None:
                problems.append(f"endpoint config {r.get('EndpointConfigName')} not found (cannot be verified)")
            for variant in (config or {}).get("ProductionVariants") or []:
                model = models.get(variant.get("ModelName"))
                if model is None:
                    problems.append(f"model {variant.get('ModelName')} not found (cannot be verified)")
                    continue
                for c in model.get("AllContainers") or [{}]:
                    arn = c.get("ModelPackageName")
                    pkg = packages.get(arn) if arn else None
                    status = (pkg or {}).get("ModelApprovalStatus")
                    chain.append({"model": model["ModelName"], "model_package": arn, "approval": status})
                    if not arn:
                        problems.append(f"model {model['ModelName']} was not created from a model package")
                    elif pkg is None:
                        problems.append(f"model package {arn} not found (cannot be verified)")
                    elif status != "Approved":
                        problems.append(f"model {model['ModelName']} serves {arn}, which is {status}")
            annotate(r, {"endpoint_config": r.get("EndpointConfigName"), "models": chain})
            if problems:
                annotate(r, reasons=problems)
                out.append(r)
        return out


_ECR = re.compile(r"^(\d{12})\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/")


@Model.filter_registry.register("image-outside")
class ImageOutside(Filter):
    """Containers whose image is not in a private ECR registry of an allowed account.

    A container created from a model package is judged by the package's images.
    """

    schema = type_schema("image-outside", required=["allowed_accounts"], allowed_accounts=_LIST)

    def process(self, resources, event=None):
        allowed = set(as_list(self.data["allowed_accounts"]))
        packages = None
        out = []
        for r in resources:
            images, problems = [], []
            for c in r.get("AllContainers") or []:
                found = [c["Image"]] if c.get("Image") else []
                if not found and c.get("ModelPackageName"):
                    if packages is None:
                        packages = {p["ModelPackageArn"]: p for p in listing(self.manager, "aws.audit-model-package")}
                    pkg = packages.get(c["ModelPackageName"]) or {}
                    found = [x.get("Image") for x in (pkg.get("InferenceSpecification") or {}).get("Containers") or []]
                    if not found:
                        problems.append(f"the images of model package {c['ModelPackageName']} cannot be verified")
                images.extend(found)
            if not images and not problems:
                problems.append("the model names no container image (cannot be verified)")
            for image in images:
                m = _ECR.match(image or "")
                if not m:
                    problems.append(f"image {image} is not in a private ECR registry")
                elif m.group(1) not in allowed:
                    problems.append(f"image {image} comes from account {m.group(1)}, not an allowed account")
            annotate(r, {"images": images, "allowed_accounts": sorted(allowed)})
            if problems:
                annotate(r, reasons=problems)
                out.append(r)
        return out


@Domain.filter_registry.register("not-customer-managed-key")
class NotCustomerManagedKey(Filter):
    """The key named by ``key`` is not a customer managed KMS key of this account-region."""

    schema = type_schema("not-customer-managed-key", required=["key"], key={"type": "string"})

    def process(self, resources, event=None):
        keys = listing(self.manager, "aws.audit-kms-key")
        index = {}
        for k in keys:
            for ref in [k.get("KeyId"), k.get("KeyArn"), k.get("Arn"), *k.get("Aliases", [])]:
                if ref:
                    index[ref] = k
                    if ref.startswith("alias/"):
                        index[f"arn:aws:kms:{self.manager.config.region}:{self.manager.config.account_id}:{ref}"] = k
        out = []
        for r in resources:
            ref = jmespath_search(self.data["key"], r)
            key = index.get(ref) if ref else None
            manager = (key or {}).get("KeyManager")
            annotate(r, {self.data["key"]: ref, "key_manager": manager})
            if not ref:
                annotate(r, reasons=[f"{self.data['key']} is not set"])
            elif (ref or "").split(":")[-1].startswith("alias/aws/") or manager == "AWS":
                annotate(r, reasons=[f"{ref} is an AWS managed key"])
            elif key is None:
                annotate(r, reasons=[f"{ref} is not a key of this account and region (cannot be verified)"])
            elif manager == "CUSTOMER":
                continue
            else:
                annotate(r, reasons=[f"{ref} is not customer managed ({manager})"])
            out.append(r)
        return out


@UserProfile.filter_registry.register("role-outside-team")
class RoleOutsideTeam(Filter):
    """The profile's execution role (or its domain's default) is not tagged with the profile's team."""

    schema = type_schema("role-outside-team")

    def process(self, resources, event=None):
        roles = {r["Arn"]: r for r in listing(self.manager, "aws.audit-iam-role")}
        domains = {d["DomainId"]: d for d in listing(self.manager, "aws.audit-domain")}
        out = []
        for p in resources:
            team = (p.get("Tags") or {}).get("team")
            role_arn = (p.get("UserSettings") or {}).get("ExecutionRole") or (
                (domains.get(p.get("DomainId")) or {}).get("DefaultUserSettings") or {}).get("ExecutionRole")
            role = roles.get(role_arn)
            role_team = ((role or {}).get("TagMap") or {}).get("team")
            annotate(p, {"team": team, "execution_role": role_arn, "execution_role_team": role_team})
            if role is None:
                annotate(p, reasons=[f"execution role {role_arn} not found (cannot be verified)"])
            elif role_team != team:
                annotate(p, reasons=[f"execution role {role_arn} belongs to team {role_team!r}, "
                                     f"the profile to {team!r}"])
            else:
                continue
            out.append(p)
        return out


def _covers_bucket(trail: dict, bucket: str) -> bool:
    """Does the trail record read and write object-level events of this bucket?"""
    prefix = f"arn:aws:s3:::{bucket}/"
    for sel in trail.get("EventSelectors") or []:
        if sel.get("ReadWriteType", "All") != "All":
            continue
        for dr in sel.get("DataResources") or []:
            if dr.get("Type") != "AWS::S3::Object":
                continue
            for v in dr.get("Values") or []:
                if v in ("arn:aws:s3", "arn:aws:s3:::") or v == prefix:
                    return True
    for sel in trail.get("AdvancedEventSelectors") or []:
        fields = {f["Field"]: f for f in sel.get("FieldSelectors") or []}
        if "Data" not in (fields.get("eventCategory") or {}).get("Equals", []):
            continue
        if "AWS::S3::Object" not in (fields.get("resources.type") or {}).get("Equals", []):
            continue
        if "readOnly" in fields:
            continue  # only reads or only writes
        arn = fields.get("resources.ARN")
        if arn is None:
            return True
        if any(prefix.startswith(p) for p in arn.get("StartsWith", []) + arn.get("Equals", [])):
            if not any(prefix.startswith(p) for p in arn.get("NotStartsWith", [])):
                return True
    return False


@Bucket.filter_registry.register("not-logged-by-trail")
class NotLoggedByTrail(Filter):
    """No logging CloudTrail trail records the bucket's object-level reads and writes."""

    schema = type_schema("not-logged-by-trail")

    def process(self, resources, event=None):
        trails = listing(self.manager, "aws.audit-trail")
        unknown = [t["Name"] for t in trails if ERRORS in t]
        out = []
        for r in resources:
            covering = [t["Name"] for t in trails if t.get("IsLogging") and _covers_bucket(t, r["Name"])]
            annotate(r, {"trails_recording_data_events": covering})
            if covering:
                continue
            if unknown:
                r[NOT_EVALUATED] = f"trail(s) {', '.join(unknown)} could not be read"
                continue
            out.append(r)  # the policy's violation says what is missing
        return out


@Vpc.filter_registry.register("missing-endpoints")
class MissingEndpoints(Filter):
    """Endpoints the VPC lacks: ``interface`` services (with private DNS) and ``gateway`` services.

    A service is named in full (``com.amazonaws.us-east-1.kms``) or by its suffix (``kms``,
    ``sagemaker.api``, ``notebook``).
    """

    schema = type_schema("missing-endpoints", interface=_LIST, gateway=_LIST)

    def process(self, resources, event=None):
        try:
            endpoints = listing(self.manager, "aws.vpc-endpoint")
        except Exception as exc:  # noqa: BLE001
            for r in resources:
                r[NOT_EVALUATED] = f"VPC endpoints could not be listed ({error_text(exc)})"
            return []
        out = []
        for r in resources:
            mine = [e for e in endpoints if e.get("VpcId") == r["VpcId"]
                    and e.get("State", "available").lower() in ("available", "pending")]
            missing = []
            for kind, wanted in (("Interface", self.data.get("interface")), ("Gateway", self.data.get("gateway"))):
                for svc in as_list(wanted):
                    ok = [e for e in mine if e.get("VpcEndpointType") == kind and _service_is(e["ServiceName"], svc)
                          and (kind == "Gateway" or e.get("PrivateDnsEnabled"))]
                    if not ok:
                        dns = " with private DNS" if kind == "Interface" else ""
                        missing.append(f"{kind.lower()} endpoint {svc}{dns}")
            annotate(r, {"endpoints": sorted(f"{e['VpcEndpointType']}:{e['ServiceName']}" for e in mine)})
            if missing:
                annotate(r, reasons=[f"no {m}" for m in missing])
                out.append(r)
        return out


def _service_is(service_name: str, wanted: str) -> bool:
    return service_name == wanted or service_name.endswith("." + wanted)
