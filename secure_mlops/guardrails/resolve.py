"""Resolve CloudFormation intrinsics before the rules see a template.

What the rules see (the *resolved form*, documented in docs/gate.md):

- ``!Ref Param`` -> the value given for the parameter (``--parameter``, or what ``provision``
  passes), else its ``Default``, else its only ``AllowedValues`` entry. A parameter of an
  AWS-specific type (``AWS::EC2::Subnet::Id``, ``List<AWS::EC2::SecurityGroup::Id>``, ...)
  without a value becomes a typed token ``${AWS::EC2::Subnet::Id/Name}``: CloudFormation checks
  that such a value is an existing id of that type.
- ``!Ref Resource`` -> ``${<Type>/<LogicalId>}``; ``!GetAtt Resource.Attr`` ->
  ``${<Type>/<LogicalId>.<Attr>}``; pseudo parameters -> ``${AWS::Region}`` etc.;
  ``AWS::NoValue`` removes the property.
- ``Fn::If`` with a condition that the parameters decide -> the chosen branch; ``Fn::Sub``,
  ``Fn::Join``, ``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap``, ``Fn::Base64``,
  ``Fn::ToJsonString``, ``Fn::Length`` are evaluated. A resource whose ``Condition`` is false
  is left out (CloudFormation would not create it).
- A parameter of type ``AWS::SSM::Parameter::Value<...>`` whose value (given, else default) is
  one of the names an environment publishes, ``/secure-mlops/<env>/<key>`` (envcontext.PARAMETERS),
  is that environment's id: the symbolic token ``${Env::<env>/<key>}`` (a one-element list for a
  list type). Which keys are ids is ``ENV_BOUND``; the environment's *values* (stage, team,
  internet-free, target accounts, ...) and any other SSM parameter stay unknown.
- Anything else (a parameter without a value, a condition that depends on one,
  ``Fn::ImportValue``, ``Fn::GetAZs``, ...) becomes ``{"Unresolved": "<why>"}`` and is recorded
  in ``unresolved`` so that a failing check on it reads "cannot be verified: <why>". A string
  (``Fn::Sub``/``Fn::Join``) with an unknown piece becomes ``{"Unresolved": "<why>", "Text":
  "arn:...:${Name}"}``, so that it cannot satisfy a pattern by accident.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..cfn_template import PSEUDO_PARAMETERS, Loaded, PathT, Pos, substitute

NOVALUE = object()


class Unresolved:
    """A value the gate cannot know before deployment."""

    def __init__(self, reason: str, token: str | None = None):
        self.reason = reason
        self.token = token or "${?}"  # how it reads inside a string

    def __repr__(self) -> str:  # pragma: no cover - debugging
        return f"Unresolved({self.reason!r})"


@dataclass
class Resolved:
    """A template after resolution: data for the rules, positions in the original file."""

    loaded: Loaded
    data: dict
    positions: dict[PathT, Pos] = field(default_factory=dict)
    unresolved: dict[PathT, str] = field(default_factory=dict)
    dropped: dict[str, str] = field(default_factory=dict)  # logical id -> why it was left out
    resource_types: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)  # resolved parameter values

    def position(self, path: PathT) -> Pos:
        path = tuple(path)
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return (1, 1)

    def unresolved_at(self, path: PathT) -> str | None:
        """The reason the value at `path` (or one of its ancestors) could not be resolved."""
        path = tuple(path)
        for p, reason in self.unresolved.items():
            if path[:len(p)] == p:
                return reason
        return None


def resource_token(rtype: str, logical_id: str, attr: str | None = None) -> str:
    return "${%s/%s%s}" % (rtype, logical_id, f".{attr}" if attr else "")


TOKEN = re.compile(r"\$\{(AWS::[A-Za-z0-9]+::[A-Za-z0-9:]+)/([A-Za-z0-9]+)(?:\.([A-Za-z0-9.]+))?\}")

#: environment keys (envcontext.PARAMETERS) whose published value is an id of the environment,
#: and what kind of id: the gate reads an SSM parameter naming one of them as that id
ENV_BOUND: dict[str, str] = {
    "vpc-id": "vpc",
    "private-subnet-ids": "subnets",
    "sagemaker-security-group-id": "security-group",
    "endpoint-security-group-id": "security-group",
    "s3-vpc-endpoint-id": "s3-endpoint",
    "s3-kms-key-arn": "kms-key",
    "volume-kms-key-arn": "kms-key",
    "studio-kms-key-arn": "kms-key",
    "data-bucket": "bucket",
    "model-bucket": "bucket",
    "log-bucket": "bucket",
    "data-scientist-role-arn": "role",
    "team-admin-role-arn": "role",
    "sagemaker-execution-role-arn": "role",
    "pipeline-execution-role-arn": "role",
    "model-execution-role-arn": "role",
    "domain-id": "domain",
    "model-package-group-name": "model-package-group",
}
#: environment keys whose value is data, not an id: unknown before deployment
ENV_VALUES = ("team", "stage", "internet-free", "vpc-cidr", "interface-endpoints", "staging-accounts",
              "production-accounts")
ENV_PATH = re.compile(r"^/secure-mlops/([A-Za-z0-9_.-]+)/([a-z0-9-]+)$")
ENV_TOKEN = re.compile(r"\$\{Env::([A-Za-z0-9_.-]+)/([a-z0-9-]+)\}")


def env_token(env: str, key: str) -> str:
    """The symbolic value of an environment's published id: ``${Env::<env>/<key>}``."""
    return "${Env::%s/%s}" % (env, key)


