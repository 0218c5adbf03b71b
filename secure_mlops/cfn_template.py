"""Read CloudFormation templates (YAML with short-form tags, or JSON): the one loader.

Every part of the tool reads templates here: the gate (with positions, for findings that name
a line), the deployer, read-back verification and the emulator (tag handling).

- ``load_template(path)`` / ``load_yaml_text`` / ``load_json_text`` return a :class:`Loaded`:
  plain Python data and ``positions``: path tuple -> (line, column) of the value, and
  ``key_positions``: path tuple -> (line, column) of the key that holds it. Lines and columns
  start at 1.
- ``parse(body)`` returns the template mapping of a body (text, or an already parsed mapping,
  as boto3 returns JSON bodies) and insists on a ``Resources`` mapping.
- ``long_form(tag, value)`` is the short-form tag handling: ``!Ref X`` is ``{"Ref": "X"}``,
  ``!Condition X`` is ``{"Condition": "X"}``, ``!GetAtt A.B.C`` is ``{"Fn::GetAtt": ["A",
  "B.C"]}`` (split at the first dot) and ``!Sub ...``, ``!If ...`` and the other functions are
  ``{"Fn::Sub": ...}`` and so on, as CloudFormation reads them.
- A few facts of the template language that every resolver of intrinsics shares (the gate's,
  read-back's and the emulator's resolve against different inputs, each in its own module):
  ``PSEUDO_PARAMETERS``, ``substitute`` / ``sub_variables`` (``Fn::Sub``) and ``cidr``.

CloudFormation reads dates (``2010-09-09``) and keys such as ``Off:`` or ``80:`` as strings,
and so does this loader. A file that cannot be read raises :class:`TemplateParseError` with
the line and column. Duplicate mapping keys are an error (CloudFormation rejects them, and a
second value would silently hide the first); so are unknown tags and YAML merge keys (``<<``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

Pos = tuple[int, int]
PathT = tuple


@dataclass
class Loaded:
    path: Path
    data: Any
    positions: dict[PathT, Pos] = field(default_factory=dict)
    key_positions: dict[PathT, Pos] = field(default_factory=dict)
    block_scalars: dict[PathT, int] = field(default_factory=dict)  # path -> first content line of a `|` string

    def position(self, path: PathT) -> Pos:
        """Position of the deepest known prefix of `path` (keys preferred for mappings)."""
        path = tuple(path)
        while path:
            if path in self.positions:
                return self.key_positions.get(path, self.positions[path]) \
                    if isinstance(self._get(path), (dict, list)) else self.positions[path]
            path = path[:-1]
        return (1, 1)

    def _get(self, path: PathT) -> Any:
        node = self.data
        for p in path:
            try:
                node = node[p]
            except (KeyError, IndexError, TypeError):
                return None
        return node


class TemplateParseError(ValueError):
    def __init__(self, path: Path, line: int, column: int, message: str):
        self.path, self.line, self.column, self.message = path, line, column, message
        super().__init__(f"{path}:{line}:{column}: {message}")


class NotATemplate(TemplateParseError):
    """The body parses but is not a template (no ``Resources`` mapping)."""


#: short-form tags of the intrinsic functions (``!Name`` -> ``Fn::Name``)
FN_TAGS = frozenset({
    "!If", "!Join", "!Select", "!Split", "!FindInMap", "!Base64", "!Cidr", "!GetAZs", "!ImportValue",
    "!Equals", "!And", "!Or", "!Not", "!Sub", "!Transform", "!ToJsonString", "!Length", "!GetAtt",
})


def long_form(tag: str, value: Any) -> dict:
    """The long form of a short-form tag and its (already constructed) value.

    Raises ValueError for a tag CloudFormation does not know or a misshapen argument."""
    if tag in ("!Ref", "!Condition"):
        if isinstance(value, (dict, list)):
            raise ValueError(f"{tag} takes a scalar (a {'parameter or resource' if tag == '!Ref' else 'condition'} name)")
        return {tag[1:]: value}
    if tag not in FN_TAGS:
        raise ValueError(f"unknown tag {tag}")
    if tag == "!GetAtt" and isinstance(value, str):
        if "." not in value:
            raise ValueError(f"!GetAtt {value!r}: expected Resource.Attribute")
        value = value.split(".", 1)
    return {"Fn::" + tag[1:]: value}


def _yaml_loader():
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        pass

    return yaml, Loader


def _yaml_scalar(yaml, loader, node) -> Any:
    tag = node.tag
    if tag == "tag:yaml.org,2002:timestamp":
        return node.value  # 2010-09-09 stays a string, as CloudFormation reads it
    if tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
               "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"):
        return loader.construct_object(node, deep=True)
    return node.value  # binary and other standard tags: the text as written


def _convert_yaml(yaml, loader, node, path: PathT, out: Loaded, src: Path) -> Any:
    MappingNode, ScalarNode, SequenceNode = yaml.MappingNode, yaml.ScalarNode, yaml.SequenceNode  # noqa: N806

    pos = (node.start_mark.line + 1, node.start_mark.column + 1)
    out.positions[path] = pos
    tag = node.tag
    if tag and tag.startswith("!"):
        name = "Fn::" + tag[1:]
        if isinstance(node, ScalarNode):
            value: Any = node.value  # a tagged scalar is a string: !Sub "...", !GetAtt A.B
        else:
            plain = node.__class__(tag="tag:yaml.org,2002:seq" if isinstance(node, SequenceNode) else
                                   "tag:yaml.org,2002:map", value=node.value,
                                   start_mark=node.start_mark, end_mark=node.end_mark)
            value = _convert_yaml(yaml, loader, plain, path + (name,), out, src)
        try:
            result = long_form(tag, value)
        except ValueError as exc:
            raise TemplateParseError(src, *pos, str(exc)) from None
        if name in result:
            out.positions.setdefault(path + (name,), pos)
        return result
    if isinstance(node, MappingNode):
        result: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise TemplateParseError(src, key_node.start_mark.line + 1, key_node.start_mark.column + 1,
                                         "mapping keys must be scalars")
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise TemplateParseError(src, key_node.start_mark.line + 1, key_node.start_mark.column + 1,
                                         "YAML merge keys (<<) are not supported by CloudFormation")
            # keys are names: `Off:` or `2020:` stay strings, as CloudFormation reads them
            key = key_node.value if key_node.tag.startswith("tag:yaml.org,2002:") else str(key_node.value)
            if key in result:
                raise TemplateParseError(src, key_node.start_mark.line + 1, key_node.start_mark.column + 1,
                                         f"duplicate key {key!r}")
            out.key_positions[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = _convert_yaml(yaml, loader, value_node, path + (key,), out, src)
            if isinstance(value_node, ScalarNode) and value_node.style == "|":
                out.block_scalars[path + (key,)] = value_node.start_mark.line + 2
        return result
    if isinstance(node, SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            items.append(_convert_yaml(yaml, loader, item, path + (i,), out, src))
            if isinstance(item, ScalarNode) and item.style == "|":
                out.block_scalars[path + (i,)] = item.start_mark.line + 2
        return items
    return _yaml_scalar(yaml, loader, node)


def load_yaml_text(text: str, src: Path) -> Loaded:
    yaml, Loader = _yaml_loader()
    out = Loaded(path=src, data=None)
    try:
        loader = Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                out.data = None
                return out
            out.data = _convert_yaml(yaml, loader, node, (), out, src)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise TemplateParseError(src, line, col, f"not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise TemplateParseError(src, 1, 1, f"not valid YAML: {exc}") from None
    return out


# --------------------------------------------------------------------------------- JSON
class _JsonParser:
    """A small JSON parser that records the position of every value (json cannot)."""

    _WS = " \t\r\n"

    def __init__(self, text: str, src: Path, out: Loaded):
        self.s, self.i, self.src, self.out = text, 0, src, out
        # line starts for offset -> (line, col)
        self.starts = [0]
        for k, ch in enumerate(text):
            if ch == "\n":
                self.starts.append(k + 1)

    def pos(self, i: int | None = None) -> Pos:
        import bisect

        i = self.i if i is None else i
        line = bisect.bisect_right(self.starts, i) - 1
        return (line + 1, i - self.starts[line] + 1)

    def fail(self, msg: str):
        raise TemplateParseError(self.src, *self.pos(), f"not valid JSON: {msg}")

    def ws(self):
        s, i = self.s, self.i
        while i < len(s) and s[i] in self._WS:
            i += 1
        self.i = i

    def parse(self) -> Any:
        self.ws()
        value = self.value(())
        self.ws()
        if self.i != len(self.s):
            self.fail("extra data after the document")
        return value

    def value(self, path: PathT) -> Any:
        self.ws()
        if self.i >= len(self.s):
            self.fail("unexpected end of file")
        self.out.positions[path] = self.pos()
        ch = self.s[self.i]
        if ch == "{":
            return self.obj(path)
        if ch == "[":
            return self.arr(path)
        if ch == '"':
            return self.string()
        dec = json.JSONDecoder()
        try:
            value, end = dec.raw_decode(self.s, self.i)
        except json.JSONDecodeError:
            self.fail(f"unexpected character {ch!r}")
        self.i = end
        return value

    def string(self) -> str:
        from json.decoder import scanstring

        try:
            value, end = scanstring(self.s, self.i + 1, True)
        except json.JSONDecodeError as exc:
            self.i = exc.pos
            self.fail(exc.msg)
        self.i = end
        return value

    def obj(self, path: PathT) -> dict:
        self.i += 1
        result: dict = {}
        self.ws()
        if self.s[self.i:self.i + 1] == "}":
            self.i += 1
            return result
        while True:
            self.ws()
            if self.s[self.i:self.i + 1] != '"':
                self.fail("expected a string key")
            kpos = self.pos()
            key = self.string()
            if key in result:
                self.i -= len(key) + 2
                raise TemplateParseError(self.src, *kpos, f"duplicate key {key!r}")
            self.ws()
            if self.s[self.i:self.i + 1] != ":":
                self.fail("expected ':'")
            self.i += 1
            self.out.key_positions[path + (key,)] = kpos
            result[key] = self.value(path + (key,))
            self.ws()
            ch = self.s[self.i:self.i + 1]
            if ch == ",":
                self.i += 1
                continue
            if ch == "}":
                self.i += 1
                return result
            self.fail("expected ',' or '}'")

    def arr(self, path: PathT) -> list:
        self.i += 1
        result: list = []
        self.ws()
        if self.s[self.i:self.i + 1] == "]":
            self.i += 1
            return result
        while True:
            result.append(self.value(path + (len(result),)))
            self.ws()
            ch = self.s[self.i:self.i + 1]
            if ch == ",":
                self.i += 1
                continue
            if ch == "]":
                self.i += 1
                return result
            self.fail("expected ',' or ']'")


def load_json_text(text: str, src: Path) -> Loaded:
    out = Loaded(path=src, data=None)
    out.data = _JsonParser(text, src, out).parse()
    return out


def _decode(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TemplateParseError(path, 1, 1, f"not UTF-8 text (byte {exc.start})") from None


def load_text(text: str, path: Path) -> Loaded:
    """JSON if it looks like JSON (and is, or the file is named .json), otherwise YAML."""
    if text.lstrip().startswith(("{", "[")):
        try:
            return load_json_text(text, path)
        except TemplateParseError:
            if path.suffix.lower() in (".json", ".jsn"):
                raise
    return load_yaml_text(text, path)


def load_template(path: Path) -> Loaded:
    """Read a template file, with positions."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TemplateParseError(path, 1, 1, f"cannot read the file: {exc.strerror}") from None
    return load_text(_decode(raw, path), path)


