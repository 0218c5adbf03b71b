"""Remove an environment's stacks in reverse order, keeping data, and say what was kept.

Before deleting anything, destroy looks for what was launched in the environment and still uses
it: SageMaker projects launched from its products (their stacks use its network, roles and keys)
and notebook instances and endpoints running in its subnets. If there are any, it names them,
says how to delete them and stops. Then, for each stack (env, core, artifacts): read what it holds
(resources, deletion policies, the Studio domain's EFS file system), delete it and follow its
events. When CloudFormation cannot delete a resource because it holds or protects data (a bucket
with objects, a model package group with model versions; the VPC, subnets and security groups
still used by Studio's EFS mount targets), the stack is deleted again with those resources
retained (``RetainResources``). Any other failure stops destroy, naming every resource that
could not be deleted, CloudFormation's reason, what holds it (for a subnet, security group or
VPC: the notebook instances, endpoints and network interfaces in it, ``holders.py``) and what to
do. Everything kept is listed with the commands that remove it (``retained.py``). Stacks left by
a failed provision (ROLLBACK_COMPLETE, REVIEW_IN_PROGRESS, CREATE_FAILED, ...) are deleted the
same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import templatefile
from .deploy_errors import DeployError, aws_error_text
from .events import EventStream, describe_stack, failed_resources, is_terminal, watch_stack


#: the tag SageMaker puts on the EFS file system it creates for a Studio domain (value: the domain's ARN)
STUDIO_EFS_TAG = "ManagedByAmazonSageMakerResource"


def _studio_file_system(session, domain_id: str) -> str | None:
    """The EFS file system SageMaker created for the Studio domain `domain_id`, found by its tag."""
    import botocore.exceptions

    try:
        for page in session.client("efs").get_paginator("describe_file_systems").paginate():
            for fs in page.get("FileSystems", []):
                tags = {t["Key"]: t["Value"] for t in fs.get("Tags", [])}
                if tags.get(STUDIO_EFS_TAG, "").endswith(f":domain/{domain_id}"):
                    return fs["FileSystemId"]
    except botocore.exceptions.ClientError:
        return None
    return None


def _stack_snapshot(session, stack: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    """(template, resources, Studio EFS ids) of a stack, read before it is deleted."""
    import botocore.exceptions

    cf = session.client("cloudformation")
    body = cf.get_template(StackName=stack["StackId"], TemplateStage="Original").get("TemplateBody")
    template = body if isinstance(body, dict) else templatefile.parse(body, stack["StackName"]) if body else {}
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
                # the domain is gone (an earlier destroy deleted it): SageMaker tags the file system with it
                efs = _studio_file_system(session, domain_id)
                if efs is None and exc.response.get("Error", {}).get("Code") not in ("ResourceNotFound",
                                                                                      "ValidationException"):
                    from .. import console

                    console.warn(f"could not read Studio domain {domain_id} ({aws_error_text(exc)}): its EFS "
                                 "file system (the users' home directories) is kept by SageMaker but cannot be "
                                 "listed below; find it with `aws efs describe-file-systems`")
            if efs:
                efs_ids.append(efs)
    return template, resources, efs_ids


@dataclass
class Blocked:
    """A resource CloudFormation could not delete for a reason that is not data, and what holds it."""

    event: dict[str, Any]
    holders: list = field(default_factory=list)  # holders.Holder
    note: str = ""  # why the holders are not known


def _classify_delete_failures(session, failed: dict[str, dict[str, Any]], live_efs: list[str], aws: str = "aws",
                              kept: dict[str, str] | None = None, own: frozenset[str] = frozenset()):
    """Split DELETE_FAILED resources into (kept for a data reason: {lid: reason}, {lid: Blocked}).

    `kept`: the resources of this stack already kept (earlier rounds); `own`: the physical ids
    of the stack's resources; `aws`: the AWS CLI prefix of the commands shown.
    """
    import botocore.exceptions

    from .holders import NETWORK_TYPES, VPC, in_use, network_holders
    from .retained import HOLDS_DATA, HOLDS_KEPT, IN_USE_BY_EFS, bucket_holds_data, holds_model_versions, model_versions

    keep: dict[str, str] = {}
    blockers: dict[str, Blocked] = {}
    kept_network = any(k for k in (kept or {}).values() if k in (IN_USE_BY_EFS, HOLDS_KEPT))
    for lid, event in failed.items():
        rtype = event.get("ResourceType", "")
        pid = event.get("PhysicalResourceId", "")
        reason = str(event.get("ResourceStatusReason") or "")
        if rtype == "AWS::S3::Bucket":
            data = bucket_holds_data(session.client("s3"), pid)
            if data is True:
                keep[lid] = HOLDS_DATA
                continue
            if data is None:
                keep[lid] = "could not check whether the bucket holds data, so it is kept"
                continue
        if rtype == "AWS::SageMaker::ModelPackageGroup":
            versions = model_versions(session.client("sagemaker"), pid)
            if versions is None:
                keep[lid] = "could not check whether the group holds model versions, so it is kept"
                continue
            if versions:
                keep[lid] = holds_model_versions(versions)
                continue
        if rtype in NETWORK_TYPES and in_use(reason):
            if rtype == VPC and (kept_network or live_efs):
                keep[lid] = IN_USE_BY_EFS if live_efs else HOLDS_KEPT
                continue
            try:
                holders = network_holders(session, rtype, pid, live_efs, aws, own)
            except botocore.exceptions.ClientError as exc:
                if live_efs:  # cannot tell; the file system's mount targets are the likely users
                    keep[lid] = IN_USE_BY_EFS
                else:
                    blockers[lid] = Blocked(event, note=f"could not list what uses it ({aws_error_text(exc)})")
                continue
            others = [h for h in holders if not h.keeps_data]
            if others:
                blockers[lid] = Blocked(event, holders)
            elif holders or live_efs:
                keep[lid] = IN_USE_BY_EFS
            else:
                blockers[lid] = Blocked(event, note="nothing in the account was found using it")
            continue
        blockers[lid] = Blocked(event)
    return keep, blockers


def _report_blocked(name: str, blockers: dict[str, Blocked], keep: dict[str, str], kept: dict[str, str]) -> None:
    """Every resource that could not be deleted, what holds it and what to do; then what will be kept."""
    from rich.markup import escape

    from .. import console as ui

    out = ui.err()
    for lid, blocked in blockers.items():
        event = blocked.event
        ui.error(f"stack {name}: {lid} ({event.get('ResourceType')} {event.get('PhysicalResourceId', '')}) "
                 f"could not be deleted: {event.get('ResourceStatusReason')}")
        for holder in blocked.holders:
            out.print(f"  used by {escape(holder.what)}: {escape(holder.fix)}", soft_wrap=True)
        if blocked.note:
            out.print(f"  ({escape(blocked.note)})", soft_wrap=True)
    later = {**kept, **keep}
    if later:
        out.print(f"Kept, because they hold or protect data (destroy keeps them when it runs again, and lists "
                  f"the commands that remove them): "
                  + "; ".join(f"{lid} ({reason})" for lid, reason in sorted(later.items())), soft_wrap=True)
    out.print(f"Nothing holding data was deleted. Resolve the {len(blockers)} resource(s) above, then run "
              f"destroy again (stack {name} is DELETE_FAILED).", soft_wrap=True)


def _delete_stack(session, target, name: str) -> tuple[bool, list]:
    """Delete one stack, keeping data; returns (ok, kept resources)."""
    import botocore.exceptions

    from .. import console as ui
    from .retained import EFS_HOMES, RETAIN_POLICY, Retained, aws_cli, efs_exists, removal_commands

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
    own = frozenset(r.get("PhysicalResourceId", "") for r in resources)

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
        keep, blockers = _classify_delete_failures(session, failed, live_efs, aws_cli(target), kept_reasons, own)
        if not blockers and not keep:
            break  # not a resource's failure (an export in use, ...): reported below
        if blockers:
            _report_blocked(name, blockers, keep, kept_reasons)
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


def _environment_resources(session, specs: list[Any]) -> list[dict[str, Any]]:
    """The resources of the environment's stacks that exist (rows of ListStackResources, with "Stack")."""
    import botocore.exceptions

    cf = session.client("cloudformation")
    rows: list[dict[str, Any]] = []
    for spec in specs:
        try:
            for page in cf.get_paginator("list_stack_resources").paginate(StackName=spec.name):
                rows += [{**r, "Stack": spec.name} for r in page["StackResourceSummaries"]
                         if r.get("PhysicalResourceId") and r.get("ResourceStatus") != "DELETE_COMPLETE"]
        except botocore.exceptions.ClientError as exc:
            if "does not exist" not in str(exc):
                raise
    return rows


