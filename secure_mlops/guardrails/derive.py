"""Join related resources so that each guard rule can look at one resource at a time.

cfn-guard checks one resource well but cannot follow references between resources. After
resolution the gate adds, under each resource, a ``Derived`` map with what other resources
say about it (nothing is decided here; the rules decide):

=========================== ==========================================================
resource                    ``Derived``
=========================== ==========================================================
AWS::IAM::Role              ``Trust`` (normalised trust statements), ``TrustedBy``
                            (``service:<name>``, ``aws:<principal>``, ``federated:<p>``),
                            ``Allows`` and ``DeniesByAction`` (the statements of its
                            inline policies and of the AWS::IAM::Policy,
                            AWS::IAM::RolePolicy and AWS::IAM::ManagedPolicy attached
                            to it in the gated templates: the Allows, and the Denies
                            listed under each action of interest they cover; each
                            statement's ``Source`` names it for messages, e.g.
                            "statement 2 of inline policy p"),
                            ``ManagedPolicyArns``,
                            ``UnknownPolicies`` (policies outside the gated files),
                            ``Allowed`` (actions of interest an Allow grants),
                            ``Persona`` and ``Team`` (tags)
AWS::S3::Bucket             ``Purpose`` (data/model/log, from the environment's SSM
                            parameters), ``Policy`` (statements of its bucket policies,
                            ``Resource`` rewritten relative to the bucket: ``bucket``,
                            ``objects``, ``objects:<prefix>``), ``HasPolicy``,
                            ``DataEventTrails`` (trails logging its object events)
AWS::EC2::VPC               ``FlowLogs``, ``Endpoints``, ``RequiredEndpoints``
                            (each required service with the endpoints that provide it),
                            ``PyPIRepositories`` (CodeArtifact repositories with a
                            public:pypi upstream)
AWS::EC2::VPCEndpoint       ``Service`` (short name), ``Policy``
AWS::KMS::Key               ``Policy``
AWS::SageMaker::ModelPackageGroup ``Policy``
AWS::SageMaker::Domain      ``ExecutionRole`` (its role's ``Derived``) or
                            ``OutsideExecutionRole`` (a role ARN, or the environment's
                            role from SSM, not defined in the gated templates),
                            ``PersonaRoles``
AWS::SageMaker::UserProfile ``Team``, ``Owner``, ``ExecutionRole`` or ``OutsideExecutionRole``
AWS::SageMaker::Pipeline    ``Steps`` (job steps of its definition), ``DefinitionError``
=========================== ==========================================================

and a top-level ``GateContext`` (see context.py).

An environment token ``${Env::<env>/<key>}`` (resolve.py) joins what the environment's
``AWS::SSM::Parameter`` ``/secure-mlops/<env>/<key>`` publishes when that template is gated in
the same batch: ``${Env::e/data-bucket}`` is then the data bucket resource, ``${Env::e/...-role-arn}``
the role, ``${Env::e/domain-id}`` the domain.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import iam, pipeline
from .context import DEFAULT_INTERFACE_ENDPOINTS, GateContext
from .resolve import ENV_BOUND, TOKEN, Resolved, env_ref, env_token
from ..cfn_template import PathT


@dataclass(eq=False)  # a document is itself: identity, not a deep comparison of its data
class Doc:
    """One gated file after resolution (a template, or a pipeline definition)."""

    file: Path
    display: str
    resolved: Resolved
    context: GateContext = field(default_factory=GateContext)
    kind: str = "template"  # or "pipeline-definition"
    derived_unresolved: dict[str, list[str]] = field(default_factory=dict)  # logical id -> reasons
    _types: dict[str, list[tuple[int, str]]] | None = field(default=None, repr=False, compare=False)

    @property
    def resources(self) -> dict[str, dict]:
        return self.resolved.data["Resources"]

    def of_type(self, *types: str):
        """(logical id, resource) of the given types, in template order (indexed once)."""
        if self._types is None:
            self._types = {}
            for i, (lid, res) in enumerate(self.resources.items()):
                if isinstance(res, dict) and isinstance(res.get("Type"), str):
                    self._types.setdefault(res["Type"], []).append((i, lid))
        found = [x for t in dict.fromkeys(types) for x in self._types.get(t, ())]
        if len(types) > 1:
            found.sort()
        resources = self.resources
        for _, lid in found:
            yield lid, resources[lid]

    def note_unresolved(self, lid: str, reason: str | None) -> None:
        if reason:
            self.derived_unresolved.setdefault(lid, []).append(reason)


def _token(value: Any) -> tuple[str, str, str | None] | None:
    """('AWS::IAM::Role', 'MyRole', 'Arn') for '${AWS::IAM::Role/MyRole.Arn}'."""
    if isinstance(value, str):
        m = TOKEN.fullmatch(value)
        if m:
            return m.group(1), m.group(2), m.group(3)
    return None


def _props(res: dict) -> dict:
    p = res.get("Properties")
    return p if isinstance(p, dict) else {}


def _tags(res: dict) -> dict[str, str]:
    tags = _props(res).get("Tags")
    out: dict[str, str] = {}
    if isinstance(tags, list):
        for t in tags:
            if isinstance(t, dict) and isinstance(t.get("Key"), str):
                out[t["Key"]] = t.get("Value")
    elif isinstance(tags, dict):
        out = {str(k): v for k, v in tags.items()}
    return out


def _as_list(v: Any) -> list:
    return v if isinstance(v, list) else [] if v is None else [v]


_ROLE_ARN_NAME = re.compile(r"^arn:[^:]+:iam::[^:]*:role/(?:.*/)?([^/]+)$")
_POLICY_ARN_NAME = re.compile(r"^arn:[^:]+:iam::[^:]*:policy/(?:.*/)?([^/]+)$")
_PUBLISHED = re.compile(r"^/secure-mlops/([^/]+)/([a-z0-9-]+)$")

Key = tuple[int, str]  # (id(doc), logical id)


def _ssm_name(res: dict) -> str | None:
    """An AWS::SSM::Parameter's name; a partly known one as its text (/secure-mlops/${EnvName}/...)."""
    name = _props(res).get("Name")
    if isinstance(name, dict) and isinstance(name.get("Text"), str):
        name = name["Text"]
    return name if isinstance(name, str) else None


