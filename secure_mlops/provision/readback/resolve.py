"""Resolve CloudFormation intrinsic functions against a deployed stack.

Values come from the stack as CloudFormation reports it: parameters (and SSM-resolved
parameter values), conditions, mappings, pseudo parameters, physical ids (``Ref``) and
attributes (``Fn::GetAtt``, supplied by the readers after reading each resource back).
Anything that cannot be resolved raises :class:`Unresolvable`: the caller reports the
property as "cannot be verified", never as matching.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Callable

from ...cfn_template import cidr, substitute


class Unresolvable(Exception):
    """A template value whose deployed meaning cannot be determined."""


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


def is_intrinsic(value: Any) -> bool:
    if not isinstance(value, dict) or len(value) != 1:
        return False
    (key, arg), = value.items()
    # {"Condition": name} is an intrinsic only inside conditions and Fn::If; a property map
    # whose only key is "Condition" (e.g. a policy fragment) has a mapping as its value
    return key == "Ref" or key.startswith("Fn::") or (key == "Condition" and isinstance(arg, str))


class Resolver:
    """Resolves template values for one stack.

    ``physical_ids`` maps logical id -> physical id; ``get_att(logical_id, name)`` returns an
    attribute or raises Unresolvable; ``azs(region)`` and ``import_value(name)`` answer
    ``Fn::GetAZs`` and ``Fn::ImportValue``.
    """

    def __init__(self, template: dict, parameters: dict[str, Any], pseudo: dict[str, Any],
                 physical_ids: dict[str, str], get_att: Callable[[str, str], Any],
                 azs: Callable[[str], list[str]] | None = None,
                 import_value: Callable[[str], str] | None = None):
        self.template = template
        self.parameters = parameters
        self.pseudo = pseudo
        self.physical_ids = physical_ids
        self.get_att = get_att
        self.azs = azs
        self.import_value = import_value
        self._conditions: dict[str, bool] = {}
        self._evaluating: set[str] = set()

    # -------------------------------------------------------------- conditions
    def condition(self, name: str) -> bool:
        if name in self._conditions:
            return self._conditions[name]
        definitions = self.template.get("Conditions") or {}
        if name not in definitions:
            raise Unresolvable(f"condition {name!r} is not defined in the template")
        if name in self._evaluating:
            raise Unresolvable(f"condition {name!r} refers to itself")
        self._evaluating.add(name)
        try:
            value = self._condition_value(definitions[name])
        finally:
            self._evaluating.discard(name)
        self._conditions[name] = value
        return value

    def _condition_value(self, expr: Any) -> bool:
        if isinstance(expr, dict) and len(expr) == 1:
            (fn, arg), = expr.items()
            if fn == "Condition":
                return self.condition(arg)
            if fn == "Fn::Equals":
                a, b = (self.resolve(v) for v in arg)
                return _scalar(a) == _scalar(b)
            if fn == "Fn::Not":
                return not self._condition_value(arg[0])
            if fn == "Fn::And":
                return all(self._condition_value(v) for v in arg)
            if fn == "Fn::Or":
                return any(self._condition_value(v) for v in arg)
        if isinstance(expr, bool):
            return expr
        raise Unresolvable(f"unsupported condition expression {expr!r}")

    # -------------------------------------------------------------- values
    def resolve(self, value: Any) -> Any:
        """Resolve every intrinsic in value. May return NO_VALUE (``Ref: AWS::NoValue``)."""
        if isinstance(value, dict):
            if is_intrinsic(value):
                (fn, arg), = value.items()
                return self._intrinsic(fn, arg)
            out = {}
            for k, v in value.items():
                r = self.resolve(v)
                if r is not NO_VALUE:
                    out[k] = r
            return out
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not NO_VALUE]
        return value

    def _intrinsic(self, fn: str, arg: Any) -> Any:
        handler = getattr(self, "_fn_" + fn.replace("Fn::", "").replace("::", "_"), None)
        if handler is None:
            raise Unresolvable(f"intrinsic function {fn} is not supported by read-back verification")
        return handler(arg)

    def _fn_Ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            raise Unresolvable(f"Ref to a non-name {name!r}")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical_ids:
            pid = self.physical_ids[name]
            if not pid:
                raise Unresolvable(f"resource {name} has no physical id")
            return pid
        if name in (self.template.get("Resources") or {}):
            raise Unresolvable(f"resource {name} was not deployed")
        raise Unresolvable(f"Ref {name!r} names no parameter or resource")

    def _fn_Condition(self, name: str) -> bool:
        return self.condition(name)

    def _fn_GetAtt(self, arg: Any) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        logical_id, attribute = self.resolve(arg[0]), self.resolve(arg[1])
        if logical_id not in (self.template.get("Resources") or {}):
            raise Unresolvable(f"Fn::GetAtt names unknown resource {logical_id!r}")
        return self.get_att(logical_id, attribute)

    def _fn_Sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = arg[0], {k: self.resolve(v) for k, v in (arg[1] or {}).items()}
        else:
            text, variables = arg, {}
        if not isinstance(text, str):
            raise Unresolvable(f"Fn::Sub of a non-string {text!r}")

        def value_of(name: str) -> str:
            name = name.strip()
            if name in variables:
                value = variables[name]
            elif "." in name and not name.startswith("AWS::"):
                value = self._fn_GetAtt(name.split(".", 1))
            else:
                value = self._fn_Ref(name)
            if isinstance(value, (dict, list)) or value is NO_VALUE:
                raise Unresolvable(f"Fn::Sub variable {name} is not a string")
            return _scalar(value)

        return substitute(text, value_of)

    def _fn_Join(self, arg: Any) -> str:
        delimiter, items = arg[0], self.resolve(arg[1])
        if not isinstance(items, list):
            raise Unresolvable("Fn::Join of a non-list")
        return str(delimiter).join(_scalar(v) for v in items)

    def _fn_Select(self, arg: Any) -> Any:
        index, items = self.resolve(arg[0]), self.resolve(arg[1])
        try:
            return items[int(index)]
        except (IndexError, ValueError, TypeError, KeyError):
            raise Unresolvable(f"Fn::Select index {index!r} out of range") from None

    def _fn_Split(self, arg: Any) -> list[str]:
        delimiter, text = arg[0], self.resolve(arg[1])
        return str(text).split(delimiter)

    def _fn_If(self, arg: Any) -> Any:
        name, if_true, if_false = arg
        return self.resolve(if_true if self.condition(name) else if_false)

    def _fn_Equals(self, arg: Any) -> bool:
        return self._condition_value({"Fn::Equals": arg})

    def _fn_Not(self, arg: Any) -> bool:
        return self._condition_value({"Fn::Not": arg})

    def _fn_And(self, arg: Any) -> bool:
        return self._condition_value({"Fn::And": arg})

    def _fn_Or(self, arg: Any) -> bool:
        return self._condition_value({"Fn::Or": arg})

    def _fn_FindInMap(self, arg: Any) -> Any:
        name, first, second = (self.resolve(v) for v in arg[:3])
        try:
            return self.template["Mappings"][name][_scalar(first)][_scalar(second)]
        except (KeyError, TypeError):
            if len(arg) > 3 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
                return self.resolve(arg[3]["DefaultValue"])
            raise Unresolvable(f"Fn::FindInMap {name}/{first}/{second} not found") from None

    def _fn_Base64(self, arg: Any) -> str:
        return base64.b64encode(_scalar(self.resolve(arg)).encode()).decode()

    def _fn_GetAZs(self, arg: Any) -> list[str]:
        region = self.resolve(arg) or self.pseudo["AWS::Region"]
        if self.azs is None:
            raise Unresolvable("Fn::GetAZs needs the EC2 API")
        return self.azs(region)

    def _fn_ImportValue(self, arg: Any) -> str:
        name = self.resolve(arg)
        if self.import_value is None:
            raise Unresolvable("Fn::ImportValue needs the CloudFormation API")
        return self.import_value(name)

    def _fn_Cidr(self, arg: Any) -> list[str]:
        try:
            return cidr(*(self.resolve(v) for v in arg))
        except (ValueError, TypeError) as exc:
            raise Unresolvable(f"Fn::Cidr {arg!r}: {exc}") from None

    def _fn_ToJsonString(self, arg: Any) -> str:
        return json.dumps(self.resolve(arg), separators=(",", ":"))

    def _fn_Length(self, arg: Any) -> int:
        value = self.resolve(arg)
        if not isinstance(value, list):
            raise Unresolvable("Fn::Length of a non-list")
        return len(value)


def _scalar(value: Any) -> str:
    """The string CloudFormation substitutes for a scalar (true -> "true", 5 -> "5")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        raise Unresolvable(f"expected a scalar, got {value!r}")
    return str(value)
