"""Remove an environment's stacks in reverse order, keeping data, and say what was kept.

For each stack (env, core, artifacts): read what it holds (resources, deletion policies, the
Studio domain's EFS file system), delete it and follow its events. When CloudFormation cannot
delete a resource because it holds or protects data (a bucket with objects; the VPC, subnets and
security groups still used by Studio's EFS mount targets), the stack is deleted again with those
resources retained (``RetainResources``); any other failure stops destroy with the resource and
CloudFormation's reason. Everything kept is listed with the commands that remove it
(``retained.py``). Stacks left by a failed provision (ROLLBACK_COMPLETE, REVIEW_IN_PROGRESS,
CREATE_FAILED, ...) are deleted the same way.
"""

from __future__ import annotations

from typing import Any

from . import templatefile
from .deploy_errors import DeployError, aws_error_text
from .events import EventStream, describe_stack, failed_resources, is_terminal, watch_stack


def _stack_snapshot(session, stack: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    """(template, resources, Studio EFS ids) of a stack, read before it is deleted."""
    import botocore.exceptions

    cf = session.client("cloudformation")
    body = cf.get_template(StackName=stack["StackId"], TemplateStage="Original").get("TemplateBody")
    template = body if isinstance(body, dict) else templatefile.parse(body or "{}", stack["StackName"]) if body else {}
    resources: list[dict[str, Any]] = []
    for page in cf.get_paginator("list_stack_resources").paginate(StackName=stack["StackId"]):
        resources.extend(page["StackResourceSummaries"])
    efs_ids: list[str] = []
    sm = session.client("sagemaker")
    for res in resources:
        if res.get("ResourceType") == "AWS::SageMaker::Domain" and res.get("PhysicalResourceId"):
            domain_id = res["PhysicalResourceId"].rsplit("/", 1)[-1]
            try:
                efs = sm.describe_domain(DomainId=domain_id).get("HomeEfsFileSystemId")
            except botocore.exceptions.ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ResourceNotFound":
                    from .. import console

                    console.warn(f"could not read Studio domain {domain_id} ({aws_error_text(exc)}): its EFS "
                                 "file system (the users' home directories) is kept by SageMaker but cannot be "
                                 "listed below; find it with `aws efs describe-file-systems`")
                continue
            if efs:
                efs_ids.append(efs)
    return template, resources, efs_ids


def _classify_delete_failures(session, failed: dict[str, dict[str, Any]], live_efs: list[str]):
    """Split DELETE_FAILED resources into (kept for a data reason: {lid: reason}, real failures)."""
    from .retained import HOLDS_DATA, IN_USE_BY_EFS, bucket_holds_data

    keep: dict[str, str] = {}
    blockers: dict[str, dict[str, Any]] = {}
    s3 = session.client("s3")
    for lid, event in failed.items():
        rtype = event.get("ResourceType", "")
        reason = str(event.get("ResourceStatusReason") or "").lower()
        if rtype == "AWS::S3::Bucket":
            data = bucket_holds_data(s3, event.get("PhysicalResourceId", ""))
            if data is True:
                keep[lid] = HOLDS_DATA
                continue
            if data is None:
                keep[lid] = "could not check whether the bucket holds data, so it is kept"
                continue
        if rtype.startswith("AWS::EC2::") and live_efs and ("dependen" in reason or "in use" in reason):
            keep[lid] = IN_USE_BY_EFS
            continue
        blockers[lid] = event
    return keep, blockers


def _delete_stack(session, target, name: str) -> tuple[bool, list]:
    """Delete one stack, keeping data; returns (ok, kept resources)."""
    import botocore.exceptions

    from .. import console as ui
    from .retained import EFS_HOMES, RETAIN_POLICY, Retained, efs_exists, removal_commands

    cf = session.client("cloudformation")
    stack = describe_stack(cf, name)
    if stack is None:
        ui.announce(f"{name}: does not exist, nothing to delete")
        return True, []
    status = stack["StackStatus"]
    if not is_terminal(status):
        ui.error(f"stack {name} is {status}: wait until it finishes, then run destroy again")
        return False, []
    stack_id = stack["StackId"]
    if status == "REVIEW_IN_PROGRESS":  # a change set never executed: no template, no resources
        template, resources, efs_ids = {}, [], []
    else:
        template, resources, efs_ids = _stack_snapshot(session, stack)
    by_lid = {r["LogicalResourceId"]: r for r in resources}

    stream = EventStream(cf, stack_id)
    try:
        cf.delete_stack(StackName=stack_id)
    except botocore.exceptions.ClientError as exc:
        ui.error(f"CloudFormation refused to delete stack {name}: {aws_error_text(exc)}")
        return False, []
    result = watch_stack(cf, stream, f"{name}: delete", len(resources) or None)

    kept_reasons: dict[str, str] = {}
    # Keeping a resource can make the next one fail: subnets kept for Studio's EFS mount targets
    # keep their VPC from being deleted, which CloudFormation tries only once the subnets are out
    # of the way. Each round retains what failed for a data reason, until nothing new fails.
    for _ in range(len(resources) or 1):
        if result.status != "DELETE_FAILED":
            break
        failed = {lid: e for lid, e in failed_resources(result.events).items() if lid not in kept_reasons}
        live_efs = [fs for fs in efs_ids if efs_exists(session.client("efs"), fs) is not False]
        keep, blockers = _classify_delete_failures(session, failed, live_efs)
        if not blockers and not keep:
            break  # not a resource's failure (an export in use, ...): reported below
        if blockers:
            for lid, event in blockers.items():
                ui.error(f"stack {name}: {lid} ({event.get('ResourceType')}) could not be deleted: "
                         f"{event.get('ResourceStatusReason')}")
            ui.err().print(f"Fix the cause, then run destroy again (stack {name} is DELETE_FAILED).")
            return False, []
        ui.announce(f"{name}: keeping {', '.join(sorted(keep))} (they hold or protect data) and deleting the rest")
        stream = EventStream(cf, stack_id)
        cf.delete_stack(StackName=stack_id, RetainResources=sorted(keep))
        result = watch_stack(cf, stream, f"{name}: delete (keeping data)", len(resources) or None)
        kept_reasons.update(keep)
    if not result.ok:
        cause = result.root_cause()
        detail = (f"{cause.get('LogicalResourceId')}: {cause.get('ResourceStatusReason')}" if cause else result.reason)
        ui.error(f"stack {name} could not be deleted ({result.status}): {detail}")
        return False, []
    ui.announce(f"{name}: DELETE_COMPLETE")

    for lid, res in (template.get("Resources") or {}).items():
        if isinstance(res, dict) and res.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate") and lid in by_lid:
            kept_reasons.setdefault(lid, RETAIN_POLICY)
    kept = []
    for lid, reason in kept_reasons.items():
        res = by_lid.get(lid, {})
        rtype, pid = res.get("ResourceType", "?"), res.get("PhysicalResourceId", "")
        if not pid:
            continue
        kept.append(Retained(name, lid, rtype, pid, reason, removal_commands(rtype, pid, target)))
    efs = session.client("efs")
    for fs in efs_ids:
        if efs_exists(efs, fs) is not False:
            kept.append(Retained(name, "(created by SageMaker Studio)", "AWS::EFS::FileSystem", fs, EFS_HOMES,
                                 removal_commands("AWS::EFS::FileSystem", fs, target)))
    return True, kept


def destroy_specs(specs: list[Any], cfg, target) -> bool:
    """Delete `specs` in reverse order (what destroy_environment does once the stacks are planned)."""
    import botocore.exceptions

    from .. import console as ui
    from .projects import disassociate, studio_execution_roles
    from .retained import render

    session = target.session
    kept: list = []
    ok = True
    try:
        roles = studio_execution_roles(session, cfg.name)
        if roles:
            for done in disassociate(session, roles):
                ui.announce(f"SageMaker projects: {done}")
        for spec in reversed(specs):
            stack_ok, stack_kept = _delete_stack(session, target, spec.name)
            kept.extend(stack_kept)
            if not stack_ok:
                ok = False
                break
    except DeployError as exc:
        ui.error(str(exc))
        ok = False
    except botocore.exceptions.ClientError as exc:
        ui.error(f"AWS refused a call: {aws_error_text(exc)} ({exc.operation_name})")
        ok = False
    if kept:
        ui.err().print(render(kept))
    if ok:
        ui.announce(f"Environment {cfg.name!r} removed"
                    + (f"; {len(kept)} resource(s) kept (listed above)." if kept else "."))
    return ok