def _bucket_head(value: str) -> str:
    """The bucket a bucket name or S3 ARN names ('x' for arn:aws:s3:::x/*; tokens kept whole)."""
    name = value.split(":::", 1)[-1] if value.startswith("arn:") else value
    if name.startswith("${") and "}" in name:
        return name[:name.index("}") + 1]
    return name.split("/", 1)[0]


class Batch:
    """Every gated document, with indexes for joins across templates.

    Everything that looks across documents is indexed here once, so that deriving a batch costs
    time in proportion to its size (a join that scanned every document for every resource made
    the gate quadratic in the number of files).
    """

    def __init__(self, docs: list[Doc]):
        self.docs = docs
        self.roles_by_name: dict[str, tuple[Doc, str]] = {}
        self.policies_by_name: dict[str, tuple[Doc, str]] = {}
        self.buckets_by_name: dict[str, tuple[Doc, str]] = {}
        #: (environment, key) -> [(document, value)] of the AWS::SSM::Parameters that publish it
        self.published: dict[tuple[str, str], list[tuple[Doc, Any]]] = {}
        for doc in docs:
            for lid, res in doc.of_type("AWS::IAM::Role"):
                name = _props(res).get("RoleName")
                if isinstance(name, str) and "${" not in name:
                    self.roles_by_name[name] = (doc, lid)
            for lid, res in doc.of_type("AWS::IAM::ManagedPolicy"):
                name = _props(res).get("ManagedPolicyName")
                if isinstance(name, str) and "${" not in name:
                    self.policies_by_name[name] = (doc, lid)
            for lid, res in doc.of_type("AWS::S3::Bucket"):
                name = _props(res).get("BucketName")
                if isinstance(name, str) and "${" not in name:
                    self.buckets_by_name[name] = (doc, lid)
            for _, res in doc.of_type("AWS::SSM::Parameter"):
                m = _PUBLISHED.match(_ssm_name(res) or "")
                if m and "${" not in m.group(1):  # an unknown environment name joins nothing
                    self.published.setdefault((m.group(1), m.group(2)), []).append((doc, _props(res).get("Value")))
        self._summaries: dict[Key, dict] = {}
        self._attached: dict[Key, list[tuple[Doc, str, Any]]] | None = None
        self._bucket_policies: dict[Key, list[tuple[Doc, str, dict]]] | None = None
        self._purposes: dict[Key, str] | None = None
        self._aliases: dict[Key, set[str]] | None = None
        self._trails: dict[Key, list[tuple[int, int, Doc, str]]] | None = None
        self._personas: dict[int, list[dict]] = {}

    # --------------------------------------------------------------- lookups
    def env_value(self, doc: Doc, value: Any) -> tuple[Doc, Any] | None:
        """What an environment token (${Env::<env>/<key>}) read in `doc` stands for, when its
        publisher is gated: the document's own publication, else the only one in the batch
        (several templates publishing the same name join nothing)."""
        ref = env_ref(value)
        found = self.published.get(ref, []) if ref else []
        own = [p for p in found if p[0] is doc]
        if own or len(found) == 1:
            return (own or found)[0]
        return None

    def role(self, doc: Doc, value: Any) -> tuple[Doc, str] | None:
        published = self.env_value(doc, value)
        if published:
            doc, value = published
        tok = _token(value)
        if tok and tok[0] == "AWS::IAM::Role" and tok[1] in doc.resources:
            return doc, tok[1]
        if isinstance(value, str):
            m = _ROLE_ARN_NAME.match(value)
            name = m.group(1) if m else None
            if name and name in self.roles_by_name:
                return self.roles_by_name[name]
        return None

    def role_targets(self, doc: Doc, roles: Any) -> list[tuple[Doc, str]]:
        """Roles named by a policy's Roles list (tokens or role names)."""
        out = []
        for r in _as_list(roles):
            tok = _token(r)
            if tok and tok[0] == "AWS::IAM::Role" and tok[1] in doc.resources:
                out.append((doc, tok[1]))
            elif isinstance(r, str) and r in self.roles_by_name:
                out.append(self.roles_by_name[r])
        return out

    def bucket(self, doc: Doc, value: Any) -> tuple[Doc, str] | None:
        tok = _token(value)
        if tok and tok[0] == "AWS::S3::Bucket" and tok[1] in doc.resources:
            return doc, tok[1]
        if isinstance(value, str):
            name = _bucket_head(value)
            published = self.env_value(doc, name)
            if published and env_ref(published[1]) is None:
                return self.bucket(*published)
            if name in self.buckets_by_name:
                return self.buckets_by_name[name]
        return None

    # --------------------------------------------------------------- indexes (built once)
    def summary(self, doc: Doc, lid: str) -> dict:
        key = (id(doc), lid)
        if key not in self._summaries:
            self._summaries[key] = role_summary(self, doc, lid)
        return self._summaries[key]

    def attached_policies(self, doc: Doc, lid: str) -> list[tuple[Doc, str, Any]]:
        """AWS::IAM::Policy/ManagedPolicy/RolePolicy documents of the batch that name the role."""
        if self._attached is None:
            self._attached = {}
            for odoc in self.docs:
                for plid, pres in odoc.of_type("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"):
                    pprops = _props(pres)
                    names = [pprops.get("RoleName")] if pres.get("Type") == "AWS::IAM::RolePolicy" \
                        else pprops.get("Roles")
                    for rdoc, rlid in dict.fromkeys(self.role_targets(odoc, names)):  # each role once
                        self._attached.setdefault((id(rdoc), rlid), []).append(
                            (odoc, plid, pprops.get("PolicyDocument")))
        return self._attached.get((id(doc), lid), [])

    def bucket_policies(self, doc: Doc, lid: str) -> list[tuple[Doc, str, dict]]:
        if self._bucket_policies is None:
            self._bucket_policies = {}
            for odoc in self.docs:
                for plid, pres in odoc.of_type("AWS::S3::BucketPolicy"):
                    target = self.bucket(odoc, _props(pres).get("Bucket"))
                    if target:
                        self._bucket_policies.setdefault((id(target[0]), target[1]), []).append((odoc, plid, pres))
        return self._bucket_policies.get((id(doc), lid), [])

    def bucket_names(self, doc: Doc, lid: str) -> set[str]:
        """What names the bucket across templates: its literal BucketName, and the environment
        tokens (${Env::<env>/data-bucket}, ...) whose gated publisher names it."""
        if self._aliases is None:
            self._aliases = {}
            for (env, key), publishers in self.published.items():
                for pdoc, value in publishers if key in ("data-bucket", "model-bucket", "log-bucket") else ():
                    target = self.bucket(pdoc, value)
                    if target:
                        self._aliases.setdefault((id(target[0]), target[1]), set()).add(env_token(env, key))
        name = _props(doc.resources[lid]).get("BucketName")
        names = {name} if isinstance(name, str) and "${" not in name else set()
        return names | self._aliases.get((id(doc), lid), set())

    def purpose(self, doc: Doc, lid: str) -> str | None:
        if self._purposes is None:
            self._purposes = _purposes(self)
        return self._purposes.get((id(doc), lid))

    def data_event_trails(self, doc: Doc, lid: str) -> list[str]:
        """Trails of the batch that record every object event of the bucket (see _trail_heads):
        a trail of the bucket's template naming it or every bucket, or a trail of any gated
        template naming it by its name or by the environment's SSM parameter that publishes it."""
        if self._trails is None:
            named: dict[str, list[Key]] = {}
            for odoc in self.docs:
                for blid, bres in odoc.of_type("AWS::S3::Bucket"):
                    name = _props(bres).get("BucketName")
                    if isinstance(name, str) and "${" not in name:
                        named.setdefault(name, []).append((id(odoc), blid))
            covered: dict[Key, list[tuple[int, int, Doc, str]]] = {}
            for di, odoc in enumerate(self.docs):
                for ti, (tlid, tres) in enumerate(odoc.of_type("AWS::CloudTrail::Trail")):
                    every, heads = _trail_heads(tres)
                    keys: list[Key] = [(id(odoc), blid) for blid, _ in odoc.of_type("AWS::S3::Bucket")] if every else []
                    for h in heads:
                        tok = _token(h)
                        if tok and tok[0] == "AWS::S3::Bucket":
                            keys += [(id(odoc), tok[1])] if tok[1] in odoc.resources else []
                        elif env_ref(h):
                            target = self.bucket(odoc, h)
                            keys += [(id(target[0]), target[1])] if target else []
                        else:
                            keys += named.get(h, [])
                    for key in dict.fromkeys(keys):
                        covered.setdefault(key, []).append((di, ti, odoc, tlid))
            self._trails = covered
        found = sorted(self._trails.get((id(doc), lid), []), key=lambda t: (t[0], t[1]))
        return [tlid if odoc is doc else f"{odoc.display}:{tlid}" for _, _, odoc, tlid in found]

    def personas(self, doc: Doc) -> list[dict]:
        """The document's persona roles; if it has none, those of the first other gated document
        that has some (SM-DOM-04)."""
        def own(d: Doc) -> list[tuple[str, dict]]:
            if id(d) not in self._personas:
                self._personas[id(d)] = [(rlid, s) for rlid, _ in d.of_type("AWS::IAM::Role")
                                         for s in (self.summary(d, rlid),) if _is_persona(s)]
            return self._personas[id(d)]

        found = own(doc)
        if found:
            return [{"Role": rlid, "Trust": s["Trust"]} for rlid, s in found]
        for odoc in self.docs:
            if odoc is not doc and own(odoc):
                return [{"Role": f"{odoc.display}:{rlid}", "Trust": s["Trust"]} for rlid, s in own(odoc)]
        return []