def env_ref(value: Any) -> tuple[str, str] | None:
    """(env, key) when `value` is exactly an environment token."""
    if isinstance(value, str):
        m = ENV_TOKEN.fullmatch(value)
        if m:
            return m.group(1), m.group(2)
    return None


def _has_env_token(value: Any) -> bool:
    return isinstance(value, str) and ENV_TOKEN.search(value) is not None


class _Resolver:
    def __init__(self, loaded: Loaded, values: dict[str, Any] | None, environment: str | None = None):
        self.loaded = loaded
        self.environment = environment
        tpl = loaded.data if isinstance(loaded.data, dict) else {}
        self.tpl = tpl
        self.params_decl = tpl.get("Parameters") if isinstance(tpl.get("Parameters"), dict) else {}
        self.mappings = tpl.get("Mappings") if isinstance(tpl.get("Mappings"), dict) else {}
        self.conditions_decl = tpl.get("Conditions") if isinstance(tpl.get("Conditions"), dict) else {}
        resources = tpl.get("Resources") if isinstance(tpl.get("Resources"), dict) else {}
        self.resources = resources
        self.types = {k: v.get("Type") for k, v in resources.items() if isinstance(v, dict)
                      and isinstance(v.get("Type"), str)}
        self.values = {k: v for k, v in (values or {}).items() if k in self.params_decl}
        self.out_pos: dict[PathT, Pos] = {}
        self.unresolved: dict[PathT, str] = {}
        self._cond_cache: dict[str, Any] = {}
        self.param_values: dict[str, Any] = {}
        for name in self.params_decl:
            self.param_values[name] = self._param(name)

    # ---------------------------------------------------------------- parameters
    def _param(self, name: str) -> Any:
        decl = self.params_decl.get(name)
        decl = decl if isinstance(decl, dict) else {}
        ptype = str(decl.get("Type", "String"))
        if name in self.values:
            raw, origin = self.values[name], "given"
        elif "Default" in decl:
            raw, origin = decl["Default"], "default"
        elif isinstance(decl.get("AllowedValues"), list) and len(decl["AllowedValues"]) == 1:
            raw, origin = decl["AllowedValues"][0], "only allowed value"
        else:
            raw, origin = None, None
        if ptype.startswith("AWS::SSM::Parameter::Value<"):
            return self._ssm_param(name, ptype, raw, origin)
        if origin is None:
            if ptype.startswith("AWS::") or ptype.startswith("List<AWS::"):
                inner = ptype[5:-1] if ptype.startswith("List<") else ptype
                token = "${%s/%s}" % (inner, name)
                return [token] if ptype.startswith("List<") else token
            return Unresolved(f"parameter {name} has no default and no value was given "
                              f"(pass --parameter {name}=VALUE)", "${%s}" % name)
        if ptype in ("CommaDelimitedList", "List<Number>") or ptype.startswith("List<"):
            if isinstance(raw, list):
                items = [str(x) for x in raw]
            else:
                items = [s.strip() for s in str(raw).split(",")] if str(raw) != "" else []
            return [_number(x) for x in items] if ptype == "List<Number>" else items
        if isinstance(raw, bool):
            return "true" if raw else "false"
        if ptype == "Number":
            return _number(raw)  # CloudFormation passes it to numeric properties as a number
        return raw if isinstance(raw, str) else str(raw) if raw is not None else ""

    def _ssm_param(self, name: str, ptype: str, raw: Any, origin: str | None) -> Any:
        """An SSM-typed parameter: an environment's published id is symbolic, anything else unknown."""
        token = "${%s}" % name
        path = raw.strip() if isinstance(raw, str) else None
        m = ENV_PATH.match(path) if path else None
        if m is None:
            what = f"{path!r}" if path else "a name that was not given"
            return Unresolved(f"parameter {name} is read from SSM Parameter Store at deploy time ({what} is not "
                              "an id published by a secure-mlops environment; pass --parameter "
                              f"{name}=VALUE)", token)
        env, key = m.group(1), m.group(2)
        if key not in ENV_BOUND:
            why = ("holds the environment's " + key + ", a value known only at deployment") if key in ENV_VALUES \
                else f"names {key!r}, which secure-mlops environments do not publish"
            return Unresolved(f"parameter {name} reads {path} from SSM Parameter Store, which {why} "
                              f"(pass --parameter {name}=VALUE)", token)
        if self.environment and env != self.environment:
            return Unresolved(f"parameter {name} reads {path}, an id of environment {env!r}, but the gate is "
                              f"checking environment {self.environment!r}", token)
        value = env_token(env, key)
        inner = ptype[len("AWS::SSM::Parameter::Value<"):-1]
        if inner.startswith("List<") or inner == "CommaDelimitedList":
            return [value]
        return value

    # ---------------------------------------------------------------- conditions
    def condition(self, name: str, stack: tuple = ()) -> Any:
        if name in self._cond_cache:
            return self._cond_cache[name]
        if name in stack or name not in self.conditions_decl:
            return Unresolved(f"condition {name} is not defined" if name not in self.conditions_decl
                              else f"condition {name} refers to itself")
        value = self._cond_expr(self.conditions_decl[name], stack + (name,))
        if isinstance(value, Unresolved):
            value = Unresolved(f"condition {name} depends on a value that is unknown before deployment "
                               f"({value.reason})")
        self._cond_cache[name] = value
        return value

    def _cond_expr(self, expr: Any, stack: tuple) -> Any:
        if isinstance(expr, dict) and len(expr) == 1:
            (fn, arg), = expr.items()
            if fn == "Condition":
                return self.condition(str(arg), stack)
            if fn == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
                a, b = (self.value(x, None, None) for x in arg)
                for x in (a, b):
                    if isinstance(x, Unresolved):
                        return x
                    if _has_param_token(x, self.params_decl) or _has_env_token(x) or \
                            isinstance(x, list) and any(_has_env_token(i) for i in x):
                        return Unresolved(f"compares a value that is unknown before deployment: {x}")
                return _norm_eq(a) == _norm_eq(b)
            if fn == "Fn::Not" and isinstance(arg, list) and len(arg) == 1:
                v = self._cond_expr(arg[0], stack)
                return v if isinstance(v, Unresolved) else not v
            if fn in ("Fn::And", "Fn::Or") and isinstance(arg, list):
                vals = [self._cond_expr(x, stack) for x in arg]
                decided = [v for v in vals if not isinstance(v, Unresolved)]
                if fn == "Fn::And" and any(v is False for v in decided):
                    return False
                if fn == "Fn::Or" and any(v is True for v in decided):
                    return True
                unknown = [v for v in vals if isinstance(v, Unresolved)]
                if unknown:
                    return unknown[0]
                return all(vals) if fn == "Fn::And" else any(vals)
        if isinstance(expr, bool):
            return expr
        return Unresolved(f"cannot evaluate condition expression {json.dumps(expr, default=str)[:80]}")

    # ---------------------------------------------------------------- values
    def _record(self, npath: PathT | None, opath: PathT | None) -> None:
        if npath is None:
            return
        pos = self.loaded.position(opath) if opath is not None else (1, 1)
        self.out_pos[npath] = pos

    def _fill(self, value: Any, npath: PathT | None, pos_from: PathT | None) -> Any:
        """Record positions for a value that came from elsewhere (defaults, mappings)."""
        if npath is None:
            return value
        self._record(npath, pos_from)
        if isinstance(value, dict):
            for k, v in value.items():
                self._fill(v, npath + (k,), pos_from)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self._fill(v, npath + (i,), pos_from)
        elif isinstance(value, Unresolved):
            self.unresolved[npath] = value.reason
        return value

    def value(self, node: Any, opath: PathT | None, npath: PathT | None) -> Any:
        """Evaluate `node` (found at original path `opath`) to be placed at `npath`."""
        if npath is not None:
            self._record(npath, opath)
        sub = (lambda k: opath + (k,)) if opath is not None else (lambda k: None)
        nsub = (lambda k: npath + (k,)) if npath is not None else (lambda k: None)
        if isinstance(node, dict):
            if len(node) == 1:
                (key, arg), = node.items()
                if key == "Ref" or key.startswith("Fn::"):
                    result = self.intrinsic(key, arg, sub(key), opath, npath)
                    if isinstance(result, Unresolved) and npath is not None:
                        self.unresolved[npath] = result.reason
                    return result
            out: dict = {}
            for k, v in node.items():
                r = self.value(v, sub(k), nsub(k))
                if r is NOVALUE:
                    if npath is not None:
                        self.out_pos.pop(npath + (k,), None)
                    continue
                out[k] = r
            return out
        if isinstance(node, list):
            items = []
            for i, v in enumerate(node):
                r = self.value(v, sub(i), nsub(len(items)))
                if r is NOVALUE:
                    continue
                items.append(r)
            return items
        return node

    def _str(self, value: Any) -> str | Unresolved:
        if isinstance(value, Unresolved):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        if isinstance(value, str):
            return value
        return Unresolved(f"expected a string, found {json.dumps(value, default=str)[:60]}")

    def ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            return Unresolved(f"!Ref of {name!r}")
        if name == "AWS::NoValue":
            return NOVALUE
        if name in PSEUDO_PARAMETERS:
            return "${%s}" % name
        if name in self.params_decl:
            return self.param_values[name]
        if name in self.types:
            return resource_token(self.types[name], name)
        return Unresolved(f"!Ref {name}: the template defines no parameter or resource {name}")

    def getatt(self, arg: Any, opath, npath) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        if not (isinstance(arg, list) and len(arg) == 2):
            return Unresolved(f"!GetAtt {arg!r}: expected [Resource, Attribute]")
        res, attr = arg[0], self.value(arg[1], None, None)
        if not isinstance(attr, str):
            return Unresolved(f"!GetAtt {res}: the attribute name is not known before deployment")
        if res not in self.types:
            return Unresolved(f"!GetAtt {res}.{attr}: the template defines no resource {res}")
        return resource_token(self.types[res], res, attr)

    def intrinsic(self, fn: str, arg: Any, opath, outer_opath, npath) -> Any:
        if fn == "Ref":
            result = self.ref(arg)
            if isinstance(result, list):
                return self._fill(list(result), npath, outer_opath)
            return result
        if fn == "Fn::GetAtt":
            return self.getatt(arg, opath, npath)
        if fn == "Fn::If":
            if not (isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str)):
                return Unresolved("Fn::If takes [condition, value if true, value if false]")
            cond = self.condition(arg[0])
            if isinstance(cond, Unresolved):
                a = self.value(arg[1], None, None)
                b = self.value(arg[2], None, None)
                if _same(a, b):
                    return self.value(arg[1], _sub(opath, 1), npath)
                return Unresolved(f"!If [{arg[0]}, ...]: {cond.reason}")
            return self.value(arg[1 if cond else 2], _sub(opath, 1 if cond else 2), npath)
        if fn == "Fn::Sub":
            return self.sub(arg)
        if fn == "Fn::Join":
            if not (isinstance(arg, list) and len(arg) == 2):
                return Unresolved("Fn::Join takes [delimiter, list]")
            delim = self._str(self.value(arg[0], None, None))
            items = self.value(arg[1], None, None)
            if isinstance(delim, Unresolved):
                return delim
            if isinstance(items, Unresolved):
                return Unresolved(f"!Join of a list unknown before deployment ({items.reason})")
            if not isinstance(items, list):
                return Unresolved("!Join of something that is not a list")
            parts, reasons = [], []
            for it in items:
                s = self._str(it)
                if isinstance(s, Unresolved):
                    reasons.append(s.reason)
                    parts.append(s.token if isinstance(it, Unresolved) else "${?}")
                else:
                    parts.append(s)
                    if isinstance(s, _PartiallyResolved):
                        reasons.append(s.reason)
            joined = delim.join(parts)
            return _PartiallyResolved(joined, reasons[0]) if reasons else joined
        if fn == "Fn::Select":
            if not (isinstance(arg, list) and len(arg) == 2):
                return Unresolved("Fn::Select takes [index, list]")
            idx = self.value(arg[0], None, None)
            items = self.value(arg[1], None, None)
            try:
                idx = int(idx)
            except (TypeError, ValueError):
                return Unresolved("!Select with an index unknown before deployment")
            if isinstance(items, list) and len(items) == 1 and env_ref(items[0]) and idx >= 0 \
                    and ENV_BOUND.get(env_ref(items[0])[1]) == "subnets":
                return items[0]  # one of the environment's subnets
            if isinstance(items, list) and 0 <= idx < len(items):
                return items[idx]
            if isinstance(items, Unresolved):
                return Unresolved(f"!Select from a list unknown before deployment ({items.reason})")
            return Unresolved("!Select index out of range")
        if fn == "Fn::Split":
            if not (isinstance(arg, list) and len(arg) == 2):
                return Unresolved("Fn::Split takes [delimiter, string]")
            delim = self._str(self.value(arg[0], None, None))
            s = self._str(self.value(arg[1], None, None))
            if isinstance(delim, Unresolved) or isinstance(s, Unresolved):
                return Unresolved("!Split of a value unknown before deployment")
            if _has_param_token(s, self.params_decl) or "${?}" in s or _has_env_token(s):
                return Unresolved("!Split of a value unknown before deployment")
            return s.split(delim)
        if fn == "Fn::FindInMap":
            if not (isinstance(arg, list) and len(arg) >= 3):
                return Unresolved("Fn::FindInMap takes [map, key, key]")
            keys = [self._str(self.value(a, None, None)) for a in arg[:3]]
            if any(isinstance(k, Unresolved) or "${" in k for k in keys):
                return Unresolved("!FindInMap with a key unknown before deployment")
            try:
                found = self.mappings[keys[0]][keys[1]][keys[2]]
            except (KeyError, TypeError):
                return Unresolved(f"!FindInMap {keys}: no such entry in Mappings")
            return self._fill(self.value(found, None, None), npath, outer_opath)
        if fn == "Fn::Base64":
            return self.value(arg, opath, npath)
        if fn == "Fn::ToJsonString":
            v = self.value(arg, None, None)
            if _contains_unresolved(v):
                return Unresolved("!ToJsonString of a value unknown before deployment")
            return json.dumps(v, separators=(",", ":"))
        if fn == "Fn::Length":
            v = self.value(arg, None, None)
            if isinstance(v, list) and not any(_has_env_token(x) for x in v):
                return len(v)
            return Unresolved("!Length of a value unknown before deployment")
        if fn == "Fn::ImportValue":
            return Unresolved("!ImportValue: the value is exported by another stack")
        if fn == "Fn::GetAZs":
            return Unresolved("!GetAZs: availability zones are known at deployment")
        if fn == "Fn::Cidr":
            return Unresolved("!Cidr: computed at deployment")
        if fn == "Fn::Transform":
            return Unresolved("Fn::Transform: a macro computes this value at deployment")
        return Unresolved(f"{fn} is not evaluated by the gate")

    def sub(self, arg: Any) -> Any:
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
            text, variables = arg[0], {k: self.value(v, None, None) for k, v in arg[1].items()}
        else:
            text, variables = arg, {}
        if not isinstance(text, str):
            return Unresolved("Fn::Sub takes a string")
        reasons: list[str] = []

        def value_of(name: str) -> str:
            if name in variables:
                v = variables[name]
            elif "." in name and name.split(".", 1)[0] in self.types:
                v = self.getatt(name, None, None)
            else:
                v = self.ref(name)
            if v is NOVALUE:
                return ""
            s = self._str(v) if not isinstance(v, list) else Unresolved(f"${{{name}}} is a list")
            if isinstance(s, Unresolved):
                reasons.append(s.reason)
                return s.token if isinstance(v, Unresolved) else "${%s}" % name
            if isinstance(s, _PartiallyResolved):
                reasons.append(s.reason)
            return s

        result = substitute(text, value_of)
        if reasons:
            return _PartiallyResolved(result, reasons[0])
        return result


