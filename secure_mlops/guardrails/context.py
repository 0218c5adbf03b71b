"""What the gate knows about the environment a template belongs to.

Some controls depend on the environment, not on the template alone: the stage (SM-EPC-02),
whether it is internet-free (NET-05, ART-01), its target accounts and OUs (SM-MOD-03,
SM-REG-03), its S3 VPC endpoint (S3-04), the interface endpoints it needs (NET-03), and whether
it owns its CloudTrail trail (LOG-02: an organization trail is outside the templates).

The gate learns this, in order of precedence, from:

1. the ``context`` argument of ``run_gate`` (``provision`` passes its configuration),
2. ``--config FILE``: the environment configuration (``secure-mlops.yaml``),
3. the template's own parameters with these names (the value given with ``--parameter``,
   else the default): ``Stage`` (or ``StageName``), ``InternetFree``, ``StagingAccountIds``,
   ``ProductionAccountIds``, ``TargetOrgPaths``, ``S3VpcEndpointId``, ``InterfaceEndpoints``,
   ``CreateTrail``.

A control whose context is unknown is *not evaluated* for that template (listed in the
result and the findings document), never passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

#: template parameter -> context field
PARAMETER_NAMES = {
    "StageName": "stage",  # the SageMaker MLOps project templates' name for it
    "Stage": "stage",
    "InternetFree": "internet_free",
    "StagingAccountIds": "staging_accounts",
    "ProductionAccountIds": "production_accounts",
    "TargetOrgPaths": "target_org_paths",
    "S3VpcEndpointId": "s3_endpoint_ids",
    "InterfaceEndpoints": "interface_endpoints",
    "CreateTrail": "owns_trail",
}
_FIELDS = ("stage", "internet_free", "staging_accounts", "production_accounts", "target_org_paths",
           "s3_endpoint_ids", "interface_endpoints", "owns_trail", "region", "name")
_BOOLS = ("internet_free", "owns_trail")
_LISTS = ("staging_accounts", "production_accounts", "target_org_paths", "s3_endpoint_ids", "interface_endpoints")

DEFAULT_INTERFACE_ENDPOINTS = (
    "sagemaker.api", "sagemaker.runtime", "notebook", "sts", "logs", "monitoring", "kms",
    "ecr.api", "ecr.dkr", "ssm", "servicecatalog",
)


@dataclass
class GateContext:
    stage: str | None = None
    internet_free: bool | None = None
    staging_accounts: list[str] | None = None
    production_accounts: list[str] | None = None
    target_org_paths: list[str] | None = None  # organization paths of the staging/production OUs
    s3_endpoint_ids: list[str] | None = None
    interface_endpoints: list[str] | None = None
    owns_trail: bool | None = None  # False: an organization trail, outside the templates, records events
    region: str | None = None
    name: str | None = None  # the environment's name (configuration)
    environment: bool = False  # gating an environment (configuration given)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def target_accounts(self) -> list[str] | None:
        if self.staging_accounts is None and self.production_accounts is None:
            return None
        return sorted(set((self.staging_accounts or []) + (self.production_accounts or [])))

    def merged_over(self, base: "GateContext") -> "GateContext":
        """Fields set here win; others come from `base`."""
        out = replace(base, sources=dict(base.sources))
        for name in _FIELDS:
            value = getattr(self, name)
            if value is not None:
                setattr(out, name, value)
                if name in self.sources:
                    out.sources[name] = self.sources[name]
        out.environment = self.environment or base.environment
        return out

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in _FIELDS if getattr(self, k) is not None}
        if self.sources:
            d["sources"] = dict(self.sources)
        return d


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "0"):
        return False
    return None


def _list(value: Any) -> list[str] | None:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str):
        return [s.strip() for s in value.split(",") if s.strip()]
    return None


def from_parameters(params: dict[str, Any], file: str) -> GateContext:
    """Context from a template's resolved parameter values (names in PARAMETER_NAMES)."""
    from .resolve import Unresolved

    ctx = GateContext()
    for pname, fname in PARAMETER_NAMES.items():
        if pname not in params or isinstance(params[pname], Unresolved):
            continue
        raw = params[pname]
        if isinstance(raw, str) and raw.startswith("${"):
            continue  # a typed token: the value itself is unknown
        if isinstance(raw, list) and any(isinstance(x, str) and x.startswith("${") for x in raw):
            continue  # the environment's list, symbolically: its values are unknown
        if fname == "stage":
            value: Any = str(raw).strip().lower() or None
        elif fname in _BOOLS:
            value = _bool(raw)
        else:
            value = _list(raw)
        if value is not None:
            setattr(ctx, fname, value)
            ctx.sources[fname] = f"parameter {pname} of {file}"
    return ctx


def from_config(cfg: Any) -> GateContext:
    """Context from an environment configuration (provision.config.EnvConfig, already validated)."""
    ctx = GateContext(
        stage=cfg.stage,
        internet_free=cfg.network.internet_free,
        staging_accounts=list(cfg.targets.staging_accounts),
        production_accounts=list(cfg.targets.production_accounts),
        target_org_paths=list(cfg.targets.ous),
        interface_endpoints=list(cfg.network.interface_endpoints) or None,
        owns_trail=cfg.audit.create_trail,
        region=cfg.region,
        name=cfg.name,
        environment=True,
    )
    src = f"configuration {cfg.path}"
    ctx.sources = {k: src for k in ctx.to_dict() if k != "sources"}
    return ctx


def from_mapping(data: dict[str, Any], source: str = "run_gate context") -> GateContext:
    """Context from a plain mapping (what `provision` passes): keys as in GateContext."""
    ctx = GateContext(environment=True)
    for key, value in data.items():
        if key in _BOOLS:
            value = _bool(value)
        elif key in _LISTS:
            value = _list(value)
        elif key not in ("stage", "region", "name"):
            continue
        setattr(ctx, key, value)
        ctx.sources[key] = source
    return ctx