# ------------------------------------------------------------------------------- IAM roles
def _role_policies(batch: Batch, doc: Doc, lid: str, res: dict) -> tuple[list[dict], list[str], list[Any],
                                                                        list[str]]:
    """(statements, unknown policy ARNs, managed policy ARNs, reasons for unreadable documents).

    Statements come from the role's inline policies, from AWS::IAM::Policy, AWS::IAM::RolePolicy
    and AWS::IAM::ManagedPolicy resources of the gated templates that name the role, and from
    managed policies of the gated templates that the role lists in ManagedPolicyArns (by
    reference or by name). Each policy counts once.
    """
    props = _props(res)
    statements: list[dict] = []
    reasons: list[str] = []
    seen: set[tuple[int, str]] = set()

    def add(pdoc: Doc, plid: str, document: Any, name: str | None = None) -> None:
        if (id(pdoc), plid) in seen:
            return
        seen.add((id(pdoc), plid))
        sts, why = iam.parse_document(document)
        where = name or (f"policy {plid}" + (f" of {pdoc.display}" if pdoc is not doc else ""))
        for n, st in enumerate(sts, 1):  # which statement it is, for the findings' messages
            st["Source"] = _statement_source(st, n, where)
        statements.extend(sts)
        if why:
            reasons.append(f"{plid}: {why}")

    for i, pol in enumerate(_as_list(props.get("Policies"))):
        if isinstance(pol, dict):
            add(doc, f"{lid}.Policies[{i}] {pol.get('PolicyName')}", pol.get("PolicyDocument"),
                f"inline policy {pol.get('PolicyName')}" if isinstance(pol.get("PolicyName"), str)
                else f"inline policy Policies[{i}]")
    for odoc, plid, document in batch.attached_policies(doc, lid):
        add(odoc, plid, document)
    arns = _as_list(props.get("ManagedPolicyArns"))
    unknown: list[str] = []
    for arn in arns:
        tok = _token(arn)
        if tok and tok[0] == "AWS::IAM::ManagedPolicy" and tok[1] in doc.resources:
            add(doc, tok[1], _props(doc.resources[tok[1]]).get("PolicyDocument"))
            continue
        if iam.managed_policy_name(arn):
            continue  # an AWS managed policy: see AWS_MANAGED_GRANTS
        m = _POLICY_ARN_NAME.match(arn) if isinstance(arn, str) else None
        if m and m.group(1) in batch.policies_by_name:
            pdoc, plid = batch.policies_by_name[m.group(1)]
            add(pdoc, plid, _props(pdoc.resources[plid]).get("PolicyDocument"))
            continue
        unknown.append(arn if isinstance(arn, str) else json.dumps(arn))
    return statements, unknown, arns, reasons


