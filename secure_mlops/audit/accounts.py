"""``--accounts FILE``: the c7n-org accounts file, and auditing many account-regions at once.

The file is c7n-org's (validated against c7n-org's own schema)::

    accounts:
      - account_id: "111111111111"
        name: dev
        role: arn:aws:iam::111111111111:role/SecurityAudit   # or a list: a chain of roles
        regions: [us-east-1, eu-west-1]                      # default: the target's region
        external_id: optional

Each account-region is audited in parallel with a progress bar of its own; a role that
cannot be assumed yields ERROR for every control in that account-region, and the others go on.
"""

from __future__ import annotations

import concurrent.futures
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError

MAX_PARALLEL = 4


@dataclass(frozen=True)
class AccountEntry:
    account_id: str
    name: str
    regions: tuple[str, ...]
    role: str | tuple[str, ...] | None = None
    profile: str | None = None
    external_id: str | None = None


#: a role c7n-org assumes: an IAM role ARN (``role/`` may have a path)
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
_ENTRY_FIX = ("each account needs account_id (12 digits, quoted) and role (an IAM role ARN) or profile; "
              "regions is a list of region names")


def load_accounts(path: Path, default_region: str | None = None) -> list[AccountEntry]:
    """Read and check an accounts file (raises UserError naming the file, the field and the fix)."""
    import jsonschema
    import yaml
    from c7n_org.cli import CONFIG_SCHEMA

    from ..target import check_region

    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise UserError(f"cannot be read: {exc.strerror}", file=str(path)) from None
    except yaml.YAMLError as exc:
        raise UserError(_yaml_problem(exc), file=str(path), fix="write a c7n-org accounts file (YAML)") from None
    if not isinstance(data, dict) or not data.get("accounts"):
        raise UserError("no accounts listed", file=str(path), field="accounts",
                        fix="list at least one account: accounts: [{account_id: '111111111111', name: dev, "
                            "role: arn:aws:iam::111111111111:role/Audit, regions: [us-east-1]}]")
    known = set(CONFIG_SCHEMA["definitions"]["account"]["properties"])
    for i, a in enumerate(data["accounts"] if isinstance(data["accounts"], list) else []):
        if not isinstance(a, dict):
            raise UserError("is not a mapping", file=str(path), field=f"accounts/{i}", fix=_ENTRY_FIX)
        for key in a:
            if key not in known:  # c7n-org's schema lets any key through: a typo would be ignored
                close = difflib.get_close_matches(str(key), sorted(known), n=1)
                raise UserError(f"unknown key {key!r}", file=str(path), field=f"accounts/{i}/{key}",
                                fix=f"did you mean {close[0]!r}?" if close else
                                f"use only {', '.join(sorted(known))}")
        if "account_id" not in a:
            raise UserError("account_id is missing", file=str(path), field=f"accounts/{i}", fix=_ENTRY_FIX)
        if "role" not in a and "profile" not in a:
            raise UserError("needs role (an IAM role ARN to assume) or profile", file=str(path),
                            field=f"accounts/{i}", fix=_ENTRY_FIX)
    errors = sorted(jsonschema.Draft7Validator(CONFIG_SCHEMA).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.path) or "(top level)"
        raise UserError(e.message, file=str(path), field=where, fix=_ENTRY_FIX)
    out = []
    for i, a in enumerate(data["accounts"]):
        role = a.get("role")
        roles = role if isinstance(role, list) else [role] if role else []
        for j, arn in enumerate(roles):
            field = f"accounts/{i}/role" + (f"/{j}" if isinstance(role, list) else "")
            m = _ROLE_ARN.match(str(arn))
            if not m:
                raise UserError(f"{arn!r} is not an IAM role ARN", file=str(path), field=field,
                                fix=f"write arn:aws:iam::{a['account_id']}:role/<role name>")
        if roles and _ROLE_ARN.match(roles[-1]).group(1) != a["account_id"]:
            raise UserError(f"the role {roles[-1]} is in account {_ROLE_ARN.match(roles[-1]).group(1)}, not in "
                            f"{a['account_id']}", file=str(path), field=f"accounts/{i}/role",
                            fix="the (last) role must be in the account it audits: correct account_id or role")
        regions = tuple(a.get("regions") or ([default_region] if default_region else []))
        if not regions:
            raise UserError("no regions, and no default region is set", file=str(path),
                            field=f"accounts/{i}/regions", fix="list the regions to audit, or pass --region")
        for j, region in enumerate(a.get("regions") or []):
            check_region(region, source=f"{path}: field accounts/{i}/regions/{j}:")
        out.append(AccountEntry(account_id=a["account_id"], name=a.get("name") or a["account_id"], regions=regions,
                                role=tuple(role) if isinstance(role, list) else role, profile=a.get("profile"),
                                external_id=a.get("external_id")))
    return out


def _yaml_problem(exc) -> str:
    """One line about a YAML syntax error: where and what (PyYAML's text spans several lines)."""
    def at(mark) -> str:
        return f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""

    problem = (getattr(exc, "problem", None) or "syntax error") + at(getattr(exc, "problem_mark", None))
    context = getattr(exc, "context", None)
    if context:
        problem = f"{context}{at(getattr(exc, 'context_mark', None))}: {problem}"
    return f"not valid YAML: {problem}"


def session_for(base_session, entry: AccountEntry, region: str, stats):
    """A session in the entry's account: its role assumed from the base session, or its profile."""
    import boto3

    from .sessions import assume_role_session

    if entry.role:
        return assume_role_session(base_session, entry.role, region, entry.external_id, stats=stats)
    return boto3.Session(profile_name=entry.profile, region_name=region)


def audit_accounts(base_session, entries: list[AccountEntry], controls, cfg, stats, console=None,
                   parallel: int = MAX_PARALLEL):
    """Audit every account-region of the file in parallel; findings merged."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .audit import audit_target_region

    pairs = [(e, region) for e in entries for region in e.regions]
    findings = []
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, transient=False, disable=console is None)
    with progress:
        tasks = {pair: progress.add_task(f"{pair[0].name} ({pair[0].account_id}) {pair[1]}", total=None)
                 for pair in pairs}

        def one(pair):
            entry, region = pair
            task = tasks[pair]

            def on_done(done, total):
                progress.update(task, completed=done, total=total)

            return audit_target_region(lambda: session_for(base_session, entry, region, stats),
                                       entry.account_id, region, controls, cfg, stats, on_done)

        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(parallel, len(pairs)))) as pool:
            for result in pool.map(one, pairs):
                findings.extend(result)
    return findings
