"""Environment configuration: one YAML file per environment (team and stage).

``load_config(path)`` reads the file, checks it against ``config.schema.json`` and then the
semantic checks below (CIDRs, availability zones, ARNs, account ids, internet access, ...),
and returns a frozen ``EnvConfig``. Every problem found is reported at once, each naming the
file, the line, the field and the fix (``UserError`` / ``UserErrors``, exit code 2); nothing
here talks to AWS. ``example_config()`` is the commented example ``secure-mlops init`` writes.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from ..errors import UserError, UserErrors

SCHEMA_FILE = Path(__file__).with_name("config.schema.json")
EXAMPLE_FILE = Path(__file__).with_name("example-config.yaml")

#: interface endpoints every environment has (control NET-03); the env template creates them
REQUIRED_INTERFACE_ENDPOINTS = (
    "sagemaker.api", "sagemaker.runtime", "notebook", "sts", "logs", "monitoring", "kms",
    "ecr.api", "ecr.dkr", "ssm", "servicecatalog",
)
#: the default list: the required ones plus what SageMaker projects use
DEFAULT_INTERFACE_ENDPOINTS = REQUIRED_INTERFACE_ENDPOINTS + ("codecommit", "codebuild", "codepipeline")
#: added to internet-free environments (control ART-01); the env template creates them
CODEARTIFACT_ENDPOINTS = ("codeartifact.api", "codeartifact.repositories")
#: further interface endpoints the env template has room for (OptionalInterfaceEndpoint1..N)
MAX_OPTIONAL_ENDPOINTS = 8
MAX_USER_PROFILES = 4  # UserProfile1..N in the env template
MAX_AZS = 4  # PrivateSubnet1..N in the env template
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)
STANDARD_TAGS = ("team", "environment", "stage")
ROLE_KEYS = ("ds_administrator", "service_catalog_launch", "detective_control", "data_scientist", "team_admin",
             "sagemaker_execution", "pipeline_execution", "model_execution")

_ROLE_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::(\d{12}):role/([\w+=,.@/-]+)$")
_PROVIDER_ARN = {
    "saml": re.compile(r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:saml-provider/[\w.-]{1,128}$"),
    "oidc": re.compile(r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:oidc-provider/[\w./:-]{1,255}$"),
}
_ACCOUNT = re.compile(r"^\d{12}$")
_ORG_PATH = re.compile(r"^o-[a-z0-9]{10,32}/r-[0-9a-z]{4,32}(/ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})+/?$")
_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
_ROUTE_TABLE_ID = re.compile(r"^rtb-[0-9a-f]{8,17}$")
_ENDPOINT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*$")
_PROFILE_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_TAG_KEY = re.compile(r"^[\w.:/=+@ -]{1,128}$")
_TAG_VALUE = re.compile(r"^[\w.:/=+@ -]{0,256}$")


# ------------------------------------------------------------------------------ the configuration
@dataclass(frozen=True)
class NewVpc:
    cidr: str
    private_subnet_cidrs: tuple[str, ...]
    nat_gateways: bool = False
    public_subnet_cidrs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExistingVpc:
    vpc_id: str
    cidr: str
    private_subnet_ids: tuple[str, ...]
    private_route_table_ids: tuple[str, ...]


@dataclass(frozen=True)
class NetworkConfig:
    internet_free: bool
    #: every interface endpoint of the environment (short names), codeartifact ones included
    interface_endpoints: tuple[str, ...]
    new_vpc: NewVpc | None = None
    existing_vpc: ExistingVpc | None = None
    flow_log_retention_days: int = 365

    @property
    def vpc_cidr(self) -> str:
        return self.new_vpc.cidr if self.new_vpc else self.existing_vpc.cidr  # type: ignore[union-attr]

    @property
    def nat_gateways(self) -> bool:
        return bool(self.new_vpc and self.new_vpc.nat_gateways)

    @property
    def optional_interface_endpoints(self) -> tuple[str, ...]:
        """Endpoints the template does not create on its own: they go to its optional slots."""
        fixed = fixed_interface_endpoints(self.internet_free)
        return tuple(e for e in self.interface_endpoints if e not in fixed)


@dataclass(frozen=True)
class PersonaAuthentication:
    method: str  # mfa | saml | oidc
    provider_arn: str | None = None
    mfa_account_id: str | None = None


@dataclass(frozen=True)
class IamConfig:
    create_roles: bool
    #: role key (ROLE_KEYS) -> ARN, only with create_roles false
    existing_roles: Mapping[str, str]
    persona_authentication: PersonaAuthentication


@dataclass(frozen=True)
class UserProfile:
    name: str
    owner: str


@dataclass(frozen=True)
class StudioConfig:
    auth_mode: str  # IAM | SSO
    user_profiles: tuple[UserProfile, ...]
    network_access: str = "VpcOnly"


@dataclass(frozen=True)
class TargetsConfig:
    staging_accounts: tuple[str, ...] = ()
    production_accounts: tuple[str, ...] = ()
    staging_ous: tuple[str, ...] = ()
    production_ous: tuple[str, ...] = ()

    @property
    def accounts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.staging_accounts + self.production_accounts))

    @property
    def ous(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.staging_ous + self.production_ous))


@dataclass(frozen=True)
class AuditConfig:
    create_trail: bool = True


@dataclass(frozen=True)
class EnvConfig:
    path: Path
    name: str
    team: str
    stage: str
    region: str
    availability_zones: tuple[str, ...]
    network: NetworkConfig
    iam: IamConfig
    studio: StudioConfig
    targets: TargetsConfig
    audit: AuditConfig
    #: every tag of every resource: team, environment, stage and the configured extra tags
    tags: Mapping[str, str]

    @property
    def extra_tags(self) -> Mapping[str, str]:
        return MappingProxyType({k: v for k, v in self.tags.items() if k not in STANDARD_TAGS})


def fixed_interface_endpoints(internet_free: bool) -> set[str]:
    """The endpoints the env template creates on its own; the others go to its optional slots."""
    return set(REQUIRED_INTERFACE_ENDPOINTS) | (set(CODEARTIFACT_ENDPOINTS) if internet_free else set())


def interface_endpoint_service_name(name: str, region: str) -> str:
    """The VPC endpoint service name of a short name (``notebook`` and ``studio`` are SageMaker's)."""
    if name in ("notebook", "studio"):
        return f"aws.sagemaker.{region}.{name}"
    return f"com.amazonaws.{region}.{name}"


def example_config() -> str:
    """The commented example configuration (what `secure-mlops init` writes)."""
    return EXAMPLE_FILE.read_text()


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text())