def _statement_source(st: dict, n: int, where: str) -> str:
    """'statement 2 (Sid AllowAll) of inline policy p': how findings name a policy statement."""
    sid = st.get("Sid")
    return f"statement {n}" + (f" (Sid {sid})" if isinstance(sid, str) and sid else "") + f" of {where}"


def role_summary(batch: Batch, doc: Doc, lid: str) -> dict:
    res = doc.resources[lid]
    props = _props(res)
    trust, why = iam.parse_document(props.get("AssumeRolePolicyDocument"))
    for n, st in enumerate(trust, 1):
        st["Source"] = _statement_source(st, n, "the trust policy")
    if why:
        doc.note_unresolved(lid, f"trust policy: {why}")
    statements, unknown, arns, reasons = _role_policies(batch, doc, lid, res)
    for r in reasons:
        doc.note_unresolved(lid, r)
    allowed: set[str] = set()
    for st in statements:
        if st.get("Effect") == "Allow":
            allowed.update(st["Covers"])
    for arn in arns:
        name = iam.managed_policy_name(arn)
        if name:
            allowed.update(iam.AWS_MANAGED_GRANTS.get(name, iam.ACTIONS))  # unknown AWS policy: assume it may
    if unknown or reasons:
        allowed.update(iam.ACTIONS)  # policies the gate cannot read may allow anything
    trusted_by: list[str] = []
    for st in trust:
        if st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal") or {}
        if isinstance(principal, dict) and "Unresolved" not in principal:
            for kind, values in principal.items():
                for v in values:
                    trusted_by.append(f"{kind.lower()}:{v}")
    tags = _tags(res)
    out = {
        "Role": lid,
        "Trust": trust,
        "TrustedBy": trusted_by,
        # identity policy statements: the Allows (IAM-03/05), and the Denies indexed by the
        # actions of interest each one covers (IAM-01/02/04: only those can deny the action)
        "Allows": [st for st in statements if st.get("Effect") == "Allow"],
        "DeniesByAction": _denies_by_action(statements),
        "ManagedPolicyArns": arns,
        "UnknownPolicies": unknown,
        "Allowed": sorted(allowed),
    }
    if isinstance(tags.get("persona"), str):
        out["Persona"] = tags["persona"]
    if isinstance(tags.get("team"), str):
        out["Team"] = tags["team"]
    return out