def _in_the_way(session, specs: list[Any], target) -> bool:
    """True (and says so) when something launched in the environment still uses it, before anything is deleted.

    SageMaker projects launched from the environment's products (their stacks use its network, roles
    and keys) and the notebook instances and endpoints that run in its subnets: deleting the
    environment under them breaks them, and their network interfaces stop the subnets' deletion half-way.
    """
    from .. import console as ui
    from .holders import sagemaker_workloads
    from .projects import projects_launched_from
    from .retained import aws_cli

    aws = aws_cli(target)
    resources = _environment_resources(session, specs)
    products = {r["PhysicalResourceId"]: f"{r['Stack']}/{r['LogicalResourceId']}" for r in resources
                if r["ResourceType"] == "AWS::ServiceCatalog::CloudFormationProduct"}
    projects = projects_launched_from(session, set(products))
    subnets = {r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::EC2::Subnet"}
    groups = {r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::EC2::SecurityGroup"}
    workloads = sagemaker_workloads(session, subnets, groups, aws) if subnets or groups else []
    if not projects and not workloads:
        return False
    out = ui.err()
    if projects:
        ui.error(f"{len(projects)} SageMaker project(s) launched from this environment's project templates still "
                 "exist: " + ", ".join(f"{p['name']} ({p['status']}, from {products[p['product_id']]})" for p in projects)
                 + ". Their stacks use the environment's network, roles and keys.")
        out.print("Delete each project (its stack goes; the project template keeps its code repository and "
                  "artifact bucket):", soft_wrap=True)
        for p in projects:
            out.print(f"  {aws} sagemaker delete-project --project-name {p['name']}", soft_wrap=True, markup=False)
    if workloads:
        ui.error(f"{len(workloads)} SageMaker workload(s) run in the environment's network: "
                 + ", ".join(w.what for w in workloads) + ".")
        for w in workloads:
            out.print(f"  {w.what}: {w.fix}", soft_wrap=True, markup=False)
    out.print("Nothing was deleted. Run destroy again once they are gone.", soft_wrap=True)
    return True


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
        if _in_the_way(session, specs, target):
            return False
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