def parse(body: str | bytes | dict, path: Path | str = "<template>") -> dict:
    """The template mapping of a body: text (YAML or JSON) or an already parsed mapping."""
    path = Path(path)
    if isinstance(body, bytes):
        body = _decode(body, path)
    data = body if isinstance(body, dict) else load_text(body, path).data
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise NotATemplate(path, 1, 1, "not a CloudFormation template (no Resources mapping)")
    return data


# --------------------------------------------------------------------------------- language facts
#: pseudo parameters that have a value (``AWS::NoValue`` has none: it removes the property)
PSEUDO_PARAMETERS = frozenset({
    "AWS::AccountId", "AWS::NotificationARNs", "AWS::Partition", "AWS::Region", "AWS::StackId",
    "AWS::StackName", "AWS::URLSuffix",
})

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def substitute(text: str, value_of: Callable[[str], str]) -> str:
    """``Fn::Sub``: `text` with each ``${Name}`` replaced by ``value_of(Name)`` (the name as
    written); ``${!Literal}`` is written as ``${Literal}``."""
    def replace(match: re.Match) -> str:
        name = match.group(1)
        return "${" + name[1:] + "}" if name.startswith("!") else value_of(name)

    return _SUB_VARIABLE.sub(replace, text)


def sub_variables(text: str) -> list[str]:
    """The names an ``Fn::Sub`` text refers to (literals ``${!X}`` are not names)."""
    return [name for name in _SUB_VARIABLE.findall(text) if name and not name.startswith("!")]


def cidr(block: Any, count: Any, bits: Any) -> list[str]:
    """``Fn::Cidr``: the first `count` blocks with `bits` host bits in `block`; ValueError if
    the block is not an address range or holds fewer."""
    import ipaddress
    import itertools

    network = ipaddress.ip_network(str(block), strict=False)
    prefix = network.max_prefixlen - int(bits)
    blocks = [str(s) for s in itertools.islice(network.subnets(new_prefix=prefix), int(count))]
    if len(blocks) < int(count):
        raise ValueError(f"cannot make {count} subnets of /{prefix} in {block}")
    return blocks