def _denies_by_action(statements: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for st in statements:
        if st.get("Effect") == "Deny":
            for action in st["Covers"]:
                out.setdefault(action, []).append(st)
    return out


def _is_persona(summary: dict) -> bool:
    return any(t.startswith(("aws:", "federated:")) for t in summary["TrustedBy"])


# ------------------------------------------------------------------------------- buckets
def _relative_resource(res_value: Any, bucket_tokens: set[str], names: set[str]) -> Any:
    """'bucket' / 'objects' / 'objects:<prefix>' when the ARN names this bucket."""
    if not isinstance(res_value, str):
        return res_value
    v = res_value
    if v in ("*", "arn:aws:s3:::*", "arn:${AWS::Partition}:s3:::*"):
        return "*"
    m = re.match(r"^arn:(?:aws[a-z-]*|\$\{AWS::Partition\}):s3:::(.*)$", v)
    body = None
    if m:
        body = m.group(1)
    else:
        for t in bucket_tokens:
            arn_token = t[:-1] + ".Arn}"
            if v == arn_token or v.startswith(arn_token + "/"):
                body = t + v[len(arn_token):]
                break
    if body is None:
        return v
    if body.startswith("${") and "}" in body:  # a token such as ${AWS::S3::Bucket/Data} holds a '/'
        end = body.index("}") + 1
        head, sep, rest = body[:end], body[end:end + 1], body[end + 1:]
    else:
        head, sep, rest = body.partition("/")
    if head in bucket_tokens or head in names:
        if not sep:
            return "bucket"
        if rest == "*":
            return "objects"
        return f"objects:{rest}"
    return v


def _bucket_policies(batch: Batch, doc: Doc, lid: str) -> tuple[list[dict], bool, list[str]]:
    token = "${AWS::S3::Bucket/%s}" % lid
    names = batch.bucket_names(doc, lid)
    statements: list[dict] = []
    found = False
    reasons: list[str] = []
    for odoc, plid, pres in batch.bucket_policies(doc, lid):
        found = True
        sts, why = iam.parse_document(_props(pres).get("PolicyDocument"))
        if why:
            reasons.append(f"bucket policy {plid}: {why}")
        tokens = {token} if odoc is doc else set()
        for st in sts:
            for key in ("Resource", "NotResource"):
                if key in st:
                    st[key] = [_relative_resource(r, tokens, names) for r in st[key]]
        statements += sts
    return statements, found, reasons


def _purposes(batch: Batch) -> dict[Key, str]:
    """Bucket purposes: data/model/log from the environment's SSM parameters
    (/secure-mlops/<env>/data-bucket, ...); log also for a bucket that another gated bucket
    names as LoggingConfiguration.DestinationBucketName."""
    out: dict[Key, str] = {}
    for doc in batch.docs:
        for _, res in doc.of_type("AWS::SSM::Parameter"):
            name = _ssm_name(res)  # e.g. /secure-mlops/${EnvName}/data-bucket: the suffix is what counts
            m = re.search(r"/(data|model|log)-bucket$", name or "")
            if not m:
                continue
            target = batch.bucket(doc, _props(res).get("Value"))
            if target:
                out[(id(target[0]), target[1])] = m.group(1)
    # a bucket that another gated bucket names as its access-log destination is a log bucket
    for doc in batch.docs:
        for _, res in doc.of_type("AWS::S3::Bucket"):
            logging = _props(res).get("LoggingConfiguration")
            if isinstance(logging, dict):
                target = batch.bucket(doc, logging.get("DestinationBucketName"))
                if target:
                    out.setdefault((id(target[0]), target[1]), "log")
    return out


_EVERY_BUCKET = re.compile(r"arn:(aws[a-z-]*|\$\{AWS::Partition\}):s3(:::)?")
_BUCKET_ARN_TOKEN = re.compile(r"\$\{AWS::S3::Bucket/([A-Za-z0-9]+)\.Arn\}")


def _whole_bucket(value: str) -> str | None:
    """The bucket whose every object an S3 data-resource value names ('arn:aws:s3:::x/' -> 'x';
    the ARN of a bucket of the template -> its token); None for a prefix or anything else."""
    v = value.rstrip("/")
    m = _BUCKET_ARN_TOKEN.fullmatch(v)
    if m:
        return "${AWS::S3::Bucket/%s}" % m.group(1)
    m = re.match(r"^arn:(?:aws[a-z-]*|\$\{AWS::Partition\}):s3:::(.+)$", v)
    if not m:
        return None
    body = m.group(1)
    if body.startswith("${") and "}" in body:  # a token holds a '/'
        head, rest = body[:body.index("}") + 1], body[body.index("}") + 1:]
    else:
        head, _, rest = body.partition("/")
        rest = "/" + rest if rest else ""
    return head if not rest else None


def _trail_heads(trail: dict) -> tuple[bool, set[str]]:
    """(records every bucket's object events, the buckets whose object events it records: tokens
    of its own template's buckets, bucket names, environment tokens). Only selectors for all
    events (read and write) count. A selector for every bucket covers its own template's only
    (other templates may be deployed elsewhere)."""
    props = _props(trail)
    every = False
    heads: set[str] = set()
    for sel in _as_list(props.get("EventSelectors")):
        if not isinstance(sel, dict) or sel.get("ReadWriteType", "All") != "All":
            continue
        for dr in _as_list(sel.get("DataResources")):
            if not isinstance(dr, dict) or dr.get("Type") != "AWS::S3::Object":
                continue
            for v in _as_list(dr.get("Values")):
                if not isinstance(v, str):
                    continue
                if _EVERY_BUCKET.fullmatch(v):
                    every = True
                elif _whole_bucket(v):
                    heads.add(_whole_bucket(v))
    for sel in _as_list(props.get("AdvancedEventSelectors")):
        if not isinstance(sel, dict):
            continue
        fields = {f.get("Field"): f for f in _as_list(sel.get("FieldSelectors")) if isinstance(f, dict)}
        if _as_list((fields.get("eventCategory") or {}).get("Equals")) != ["Data"]:
            continue
        if _as_list((fields.get("resources.type") or {}).get("Equals")) != ["AWS::S3::Object"]:
            continue
        if "readOnly" in fields:
            continue  # only reads or only writes
        arn_sel = fields.get("resources.ARN")
        if arn_sel is None:
            every = True
            continue
        for v in _as_list(arn_sel.get("StartsWith")):
            head = _whole_bucket(str(v))
            if head:
                heads.add(head)
    return every, heads


# ------------------------------------------------------------------------------- VPC
def _service_short(name: Any) -> str | None:
    if not isinstance(name, str):
        return None
    m = re.match(r"^com\.amazonaws\.(?:[a-z0-9-]+|\$\{AWS::Region\})\.(.+)$", name)
    if m:
        return m.group(1)
    m = re.match(r"^aws\.sagemaker\.(?:[a-z0-9-]+|\$\{AWS::Region\})\.(.+)$", name)
    if m:
        return m.group(1)
    return None


def _endpoint_entry(res: dict) -> dict:
    props = _props(res)
    etype = props.get("VpcEndpointType", "Gateway")
    entry = {"Service": _service_short(props.get("ServiceName")), "Type": etype}
    if etype == "Interface":
        entry["PrivateDnsEnabled"] = props.get("PrivateDnsEnabled", False)
    return {k: v for k, v in entry.items() if v is not None}


def _outside_role(value: Any) -> str | None:
    """A role the template names but does not define: a literal role ARN, or the environment's
    role read from SSM (${Env::<env>/...-role-arn}); None for anything unknown or not a role."""
    ref = env_ref(value)
    if ref and ENV_BOUND.get(ref[1]) == "role":
        return value
    if isinstance(value, str) and "${" not in value.replace("${AWS::Partition}", "").replace(
            "${AWS::AccountId}", "") and _ROLE_ARN_NAME.match(value):
        return value
    return None


# ------------------------------------------------------------------------------- main
def derive(batch: Batch, doc: Doc, definitions: dict[str, Doc]) -> None:
    """Add Derived maps and GateContext to `doc.resolved.data` (in place)."""
    has_sagemaker = any(isinstance(r, dict) and str(r.get("Type", "")).startswith("AWS::SageMaker::")
                        for r in doc.resources.values())
    ctx = doc.context
    summary = batch.summary

    for lid, res in list(doc.resources.items()):
        if not isinstance(res, dict):
            continue
        rtype = res.get("Type")
        props = _props(res)
        derived: dict[str, Any] | None = None
        if rtype == "AWS::IAM::Role":
            derived = summary(doc, lid)
        elif rtype == "AWS::S3::Bucket":
            statements, found, reasons = _bucket_policies(batch, doc, lid)
            for r in reasons:
                doc.note_unresolved(lid, r)
            trails = batch.data_event_trails(doc, lid)
            derived = {"Policy": statements, "HasPolicy": found, "DataEventTrails": trails}
            purpose = batch.purpose(doc, lid)
            if purpose:
                derived["Purpose"] = purpose
        elif rtype == "AWS::EC2::VPC":
            token = "${AWS::EC2::VPC/%s}" % lid
            flow_logs = []
            for flid, fl in doc.of_type("AWS::EC2::FlowLog"):
                fp = _props(fl)
                ids = _as_list(fp.get("ResourceId")) + _as_list(fp.get("ResourceIds"))
                if token in ids and fp.get("ResourceType", "VPC") == "VPC":
                    flow_logs.append({"FlowLog": flid, "TrafficType": fp.get("TrafficType", "ALL")})
            endpoints = [_endpoint_entry(e) for _, e in doc.of_type("AWS::EC2::VPCEndpoint")
                         if _props(e).get("VpcId") == token]
            required = ["s3"] + [s for s in (ctx.interface_endpoints or DEFAULT_INTERFACE_ENDPOINTS)]
            req = []
            for svc in dict.fromkeys(required):
                req.append({"Service": svc, "Type": "Gateway" if svc == "s3" else "Interface",
                            "Endpoints": [e for e in endpoints if e.get("Service") == svc]})
            pypi = [plid for plid, pr in doc.of_type("AWS::CodeArtifact::Repository")
                    if "public:pypi" in _as_list(_props(pr).get("ExternalConnections"))]
            derived = {"FlowLogs": flow_logs, "Endpoints": endpoints, "RequiredEndpoints": req,
                       "PyPIRepositories": pypi}
        elif rtype == "AWS::EC2::VPCEndpoint":
            sts, why = iam.parse_document(props["PolicyDocument"]) if "PolicyDocument" in props else ([], None)
            doc.note_unresolved(lid, why)
            derived = {"Service": _service_short(props.get("ServiceName")) or "", "Policy": sts}
        elif rtype == "AWS::KMS::Key":
            sts, why = iam.parse_document(props.get("KeyPolicy")) if "KeyPolicy" in props else ([], None)
            doc.note_unresolved(lid, why)
            derived = {"Policy": sts}
        elif rtype == "AWS::SageMaker::ModelPackageGroup":
            pol = props.get("ModelPackageGroupPolicy")
            sts, why = iam.parse_document(pol) if pol is not None else ([], None)
            doc.note_unresolved(lid, why)
            derived = {"Policy": sts}
        elif rtype == "AWS::SageMaker::Domain":
            derived = {}
            role_ref = (props.get("DefaultUserSettings") or {}).get("ExecutionRole") \
                if isinstance(props.get("DefaultUserSettings"), dict) else None
            found = batch.role(doc, role_ref)
            if found:
                s = summary(*found)
                derived["ExecutionRole"] = {"Role": s["Role"], "ManagedPolicyArns": s["ManagedPolicyArns"]}
            elif _outside_role(role_ref):
                derived["OutsideExecutionRole"] = _outside_role(role_ref)
            # the template's own persona roles; if it has none, those of the other gated templates
            derived["PersonaRoles"] = batch.personas(doc)
        elif rtype == "AWS::SageMaker::UserProfile":
            tags = _tags(res)
            derived = {k: tags[t] for k, t in (("Team", "team"), ("Owner", "owner")) if isinstance(tags.get(t), str)}
            us = props.get("UserSettings") if isinstance(props.get("UserSettings"), dict) else {}
            role_ref, rdoc = us.get("ExecutionRole"), doc
            outside = _outside_role(role_ref)
            if role_ref is None:
                ddoc, dom_ref = batch.env_value(doc, props.get("DomainId")) or (doc, props.get("DomainId"))
                dom = _token(dom_ref)
                if dom and dom[0] == "AWS::SageMaker::Domain" and dom[1] in ddoc.resources:
                    dus = _props(ddoc.resources[dom[1]]).get("DefaultUserSettings")
                    role_ref, rdoc = (dus.get("ExecutionRole") if isinstance(dus, dict) else None), ddoc
                    outside = _outside_role(role_ref)
                elif env_ref(dom_ref) and ENV_BOUND.get(env_ref(dom_ref)[1]) == "domain" or \
                        isinstance(dom_ref, str) and re.fullmatch(r"d-[a-z0-9]+", dom_ref):
                    outside = f"(the default execution role of domain {dom_ref})"
            found = batch.role(rdoc, role_ref)
            if found:
                s = summary(*found)
                derived["ExecutionRole"] = {"Role": s["Role"], "Team": s.get("Team")}
                if derived["ExecutionRole"]["Team"] is None:
                    del derived["ExecutionRole"]["Team"]
            elif outside:
                derived["OutsideExecutionRole"] = outside
        elif rtype == "AWS::CodePipeline::Pipeline":
            # one list whatever the form (ArtifactStore, or ArtifactStores per region); see ART-03
            stores = [props["ArtifactStore"]] if "ArtifactStore" in props else [
                s.get("ArtifactStore") for s in _as_list(props.get("ArtifactStores")) if isinstance(s, dict)]
            derived = {"Stores": [s for s in stores if s is not None]}
        elif rtype == "AWS::SageMaker::Pipeline":
            derived = _pipeline_derived(doc, lid, props, definitions)
        if derived is not None:
            res["Derived"] = derived
            _place(doc, ("Resources", lid, "Derived"), derived)
    gc: dict[str, Any] = {"SageMaker": bool(has_sagemaker or ctx.environment)}
    if ctx.stage is not None:
        gc["Stage"] = ctx.stage
    if ctx.internet_free is not None:
        gc["InternetFree"] = ctx.internet_free
    gc["TargetAccountsKnown"] = ctx.target_accounts is not None
    gc["TargetAccounts"] = ctx.target_accounts or []
    gc["TargetOrgPathsKnown"] = ctx.target_org_paths is not None
    gc["TargetOrgPaths"] = ctx.target_org_paths or []
    if ctx.owns_trail is False:
        gc["TrailOutside"] = True
    s3_eps = list(ctx.s3_endpoint_ids or [])
    # the environment's S3 endpoint read from SSM (/secure-mlops/<env>/s3-vpc-endpoint-id)
    for value in doc.resolved.parameters.values():
        for v in value if isinstance(value, list) else [value]:
            ref = env_ref(v)
            if ref and ENV_BOUND.get(ref[1]) == "s3-endpoint" and v not in s3_eps:
                s3_eps.append(v)
    for elid, ep in doc.of_type("AWS::EC2::VPCEndpoint"):
        if _service_short(_props(ep).get("ServiceName")) == "s3":
            s3_eps.append("${AWS::EC2::VPCEndpoint/%s}" % elid)
    if s3_eps:
        gc["S3VpcEndpoints"] = s3_eps
    if any(True for _ in doc.of_type("AWS::SageMaker::Model")):
        gc["ImageRegistries"] = _image_registries(ctx)
    doc.resolved.data["GateContext"] = gc
    _place(doc, ("GateContext",), gc)


def _image_registries(ctx: GateContext) -> list[str]:
    """ECR registry hosts models may pull from (SM-MOD-03), besides the deploying account."""
    from ..sagemaker_images import DLC_REGISTRY, FRAMEWORK_REGISTRIES, allowed_image_accounts

    hosts = {f"{account}.dkr.ecr.{region}.amazonaws.com" for region, account in FRAMEWORK_REGISTRIES.items()}
    for account in {DLC_REGISTRY} | set(ctx.target_accounts or []):
        hosts.add(f"{account}.dkr.ecr.${{AWS::Region}}.amazonaws.com")
        for region in FRAMEWORK_REGISTRIES:
            hosts.add(f"{account}.dkr.ecr.{region}.amazonaws.com")
    if ctx.region:  # a region without a framework registry adds the DLC registry's host there
        for account in allowed_image_accounts(ctx.region):
            hosts.add(f"{account}.dkr.ecr.{ctx.region}.amazonaws.com")
    return sorted(hosts)


def _pipeline_derived(doc: Doc, lid: str, props: dict, definitions: dict[str, Doc]) -> dict:
    pd = props.get("PipelineDefinition")
    defn, why, source = None, None, None
    if isinstance(pd, dict) and "PipelineDefinitionBody" in pd:
        defn, why = pipeline.parse_body(pd["PipelineDefinitionBody"])
    elif isinstance(pd, dict) and "PipelineDefinitionS3Location" in pd:
        loc = pd["PipelineDefinitionS3Location"]
        key = loc.get("Key") if isinstance(loc, dict) else None
        match = None
        if isinstance(key, str) and "${" not in key:
            base = key.rsplit("/", 1)[-1]
            for path, d in definitions.items():
                if path.endswith("/" + key) or Path(path).name == base:
                    match = d
                    break
        if match is None:
            why = (f"the definition is in S3 ({key if isinstance(key, str) else 'unknown key'}); gate that file "
                   "together with the template")
        else:
            defn = match.resolved.loaded.data
            source = match.display
    elif isinstance(pd, dict) and "Unresolved" in pd:
        why = str(pd["Unresolved"])
    else:
        why = "PipelineDefinition is missing"
    if defn is None:
        doc.note_unresolved(lid, why)
        return {"Steps": [], "DefinitionError": why}
    out: dict[str, Any] = {"Steps": pipeline.job_steps(defn)}
    if source:
        out["DefinitionFile"] = source
    return out


def _place(doc: Doc, path: PathT, value: Any) -> None:
    """Positions for derived data: the resource (or the file start for GateContext)."""
    pos = doc.resolved.position(path[:2]) if path[0] == "Resources" else (1, 1)
    positions = doc.resolved.positions

    def walk(v: Any, p: PathT) -> None:
        positions.setdefault(p, pos)
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, p + (k,))
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(x, p + (i,))

    walk(value, path)
