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


def load_accounts(path: Path, default_region: str | None = None) -> list[AccountEntry]:
    """Read and check an accounts file (raises UserError naming the file, the field and the fix)."""
    import jsonschema
    import yaml
    from c7n_org.cli import CONFIG_SCHEMA

    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise UserError(f"cannot be read: {exc.strerror}", file=str(path)) from None
    except yaml.YAMLError as exc:
        raise UserError(f"not valid YAML ({exc})", file=str(path), fix="write a c7n-org accounts file") from None
    if not isinstance(data, dict) or not data.get("accounts"):
        raise UserError("no accounts listed", file=str(path), field="accounts",
                        fix="list at least one account: accounts: [{account_id: '111111111111', name: dev, "
                            "role: arn:aws:iam::111111111111:role/Audit, regions: [us-east-1]}]")
    errors = sorted(jsonschema.Draft7Validator(CONFIG_SCHEMA).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.path) or "(top level)"
        raise UserError(e.message, file=str(path), field=where,
                        fix="each account needs account_id (12 digits) and role (or profile); "
                            "regions is a list of region names")
    out = []
    for i, a in enumerate(data["accounts"]):
        regions = tuple(a.get("regions") or ([default_region] if default_region else []))
        if not regions:
            raise UserError("no regions, and no default region is set", file=str(path),
                            field=f"accounts/{i}/regions", fix="list the regions to audit, or pass --region")
        role = a.get("role")
        out.append(AccountEntry(account_id=a["account_id"], name=a.get("name") or a["account_id"], regions=regions,
                                role=tuple(role) if isinstance(role, list) else role, profile=a.get("profile"),
                                external_id=a.get("external_id")))
    return out


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