# ------------------------------------------------------------------------------ loading
def load_config(path: Path | str) -> EnvConfig:
    """Read, validate and return the configuration at `path`.

    Raises UserError (one problem) or UserErrors (several), each naming the file, the field
    and the fix. Never calls AWS.
    """
    path = Path(path)
    if not path.exists():
        raise UserError("the configuration file does not exist", file=str(path),
                        fix="create one with `secure-mlops init`, or pass -c FILE")
    if path.is_dir():
        raise UserError("is a directory, not a configuration file", file=str(path), fix="pass the YAML file with -c FILE")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot be read ({exc})", file=str(path), fix="check the file's permissions and encoding") from None
    return parse_config(text, path)


def parse_config(text: str, path: Path | str = "<configuration>") -> EnvConfig:
    """Validate configuration text (as load_config does for a file)."""
    path = Path(path)
    data, lines = _load_yaml(text, path)
    errors = _Errors(path, lines)
    _check_schema(data, errors)
    errors.raise_if_any()
    _check_semantics(data, errors)
    errors.raise_if_any()
    return _build(data, path)


class _Errors:
    """Collects UserErrors; each carries the file (with line, when known), field and fix."""

    def __init__(self, path: Path, lines: dict[tuple, int]):
        self.path = path
        self.lines = lines
        self.items: list[UserError] = []

    def add(self, field: tuple, message: str, fix: str) -> None:
        line = None
        for n in range(len(field), -1, -1):  # the field's own line, else its nearest parent's
            if tuple(field[:n]) in self.lines:
                line = self.lines[tuple(field[:n])]
                break
        where = f"{self.path}:{line}" if line else str(self.path)
        self.items.append(UserError(message, file=where, field=_field_name(field) or "(top level)", fix=fix))

    def raise_if_any(self) -> None:
        if len(self.items) == 1:
            raise self.items[0]
        if self.items:
            raise UserErrors(self.items)