def _number(value: Any) -> Any:
    """A Number parameter's value as a number ("2" -> 2, "0.5" -> 0.5); kept as given otherwise."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return value if isinstance(value, str) else text


class _PartiallyResolved(str):
    """A string with unresolved pieces (kept as ${Name}); the reason is recorded."""

    def __new__(cls, value: str, reason: str):
        obj = super().__new__(cls, value)
        obj.reason = reason  # type: ignore[attr-defined]
        return obj


def _sub(path: PathT | None, k) -> PathT | None:
    return None if path is None else path + (k,)


def _norm_eq(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return v


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Unresolved) or isinstance(b, Unresolved):
        return False
    try:
        return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)
    except TypeError:
        return False


def _contains_unresolved(v: Any) -> bool:
    if isinstance(v, Unresolved) or v is NOVALUE:
        return True
    if isinstance(v, dict):
        return any(_contains_unresolved(x) for x in v.values())
    if isinstance(v, list):
        return any(_contains_unresolved(x) for x in v)
    return False


def _has_param_token(v: Any, params: dict) -> bool:
    return isinstance(v, str) and any(f"${{{p}}}" in v for p in params)


def to_json_data(value: Any, path: PathT, unresolved: dict[PathT, str]) -> Any:
    """Replace Unresolved objects by their JSON form and record partial strings."""
    if isinstance(value, Unresolved):
        unresolved.setdefault(path, value.reason)
        return {"Unresolved": value.reason}
    if isinstance(value, _PartiallyResolved):
        # a string with unknown pieces must not satisfy a pattern: the rules see a map
        unresolved.setdefault(path, value.reason)
        return {"Unresolved": value.reason, "Text": str(value)}
    if isinstance(value, dict):
        return {k: to_json_data(v, path + (k,), unresolved) for k, v in value.items() if v is not NOVALUE}
    if isinstance(value, list):
        return [to_json_data(v, path + (i,), unresolved) for i, v in enumerate(value) if v is not NOVALUE]
    return value


def resolve(loaded: Loaded, parameter_values: dict[str, Any] | None = None,
            environment: str | None = None) -> Resolved:
    """Resolve the Resources section of a loaded template (see the module docstring).

    environment: the name of the environment being gated, when known (configuration): an SSM
    parameter naming another environment's id is then unknown rather than that id."""
    r = _Resolver(loaded, parameter_values, environment)
    resources_out: dict[str, Any] = {}
    dropped: dict[str, str] = {}
    for logical_id, res in r.resources.items():
        opath = ("Resources", logical_id)
        npath = opath
        if not isinstance(res, dict):
            resources_out[logical_id] = res
            r._record(npath, opath)
            continue
        cond_name = res.get("Condition")
        if isinstance(cond_name, str):
            cond = r.condition(cond_name)
            if cond is False:
                dropped[logical_id] = f"condition {cond_name} is false with the given parameters"
                continue
        r._record(npath, opath)
        out: dict[str, Any] = {}
        for key, val in res.items():
            if key == "Properties":
                out[key] = r.value(val, opath + (key,), npath + (key,))
            else:
                r._record(npath + (key,), opath + (key,))
                out[key] = val
                _copy_positions(r, val, opath + (key,), npath + (key,))
        resources_out[logical_id] = out
    unresolved = dict(r.unresolved)
    data = {"Resources": to_json_data(resources_out, ("Resources",), unresolved)}
    # parameters in their resolved form (for context such as Stage, InternetFree)
    return Resolved(loaded=loaded, data=data, positions=r.out_pos, unresolved=unresolved, dropped=dropped,
                    resource_types=dict(r.types), parameters=dict(r.param_values))


def _copy_positions(r: _Resolver, val: Any, opath: PathT, npath: PathT) -> None:
    r._record(npath, opath)
    if isinstance(val, dict):
        for k, v in val.items():
            _copy_positions(r, v, opath + (k,), npath + (k,))
    elif isinstance(val, list):
        for i, v in enumerate(val):
            _copy_positions(r, v, opath + (i,), npath + (i,))
