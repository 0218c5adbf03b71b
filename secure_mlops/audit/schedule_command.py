"""``secure-mlops schedule deploy|status|remove``: check the input, resolve the target, act, print.

The work is in ``schedule.py`` (plan, apply, status, remove) and ``lambda_archive.py``.
Exit codes: 0 done / deployed; 1 a change failed, or (status) the schedule is not deployed
and wired; 2 bad input, credentials, or a missing environment (before any change).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path


def _target(cfg, local: bool, region: str | None, profile: str | None):
    from ..target import check_config_region, resolve_and_print

    return resolve_and_print(local, check_config_region(cfg, region), profile)


def deploy_command(config_path: Path, local: bool, region: str | None, profile: str | None, rate: str,
                   findings_bucket: str | None, to_security_hub: bool, plan_only: bool) -> int:
    import botocore.exceptions

    from .. import console
    from ..provision.config import load_config
    from .lambda_archive import build_archive, lambda_platform
    from .schedule import apply, check_bucket_name, check_rate, plan, resolve_wanted

    # the input, and whether an archive built here can run on Lambda, before any AWS call
    cfg = load_config(config_path)
    rate = check_rate(rate)
    check_bucket_name(findings_bucket)
    lambda_platform()
    target = _target(cfg, local, region, profile)
    with console.err().status("Packaging the audit and Cloud Custodian for AWS Lambda"):
        archive = build_archive()
    console.announce(f"Archive: {archive.describe()}")
    wanted = resolve_wanted(target.session, target.account, target.region, cfg, rate, findings_bucket,
                            to_security_hub)
    wanted.archive = archive
    s = wanted.settings
    console.announce(f"Findings: s3://{s.bucket}/{s.prefix}{target.account}/{target.region}/ (SSE-KMS, key "
                     f"{s.kms_key})" + ("; FAIL and ERROR findings also to Security Hub" if to_security_hub else ""))
    for warning in wanted.warnings:
        console.warn(warning)
    changes = plan(target.session, wanted)
    _print_changes(changes, console.out())
    if plan_only:
        console.announce("--plan: nothing was changed.")
        return 0
    if all(c.apply is None for c in changes):
        console.announce(f"No change: the function, its schedule and permission are as wanted "
                         f"(code sha256 {archive.sha256}).")
        return 0
    try:
        apply(changes, progress=lambda c: console.announce(f"{c.action}: {c.what} {c.name}"))
    except botocore.exceptions.ClientError as exc:
        console.error(f"the deployment stopped: {exc}")
        return 1
    console.announce(f"Deployed {wanted.names.function}: it audits {target.account}/{target.region} on "
                     f"{rate}. `secure-mlops schedule status -c {config_path}` shows its last findings.")
    return 0


def _print_changes(changes, out) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Scheduled audit")
    for col in ("part", "name", "action", "detail"):
        table.add_column(col, overflow="fold")
    style = {"create": "[green]create[/]", "update": "[yellow]update[/]", "no change": "no change"}
    for c in changes:
        table.add_row(c.what, escape(c.name), style[c.action], escape(c.detail))
    out.print(table)


def status_command(config_path: Path, local: bool, region: str | None, profile: str | None,
                   output: Path | None) -> int:
    import base64

    from rich.markup import escape
    from rich.table import Table

    from .. import console
    from ..provision.config import load_config
    from .schedule import read_document, read_status

    cfg = load_config(config_path)
    target = _target(cfg, local, region, profile)
    st = read_status(target.session, target.account, target.region, cfg.name)
    table = Table(title=f"Scheduled audit of {cfg.name}", show_header=False)
    table.add_column("what")
    table.add_column("state", overflow="fold")
    fn = st.function
    if fn:
        table.add_row("function", escape(f"{fn['FunctionName']} ({fn.get('State', '?')}), {fn.get('Runtime')}, "
                                         f"{fn.get('MemorySize')} MB, {fn.get('Timeout')} s, role {fn.get('Role')}"))
        table.add_row("code", f"sha256 {base64.b64decode(fn['CodeSha256']).hex()}, {fn.get('CodeSize', 0) / 1e6:.1f} MB, "
                              f"modified {fn.get('LastModified')}")
    else:
        table.add_row("function", "[red]not deployed[/]")
    if st.rule:
        table.add_row("schedule", escape(f"{st.rule['Name']}: {st.rule.get('ScheduleExpression')} "
                                         f"({st.rule.get('State')})"))
    else:
        table.add_row("schedule", "[red]not deployed[/]")
    table.add_row("wiring", ("target ok" if st.target_ok else "[red]no target[/]") + ", " +
                  ("invoke permission ok" if st.permission_ok else "[red]no invoke permission[/]"))
    if st.log_group:
        table.add_row("log group", escape(f"{st.log_group['logGroupName']} (KMS {st.log_group.get('kmsKeyId') or 'none'}, "
                                          f"{st.log_group.get('retentionInDays') or 'no'} days retention)"))
    table.add_row("findings", escape(f"s3://{st.bucket}/{st.prefix}") if st.bucket else "[red]unknown bucket[/]")
    last = st.last_object
    doc = None
    if last and "error" in last:
        table.add_row("last findings", f"[red]cannot be listed: {escape(last['error'])}[/]")
    elif last:
        table.add_row("last findings", escape(f"s3://{st.bucket}/{last['Key']} ({last['Size']} bytes, "
                                              f"{last['LastModified']:%Y-%m-%d %H:%M:%S %Z})"))
        try:
            doc = read_document(target.session, st.bucket, last["Key"])
            counts: dict[str, int] = {}
            for f in doc.get("findings", []):
                counts[f["status"]] = counts.get(f["status"], 0) + 1
            table.add_row("last result", ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no findings")
        except Exception as exc:  # noqa: BLE001 - shown, not fatal: the object is listed above
            table.add_row("last result", f"[red]cannot be read: {escape(str(exc))}[/]")
        overdue = _overdue(st.rule, last["LastModified"])
        if overdue:
            console.warn(overdue)
    else:
        table.add_row("last findings", "none yet")
    console.out().print(table)
    for problem in st.problems:
        console.warn(problem)
    if output is not None:
        if doc is None:
            console.error("no findings document to write")
            return 1
        from ..findings import dump_document

        console.write_file(output, dump_document(doc),
                           f": `secure-mlops report {output}` answers the security questions.")
    return 0 if st.deployed else 1


def _overdue(rule, last_modified: datetime) -> str | None:
    """A warning when the newest findings are older than two intervals of a rate() schedule."""
    import re

    m = re.match(r"rate\((\d+) (minute|hour|day)s?\)", (rule or {}).get("ScheduleExpression", ""))
    if not m or (rule or {}).get("State") != "ENABLED":
        return None
    seconds = int(m.group(1)) * {"minute": 60, "hour": 3600, "day": 86400}[m.group(2)]
    age = (datetime.now(timezone.utc) - last_modified).total_seconds()
    if age > 2 * seconds + 900:
        return (f"the last findings are {age / 3600:.1f} hours old, more than two intervals of "
                f"{rule['ScheduleExpression']}: look at the function's log group for failed runs")
    return None


def remove_command(config_path: Path, local: bool, region: str | None, profile: str | None, yes: bool) -> int:
    import click

    from .. import console
    from ..provision.config import load_config
    from .schedule import Names, read_status, remove

    cfg = load_config(config_path)
    target = _target(cfg, local, region, profile)
    names = Names(cfg.name)
    st = read_status(target.session, target.account, target.region, cfg.name)
    if not yes:
        click.confirm(f"Remove the scheduled audit {names.function} (function, schedule, permission) from "
                      f"{target.describe()}? Findings and logs are kept.", abort=True, err=True)
    for what, name, result in remove(target.session, cfg.name):
        console.announce(f"{what} {name}: {result}")
    if st.bucket:
        console.announce(f"Kept: the findings under s3://{st.bucket}/{st.prefix}"
                         + (f" (newest {st.last_object['Key'].rsplit('/', 1)[-1]})"
                            if st.last_object and "Key" in st.last_object else ""))
    if st.log_group:
        console.announce(f"Kept: the log group {names.log_group} (its retention expires it; "
                         f"`aws logs delete-log-group --log-group-name {names.log_group}` removes it now)")
    return 0