def _field_name(field: tuple) -> str:
    out = ""
    for part in field:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _load_yaml(text: str, path: Path) -> tuple[Any, dict[tuple, int]]:
    """Parse YAML into plain data, remembering the line of every field; duplicate keys are errors."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise UserError(f"is not valid YAML ({problem})", file=where,
                        fix="fix the syntax at that line (indentation, a missing colon, an unclosed quote)") from None
    if root is None:
        raise UserError("is empty", file=str(path), fix="start from `secure-mlops init`, which writes a complete example")
    constructor = yaml.SafeLoader("")
    lines: dict[tuple, int] = {}
    dup: list[tuple[tuple, int]] = []

    def build(node, at: tuple):
        lines.setdefault(at, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = constructor.construct_object(key_node, deep=True)
                if key in out:
                    dup.append((at + (key,), key_node.start_mark.line + 1))
                lines[at + (key,)] = key_node.start_mark.line + 1
                out[key] = build(value_node, at + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [build(item, at + (i,)) for i, item in enumerate(node.value)]
        return constructor.construct_object(node, deep=True)

    try:
        data = build(root, ())
    except yaml.YAMLError as exc:
        raise UserError(f"is not valid YAML ({exc})", file=str(path), fix="fix the value the message names") from None
    if dup:
        field, line = dup[0]
        raise UserError("is given twice", file=f"{path}:{line}", field=_field_name(field),
                        fix="keep one of the two entries (YAML would silently use the last)")
    if not isinstance(data, dict):
        raise UserError("must be a mapping of fields (name: ..., team: ...)", file=str(path),
                        fix="start from `secure-mlops init`, which writes a complete example")
    return data, lines


# ------------------------------------------------------------------------------ schema
def _schema_at(path: tuple) -> dict[str, Any]:
    """The (sub)schema that describes the field at `path` (for its x-fix and description)."""
    node = schema()
    for part in path:
        if isinstance(part, int):
            node = node.get("items", {})
        elif part in node.get("properties", {}):
            node = node["properties"][part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return {}
    return node


def _fix_for(at: tuple) -> str:
    """The x-fix of the field, else of the nearest enclosing field that has one (list items)."""
    for n in range(len(at), -1, -1):
        sub = _schema_at(at[:n])
        if sub.get("x-fix"):
            return sub["x-fix"]
    return "see docs/configuration.md"


def _type_name(value: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list",
            dict: "a mapping", type(None): "empty"}.get(type(value), type(value).__name__)


_SCHEMA_TYPES = {"string": "text", "boolean": "true or false", "integer": "a whole number", "array": "a list",
                 "object": "a mapping"}


def _check_schema(data: dict, errors: _Errors) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    for err in sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.validator)):
        at = tuple(err.absolute_path)
        fix = _fix_for(at)
        if err.validator == "required":
            missing = re.findall(r"'([^']+)' is a required property", err.message)
            name = missing[0] if missing else "?"
            fix = _schema_at(at + (name,)).get("x-fix") or "add it (see docs/configuration.md)"
            errors.add(at + (name,), "is required but missing", f"add `{name}:` here; {fix}")
        elif err.validator == "additionalProperties":
            allowed = sorted(_schema_at(at).get("properties", {}))
            for extra in sorted(set(err.instance) - set(allowed)):
                close = difflib.get_close_matches(str(extra), allowed, n=1)
                hint = f"did you mean `{close[0]}`? " if close else ""
                errors.add(at + (extra,), "is not a known field",
                           f"{hint}remove it or correct the spelling (known here: {', '.join(allowed)})")
        elif err.validator == "type":
            wanted = _SCHEMA_TYPES.get(str(err.validator_value), str(err.validator_value))
            errors.add(at, f"must be {wanted}, not {_type_name(err.instance)} ({err.instance!r})", fix)
        elif err.validator in ("enum", "const"):
            errors.add(at, f"{err.instance!r} is not allowed", fix)
        elif err.validator == "pattern":
            errors.add(at, f"{err.instance!r} is not a valid value", fix)
        else:
            errors.add(at, err.message, fix)


# ------------------------------------------------------------------------------ semantic checks
def _cidr(value: str, at: tuple, errors: _Errors, fix: str) -> ipaddress.IPv4Network | None:
    try:
        net = ipaddress.IPv4Network(value, strict=True)
    except ipaddress.AddressValueError:
        errors.add(at, f"{value!r} is not an IPv4 CIDR", fix)
        return None
    except ValueError as exc:
        if "has host bits set" in str(exc):
            base = ipaddress.IPv4Network(value, strict=False)
            errors.add(at, f"{value!r} has host bits set", f"use the network address: {base}")
        else:
            errors.add(at, f"{value!r} is not an IPv4 CIDR ({exc})", fix)
        return None
    return net


@lru_cache(maxsize=None)
def _region_known(region: str) -> bool:
    """Whether SageMaker is offered in `region`, by botocore's endpoint data: no AWS call, and no
    botocore session (which would read AWS_PROFILE: validate must not depend on the user's profile)."""
    from ..target import service_regions

    return region in service_regions("api.sagemaker")


def _check_semantics(data: dict, errors: _Errors) -> None:
    region = data["region"]
    if _region_known(region) is False:
        errors.add(("region",), f"{region!r} is not a region where SageMaker is offered",
                   "use a region code such as us-east-1, eu-west-1 or eu-central-1")
    _check_zones(data, region, errors)
    net = data["network"]
    internet_free = net.get("internet_free", True)
    zones = data["availability_zones"]
    if ("new_vpc" in net) == ("existing_vpc" in net):
        errors.add(("network",), "needs exactly one of new_vpc and existing_vpc",
                   "keep `new_vpc:` to create a VPC, or `existing_vpc:` to deploy into one, not both" if "new_vpc" in net
                   else "add `new_vpc: {cidr: 10.0.0.0/16, private_subnet_cidrs: [...]}` or `existing_vpc: {...}`")
    if "new_vpc" in net:
        _check_new_vpc(net["new_vpc"], zones, internet_free, errors)
    if "existing_vpc" in net:
        _check_existing_vpc(net["existing_vpc"], zones, errors)
    _check_endpoints(net, internet_free, errors)
    retention = net.get("flow_log_retention_days", 365)
    if retention not in LOG_RETENTION_DAYS:
        errors.add(("network", "flow_log_retention_days"), f"{retention} is not a CloudWatch Logs retention value",
                   _schema_at(("network", "flow_log_retention_days"))["x-fix"])
    _check_iam(data.get("iam", {}), errors)
    _check_studio(data.get("studio", {}), errors)
    _check_targets(data.get("targets", {}), errors)
    _check_tags(data.get("tags", {}), errors)


def _check_zones(data: dict, region: str, errors: _Errors) -> None:
    zones = data["availability_zones"]
    at = ("availability_zones",)
    if len(zones) < 2:
        errors.add(at, f"has {len(zones)} availability zone(s); SageMaker endpoints need at least two",
                   f"list two to four zones of {region}, e.g. [{region}a, {region}b]")
    if len(zones) > MAX_AZS:
        errors.add(at, f"has {len(zones)} availability zones; at most {MAX_AZS} are supported",
                   f"keep {MAX_AZS} or fewer")
    if len(set(zones)) != len(zones):
        errors.add(at, "lists a zone twice", "list each zone once")
    for i, zone in enumerate(zones):
        if not re.fullmatch(re.escape(region) + r"[a-z]", zone):
            errors.add(at + (i,), f"{zone!r} is not an availability zone of {region}",
                       f"use a zone of the configured region, such as {region}a (or change `region`)")


def _check_new_vpc(vpc: dict, zones: list, internet_free: bool, errors: _Errors) -> None:
    at = ("network", "new_vpc")
    fix = "use an IPv4 CIDR such as 10.0.0.0/16"
    net = _cidr(vpc["cidr"], at + ("cidr",), errors, fix)
    if net is not None and not 16 <= net.prefixlen <= 28:
        errors.add(at + ("cidr",), f"/{net.prefixlen} is outside the sizes a VPC can have", "use a prefix between /16 and /28")
    nat = vpc.get("nat_gateways", False)
    if nat and internet_free:
        errors.add(at + ("nat_gateways",), "asks for NAT gateways in an internet-free environment (control NET-05)",
                   "set `network.internet_free: false` to give the environment internet access, or remove `nat_gateways`")
    if not nat and not internet_free:
        errors.add(("network", "internet_free"), "is false, but the new VPC gets no NAT gateway, so it has no internet access",
                   "set `network.new_vpc.nat_gateways: true` (with public_subnet_cidrs), or `network.internet_free: true`")
    subnets: list[tuple[tuple, ipaddress.IPv4Network]] = []
    for key in ("private_subnet_cidrs", "public_subnet_cidrs"):
        cidrs = vpc.get(key, [])
        if key == "public_subnet_cidrs" and not nat:
            if cidrs:
                errors.add(at + (key,), "public subnets are only created for NAT gateways",
                           "remove public_subnet_cidrs, or set `nat_gateways: true`")
            continue
        if len(cidrs) != len(zones):
            errors.add(at + (key,), f"has {len(cidrs)} CIDR(s) for {len(zones)} availability zone(s)",
                       "give exactly one CIDR per availability zone, in the same order")
        for i, value in enumerate(cidrs):
            sub = _cidr(value, at + (key, i), errors, "use an IPv4 CIDR inside the VPC CIDR, such as 10.0.0.0/19")
            if sub is None:
                continue
            if net is not None and not sub.subnet_of(net):
                errors.add(at + (key, i), f"{value} is outside the VPC CIDR {net}", f"use a CIDR inside {net}")
            elif sub.prefixlen > 28:
                errors.add(at + (key, i), f"/{sub.prefixlen} is smaller than a subnet can be", "use a prefix of /28 or larger")
            for other_at, other in subnets:
                if sub.overlaps(other):
                    errors.add(at + (key, i), f"{value} overlaps {other} ({_field_name(other_at)})",
                               "give every subnet its own, non-overlapping range")
                    break
            subnets.append((at + (key, i), sub))


def _check_existing_vpc(vpc: dict, zones: list, errors: _Errors) -> None:
    at = ("network", "existing_vpc")
    if not _VPC_ID.match(vpc["vpc_id"]):
        errors.add(at + ("vpc_id",), f"{vpc['vpc_id']!r} is not a VPC id", "use an id such as vpc-0123456789abcdef0")
    _cidr(vpc["cidr"], at + ("cidr",), errors, "use the VPC's IPv4 CIDR such as 10.1.0.0/16")
    for key, pattern, example in (("private_subnet_ids", _SUBNET_ID, "subnet-0123456789abcdef0"),
                                  ("private_route_table_ids", _ROUTE_TABLE_ID, "rtb-0123456789abcdef0")):
        values = vpc[key]
        if len(values) < 2:
            errors.add(at + (key,), f"has {len(values)} id(s); the environment needs at least two availability zones",
                       "list one per availability zone")
        if key == "private_subnet_ids" and len(values) != len(zones):
            errors.add(at + (key,), f"has {len(values)} subnet(s) for {len(zones)} availability zone(s)",
                       "list one private subnet per availability zone, in the order of availability_zones")
        if len(set(values)) != len(values):
            errors.add(at + (key,), "lists an id twice", "list each id once")
        for i, value in enumerate(values):
            if not pattern.match(value):
                errors.add(at + (key, i), f"{value!r} is not a valid id", f"use an id such as {example}")


def _check_endpoints(net: dict, internet_free: bool, errors: _Errors) -> None:
    at = ("network", "interface_endpoints")
    names = net.get("interface_endpoints")
    if names is None:
        return
    for i, name in enumerate(names):
        if name == "s3":
            errors.add(at + (i,), "s3 is a gateway endpoint, always created", "remove s3 from interface_endpoints")
        elif name.startswith(("com.amazonaws.", "aws.sagemaker.")):
            errors.add(at + (i,), f"{name!r} is a full service name", "give the short name after the region, e.g. sagemaker.api")
        elif not _ENDPOINT_NAME.match(name):
            errors.add(at + (i,), f"{name!r} is not a service name", "use a short name such as sagemaker.api or sts")
    if len(set(names)) != len(names):
        errors.add(at, "lists a service twice", "list each service once")
    missing = [n for n in REQUIRED_INTERFACE_ENDPOINTS if n not in names]
    if missing:
        errors.add(at, f"lacks {', '.join(missing)}, which every environment needs (control NET-03)",
                   f"add {', '.join(missing)}")
    fixed = fixed_interface_endpoints(internet_free)
    optional = [n for n in dict.fromkeys(names) if n not in fixed and n != "s3"]
    if len(optional) > MAX_OPTIONAL_ENDPOINTS:
        errors.add(at, f"names {len(optional)} services beyond the required ones; the template has room for "
                   f"{MAX_OPTIONAL_ENDPOINTS} ({', '.join(optional)})", f"keep at most {MAX_OPTIONAL_ENDPOINTS} of them")


def _check_iam(iam: dict, errors: _Errors) -> None:
    at = ("iam",)
    create = iam.get("create_roles", True)
    roles = iam.get("existing_roles", {})
    if create and roles:
        errors.add(at + ("existing_roles",), "is given while create_roles is true (the roles would be created anyway)",
                   "remove existing_roles, or set `create_roles: false` to bring your own roles")
    missing = [key for key in ROLE_KEYS if key not in roles]
    if not create and missing:
        errors.add(at + ("existing_roles",), f"lacks {', '.join(missing)} (every role is required when create_roles "
                   "is false)", "add `<role>: arn:aws:iam::<account>:role/<name>` for each of them under "
                   "iam.existing_roles, or set `create_roles: true`")
    accounts = set()
    for key, arn in roles.items():
        m = _ROLE_ARN.match(arn)
        if not m:
            errors.add(at + ("existing_roles", key), f"{arn!r} is not an IAM role ARN",
                       "use arn:aws:iam::<12-digit account>:role/<name>")
        else:
            accounts.add(m.group(2))
    if len(accounts) > 1:
        errors.add(at + ("existing_roles",), f"names roles of several accounts ({', '.join(sorted(accounts))})",
                   "use the roles of the account the environment is deployed to")
    auth = iam.get("persona_authentication", {"method": "mfa"})
    method = auth.get("method", "mfa")
    aat = at + ("persona_authentication",)
    if method in _PROVIDER_ARN:
        arn = auth.get("provider_arn")
        if not arn:
            errors.add(aat + ("provider_arn",), f"is required for {method} authentication",
                       f"give the IAM {method.upper()} provider ARN, arn:aws:iam::<account>:{method}-provider/<name>")
        elif not _PROVIDER_ARN[method].match(arn):
            errors.add(aat + ("provider_arn",), f"{arn!r} is not an IAM {method.upper()} provider ARN",
                       f"use arn:aws:iam::<12-digit account>:{method}-provider/<name>")
        if "mfa_account_id" in auth:
            errors.add(aat + ("mfa_account_id",), f"only applies to mfa authentication, not {method}", "remove it")
    else:
        if "provider_arn" in auth:
            errors.add(aat + ("provider_arn",), "only applies to saml or oidc authentication",
                       "remove it, or set `method: saml` / `method: oidc`")
        account = auth.get("mfa_account_id")
        if account is not None and not _ACCOUNT.match(account):
            errors.add(aat + ("mfa_account_id",), f"{account!r} is not a 12-digit account id",
                       "give the account id as a quoted string of 12 digits")


def _check_studio(studio: dict, errors: _Errors) -> None:
    profiles = studio.get("user_profiles", [])
    at = ("studio", "user_profiles")
    if len(profiles) > MAX_USER_PROFILES:
        errors.add(at, f"has {len(profiles)} profiles; the template creates up to {MAX_USER_PROFILES}",
                   f"keep {MAX_USER_PROFILES} here and let the team administrator add the others")
    seen = set()
    for i, p in enumerate(profiles):
        if not _PROFILE_NAME.match(p["name"]):
            errors.add(at + (i, "name"), f"{p['name']!r} is not a valid user profile name",
                       "use letters, digits and hyphens, up to 63 characters, starting with a letter or digit")
        if p["name"] in seen:
            errors.add(at + (i, "name"), f"{p['name']!r} is listed twice", "give every profile its own name")
        seen.add(p["name"])
        if not p["owner"].strip() or not _TAG_VALUE.match(p["owner"]):
            errors.add(at + (i, "owner"), f"{p['owner']!r} cannot be an owner tag value",
                       "name the owner with letters, digits, spaces and . : / = + - @ _ (e.g. an e-mail address)")


def _check_targets(targets: dict, errors: _Errors) -> None:
    at = ("targets",)
    for key in ("staging_accounts", "production_accounts"):
        values = targets.get(key, [])
        for i, value in enumerate(values):
            if not _ACCOUNT.match(value):
                errors.add(at + (key, i), f"{value!r} is not a 12-digit account id",
                           "give account ids as quoted strings of 12 digits")
        if len(set(values)) != len(values):
            errors.add(at + (key,), "lists an account twice", "list each account once")
    both = set(targets.get("staging_accounts", [])) & set(targets.get("production_accounts", []))
    if both:
        errors.add(at + ("production_accounts",), f"{', '.join(sorted(both))} is both a staging and a production account",
                   "keep staging and production in separate accounts")
    for key in ("staging_ous", "production_ous"):
        for i, value in enumerate(targets.get(key, [])):
            if not _ORG_PATH.match(value):
                errors.add(at + (key, i), f"{value!r} is not an organization path",
                           "use o-<org id>/r-<root id>/ou-<...>, e.g. o-a1b2c3d4e5/r-ab12/ou-ab12-11111111")


def _check_tags(tags: dict, errors: _Errors) -> None:
    at = ("tags",)
    if len(tags) > 40:
        errors.add(at, f"has {len(tags)} tags; at most 40 fit beside the ones the tool sets", "keep 40 or fewer")
    for key, value in tags.items():
        if key in STANDARD_TAGS or key == "owner":
            errors.add(at + (key,), f"{key!r} is set by the tool", f"remove it (the {key} tag comes from the configuration)")
        elif str(key).lower().startswith("aws:"):
            errors.add(at + (key,), "tag keys starting with aws: are reserved by AWS", "choose another key")
        elif not _TAG_KEY.match(str(key)):
            errors.add(at + (key,), f"{key!r} is not a valid tag key",
                       "use up to 128 letters, digits, spaces and . : / = + - @ _")
        if isinstance(value, str) and not _TAG_VALUE.match(value):
            errors.add(at + (key,), f"{value!r} is not a valid tag value",
                       "use up to 256 letters, digits, spaces and . : / = + - @ _")


# ------------------------------------------------------------------------------ building
def _build(data: dict, path: Path) -> EnvConfig:
    net = data["network"]
    internet_free = net.get("internet_free", True)
    endpoints = list(net.get("interface_endpoints", DEFAULT_INTERFACE_ENDPOINTS))
    if internet_free:
        endpoints += [e for e in CODEARTIFACT_ENDPOINTS if e not in endpoints]
    new_vpc = existing_vpc = None
    if "new_vpc" in net:
        v = net["new_vpc"]
        new_vpc = NewVpc(cidr=v["cidr"], private_subnet_cidrs=tuple(v["private_subnet_cidrs"]),
                         nat_gateways=v.get("nat_gateways", False),
                         public_subnet_cidrs=tuple(v.get("public_subnet_cidrs", ())))
    else:
        v = net["existing_vpc"]
        existing_vpc = ExistingVpc(vpc_id=v["vpc_id"], cidr=v["cidr"], private_subnet_ids=tuple(v["private_subnet_ids"]),
                                   private_route_table_ids=tuple(v["private_route_table_ids"]))
    iam = data.get("iam", {})
    auth = iam.get("persona_authentication", {"method": "mfa"})
    studio = data.get("studio", {})
    targets = data.get("targets", {})
    tags = {"team": data["team"], "environment": data["name"], "stage": data["stage"], **data.get("tags", {})}
    return EnvConfig(
        path=path,
        name=data["name"],
        team=data["team"],
        stage=data["stage"],
        region=data["region"],
        availability_zones=tuple(data["availability_zones"]),
        network=NetworkConfig(internet_free=internet_free, interface_endpoints=tuple(endpoints), new_vpc=new_vpc,
                              existing_vpc=existing_vpc,
                              flow_log_retention_days=net.get("flow_log_retention_days", 365)),
        iam=IamConfig(create_roles=iam.get("create_roles", True),
                      existing_roles=MappingProxyType(dict(iam.get("existing_roles", {}))),
                      persona_authentication=PersonaAuthentication(method=auth.get("method", "mfa"),
                                                                   provider_arn=auth.get("provider_arn"),
                                                                   mfa_account_id=auth.get("mfa_account_id"))),
        studio=StudioConfig(auth_mode=studio.get("auth_mode", "IAM"),
                            user_profiles=tuple(UserProfile(p["name"], p["owner"]) for p in studio.get("user_profiles", ())),
                            network_access=studio.get("network_access", "VpcOnly")),
        targets=TargetsConfig(**{k: tuple(targets.get(k, ())) for k in
                                 ("staging_accounts", "production_accounts", "staging_ous", "production_ous")}),
        audit=AuditConfig(create_trail=data.get("audit", {}).get("create_trail", True)),
        tags=MappingProxyType(tags),
    )
