"""Deploy and remove an environment's stacks: gate, change sets, events, idempotency, destroy.

``provision_environment(cfg, target)`` takes the stacks of ``plan_stacks(cfg)`` in order and,
for each: uploads the files the stack needs (``uploads.Upload``), compares the deployed
template, parameters and tags with what would be deployed (equal: "no change", nothing is
created), otherwise creates a change set, shows it, executes it and follows the stack events
until the stack settles; a failure is reported with the resource that failed and
CloudFormation's reason. Before anything is deployed the templates go through the gate
(preventive controls); after the stacks, SageMaker projects are enabled for the Studio
execution role (``projects.py``) and every deployed resource is read back (``verify.py``); a
difference comes with what to do about it (``drift_advice``: the `remediate` command of the
responsive controls of the drifted resource types, or by hand). Each stack's outputs go to
stdout as a table, plain ``stack<TAB>output<TAB>value`` lines (the default outside a terminal)
or one JSON document.

Contract with ``stacks.py`` (``StackSpec``): ``name``, ``template_path``, ``parameters``
(values: str, bool, number or list → CloudFormation strings), ``capabilities``, ``tags``,
``uploads`` (optional: ``uploads.Upload`` or objects with the same fields). Parameters the
deployer decides at run time, set when the template declares them:
``CreateSageMakerProjectRoles`` ("true" when the AmazonSageMakerServiceCatalogProducts* roles
are absent or already owned by this stack, "false" when the account has them), and whatever the
spec's optional ``live_parameters(session)`` reads from the account (e.g. the product versions
projects still use).

``destroy_environment(cfg, target)`` deletes the stacks in reverse order and never deletes
data (``destroy.py``; what it keeps and why: ``retained.py``).

Beside this module: ``gating.py`` (the gate before deploying), ``changesets.py``, ``events.py``
(following a stack operation, finding why it failed), ``uploads.py``, ``projects.py`` (the
SageMaker projects steps), ``templatefile.py`` (reading templates).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import changesets, templatefile
from .deploy_errors import DeployError, aws_error_text
from .events import EventStream, describe_stack, is_terminal, watch_stack
from .gating import GATE_OVERRIDE_TAG, gate_templates

PROJECT_ROLES_PARAMETER = "CreateSageMakerProjectRoles"
#: stack states that can be updated and compared
STABLE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE",
          "IMPORT_ROLLBACK_COMPLETE"}
#: a failed creation: nothing is left to update, CloudFormation requires deleting the stack
FAILED_CREATE = {"ROLLBACK_COMPLETE"}
#: states only `destroy` (or the console) can get a stack out of
NEEDS_DESTROY = {"ROLLBACK_FAILED", "CREATE_FAILED", "DELETE_FAILED", "UPDATE_FAILED", "IMPORT_ROLLBACK_FAILED"}


@dataclass
class StackResult:
    name: str
    action: str  # created, updated, unchanged, planned, failed
    status: str = ""
    stack_id: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    message: str = ""
    changes: dict[str, int] = field(default_factory=dict)


# ------------------------------------------------------------------------------ small helpers
def _ui():
    from .. import console

    return console


def _cf_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(_cf_value(v) for v in value)
    return "" if value is None else str(value)


def _spec_get(spec: Any, name: str, default: Any = None) -> Any:
    return getattr(spec, name, default)


def outputs_of(stack: dict[str, Any] | None) -> dict[str, str]:
    return {o["OutputKey"]: o.get("OutputValue", "") for o in (stack or {}).get("Outputs", []) or []}


# ------------------------------------------------------------------------------ one stack
def unchanged(cf, stack: dict[str, Any], text: str, template: dict[str, Any], parameters: dict[str, str],
              tags: dict[str, str]) -> bool:
    """True when the deployed stack has this template, these parameter values and these tags."""
    if stack.get("StackStatus") not in STABLE:
        return False
    current_tags = {t["Key"]: t["Value"] for t in stack.get("Tags", []) or []}
    if current_tags != tags:
        return False
    declared = (template.get("Parameters") or {}).keys()
    expected = {**templatefile.parameter_defaults(template), **parameters}
    current = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters", []) or []}
    if set(current) != set(declared) or any(current.get(k) != expected.get(k) for k in declared):
        return False
    body = cf.get_template(StackName=stack["StackId"], TemplateStage="Original").get("TemplateBody")
    if isinstance(body, str):
        return body == text
    try:  # botocore decodes JSON template bodies into a dict
        return body == json.loads(text)
    except ValueError:
        return False


def _template_arg(session, spec, text: str, artifact_bucket: str | None, prefix: str,
                  plan: bool = False) -> dict[str, str] | None:
    """TemplateBody when it fits CloudFormation's inline limit, else TemplateURL via the artifacts bucket.

    With `plan` nothing is uploaded: None when the template would have to be uploaded first.
    """
    if len(text.encode()) <= templatefile.MAX_BODY_BYTES:
        return {"TemplateBody": text}
    if not artifact_bucket and plan:
        return None
    if not artifact_bucket:
        raise DeployError(
            f"the template of stack {spec.name} ({spec.template_path}) is {len(text.encode())} bytes, over "
            f"CloudFormation's {templatefile.MAX_BODY_BYTES}-byte limit for inline templates, and no artifacts "
            "bucket is deployed before it to upload it to"
        )
    from .uploads import exists, object_key, object_url, put_if_absent

    s3 = session.client("s3")
    key = object_key(Path(spec.template_path), prefix)  # the same object as an upload of the same file
    if plan:
        if not exists(s3, artifact_bucket, key):
            return None
    else:
        put_if_absent(s3, artifact_bucket, key, Path(spec.template_path))
    return {"TemplateURL": object_url(s3, artifact_bucket, key)}


def _failure_message(name: str, result, template: dict[str, Any], parameters: dict[str, str]) -> str:
    cause = result.root_cause()
    text = f"stack {name} failed ({result.status})"
    if cause:
        lid = cause.get("LogicalResourceId", "?")
        text += (f": resource {lid} ({cause.get('ResourceType', '?')}) {cause.get('ResourceStatus')}: "
                 f"{cause.get('ResourceStatusReason') or 'no reason given'}")
        used = templatefile.referenced_parameters(template, lid)
        if used:
            text += ". It uses the parameters " + ", ".join(f"{p}={parameters.get(p, '(default)')!r}" for p in used)
            text += " (set from the configuration)"
    elif result.reason:
        text += f": {result.reason}"
    return text


def _plan_without_change_set(spec, template: dict[str, Any], why: str) -> StackResult:
    ui = _ui()
    resources = template.get("Resources") or {}
    ui.announce(f"{spec.name}: {why}; it would create the template's {len(resources)} resources "
                "(those marked `if` only when their condition holds):")
    from rich.table import Table

    table = Table(title=f"{spec.name}: create ({len(resources)} to add)", title_justify="left")
    table.add_column("action")
    table.add_column("logical id")
    table.add_column("type")
    for lid, res in resources.items():
        cond = res.get("Condition") if isinstance(res, dict) else None
        table.add_row(f"[green]Add[/]{f' if {cond}' if cond else ''}", lid, str(res.get("Type", "")))
    ui.err().print(table)
    return StackResult(spec.name, "planned", message=why, changes={"Add": len(resources)})


def deploy_stack(session, spec, text: str, template: dict[str, Any], parameters: dict[str, str],
                 tags: dict[str, str], template_arg: dict[str, str], plan: bool = False,
                 depends_on_planned: bool = False) -> StackResult:
    """Create or update one stack through a change set (or show the change set with `plan`)."""
    import botocore.exceptions

    ui = _ui()
    cf = session.client("cloudformation")
    name = spec.name
    stack = describe_stack(cf, name)
    status = stack["StackStatus"] if stack else None

    if status and not is_terminal(status):
        raise DeployError(f"stack {name} is {status}: wait until it finishes "
                          f"(aws cloudformation wait stack-update-complete --stack-name {name}), then run provision again")
    if status in NEEDS_DESTROY or status == "UPDATE_ROLLBACK_FAILED":
        fix = ("continue the rollback (aws cloudformation continue-update-rollback --stack-name "
               f"{name}) or run `secure-mlops destroy`" if status == "UPDATE_ROLLBACK_FAILED"
               else "run `secure-mlops destroy` (it keeps data) and provision again")
        raise DeployError(f"stack {name} is {status} after an earlier failure: {fix}")
    if status in FAILED_CREATE:
        if plan:
            return _plan_without_change_set(
                spec, template, f"stack {name} is {status} from a failed creation; provision deletes and re-creates it")
        ui.announce(f"{name}: {status} from an earlier failed creation (it holds no resources); "
                    "deleting it so it can be created again")
        _delete_empty_stack(cf, stack)
        stack, status = None, None

    if status in STABLE:
        try:
            if unchanged(cf, stack, text, template, parameters, tags):
                ui.announce(f"{name}: no change (template, parameters and tags as deployed)")
                return StackResult(name, "unchanged", status, stack["StackId"], outputs_of(stack))
        except botocore.exceptions.ClientError as exc:
            ui.warn(f"{name}: could not compare with the deployed stack ({aws_error_text(exc)}); "
                    "asking CloudFormation for a change set")

    cs_type = "UPDATE" if status in STABLE else "CREATE"
    new_review_stack = stack is None
    try:
        cs = changesets.create(cf, name, cs_type, template_arg, parameters, tags,
                               list(_spec_get(spec, "capabilities", None) or []))
    except DeployError as exc:
        if new_review_stack:
            _delete_review_stack(cf, name)
        if plan and depends_on_planned:
            return _plan_without_change_set(spec, template, f"its change set needs the stacks planned before it ({exc})")
        raise
    if cs.no_changes:
        changesets.delete(cf, cs)
        ui.announce(f"{name}: no change (CloudFormation found nothing to change)")
        stack = describe_stack(cf, name)
        return StackResult(name, "unchanged", status or "", (stack or {}).get("StackId", ""), outputs_of(stack))

    ui.err().print(changesets.render(cs))
    if plan:
        changesets.delete(cf, cs)
        if new_review_stack:
            _delete_review_stack(cf, name)
        # later stacks of the plan read the outputs the stack has now
        return StackResult(name, "planned", status or "", (stack or {}).get("StackId", ""),
                           outputs_of(stack), changes=cs.summary())

    stream = EventStream(cf, cs.stack_id)
    changesets.execute(cf, cs)
    total = len(cs.changes) or len(template.get("Resources") or {})
    result = watch_stack(cf, stream, f"{name}: {cs_type.lower()}", total)
    stack = describe_stack(cf, cs.stack_id)
    if not result.ok:
        message = _failure_message(name, result, template, parameters)
        return StackResult(name, "failed", result.status, cs.stack_id, outputs_of(stack), message, cs.summary())
    action = "created" if cs_type == "CREATE" else "updated"
    ui.announce(f"{name}: {result.status}")
    return StackResult(name, action, result.status, cs.stack_id, outputs_of(stack), changes=cs.summary())


def _delete_empty_stack(cf, stack: dict[str, Any]) -> None:
    stream = EventStream(cf, stack["StackId"])
    cf.delete_stack(StackName=stack["StackId"])
    result = watch_stack(cf, stream, f"{stack['StackName']}: delete", None)
    if not result.ok:
        raise DeployError(f"could not delete the failed stack {stack['StackName']} ({result.status}): "
                          f"{result.reason}; run `secure-mlops destroy`")


def _delete_review_stack(cf, name: str) -> None:
    """Remove the empty stack a CREATE change set leaves behind (REVIEW_IN_PROGRESS)."""
    stack = describe_stack(cf, name)
    if stack and stack["StackStatus"] == "REVIEW_IN_PROGRESS":
        cf.delete_stack(StackName=stack["StackId"])


# ------------------------------------------------------------------------------ the environment
#: what the core stack does with the SageMaker project roles, by where they are now
_ROLES_WHERE = {
    "absent": "are not in the account yet: this stack creates them",
    "stack": "were created by this stack: it keeps them",
    "account": "already exist in the account, created outside this environment (e.g. by the SageMaker "
               "console): this stack uses them and does not create them",
}


def project_roles_message(state: dict[str, str], create: bool) -> str:
    """One sentence: where the SageMaker project roles are and what the core stack does about them."""
    flag = f"({PROJECT_ROLES_PARAMETER}={'true' if create else 'false'})"
    wheres = set(state.values())
    if len(wheres) == 1:
        return f"the SageMaker project roles {' and '.join(state)} {_ROLES_WHERE[wheres.pop()]} {flag}."
    # one absent, one created by this stack (any other mix stops provision before this)
    short = {"absent": "is not in the account", "stack": "was created by this stack",
             "account": "exists in the account, created outside this environment"}
    return ("the SageMaker project roles: " + " and ".join(f"{role} {short[s]}" for role, s in state.items())
            + ("; this stack creates the missing one and keeps the other " if create else " ") + flag + ".")


def _runtime_parameters(session, spec, template: dict[str, Any]) -> dict[str, str]:
    """Parameters the deployer decides from the account's current state."""
    from .projects import project_roles_owner, should_create_project_roles

    out: dict[str, str] = {}
    if PROJECT_ROLES_PARAMETER in (template.get("Parameters") or {}):
        state = project_roles_owner(session, spec.name)
        create = should_create_project_roles(state)
        _ui().announce(f"{spec.name}: {project_roles_message(state, create)}")
        out[PROJECT_ROLES_PARAMETER] = "true" if create else "false"
    live = _spec_get(spec, "live_parameters", None)  # e.g. product versions projects still use
    if live is not None:
        out.update(live(session))
    return out


def _do_uploads(session, spec, env_name: str, outputs: dict[str, dict[str, str]], plan: bool) -> tuple[dict[str, str], str | None]:
    """Upload the stack's files; returns (parameters carrying URLs, the artifacts bucket used)."""
    from .uploads import as_upload, content_key, content_version, exists, object_url, put_if_absent

    params: dict[str, str] = {}
    bucket_used = None
    s3 = session.client("s3")
    for raw in _spec_get(spec, "uploads", None) or []:
        up = as_upload(raw)
        stack_name, key_name = up.bucket_output
        bucket = outputs.get(stack_name, {}).get(key_name)
        if not bucket:
            raise DeployError(f"stack {spec.name} needs {up.path} in the bucket named by output {key_name} of "
                              f"stack {stack_name}, which has no such output")
        body = up.content(outputs)  # a file as it is, or rendered from the outputs of earlier stacks
        key = content_key(body, up.file_name, up.prefix or env_name)
        if plan:
            if not exists(s3, bucket, key):
                _ui().announce(f"{spec.name}: would upload {up.file_name} to s3://{bucket}/{key}")
        elif put_if_absent(s3, bucket, key, body, up.tags):
            _ui().announce(f"{spec.name}: uploaded {up.file_name} to s3://{bucket}/{key}")
        if up.parameter:
            params[up.parameter] = object_url(s3, bucket, key)
        if up.version_parameter:
            params[up.version_parameter] = content_version(body)
        bucket_used = bucket
    return params, bucket_used


def outputs_format_for(requested: str | None) -> str:
    """How stack outputs are printed on stdout: `requested` (table for people; plain: tab-separated
    lines, or json: one document, for scripts), else table on a terminal and plain otherwise."""
    if requested:
        return requested
    from .. import console

    return "table" if console.out().is_terminal else "plain"


def _print_outputs(result: StackResult, fmt: str = "table") -> None:
    """One stack's outputs on stdout (json: printed once, at the end, by `_print_outputs_json`)."""
    if not result.outputs or fmt == "json":
        return
    from .. import console

    if fmt == "plain":  # stack <TAB> output <TAB> value: whole values, one per line, for cut/awk/grep
        console.write_stdout("".join(f"{result.name}\t{key}\t{value}\n" for key, value in sorted(result.outputs.items())))
        return
    from rich.table import Table

    table = Table(title=f"{result.name} outputs", title_justify="left")
    table.add_column("output")
    table.add_column("value", overflow="fold")
    for key, value in sorted(result.outputs.items()):
        table.add_row(key, value)
    console.out().print(table)


def _print_outputs_json(results: list[StackResult]) -> None:
    """{stack: {output: value}} of every stack deployed or unchanged, as one JSON document on stdout."""
    from .. import console

    document = {r.name: dict(sorted(r.outputs.items())) for r in results if r.action != "planned"}
    console.write_stdout(json.dumps(document, indent=2) + "\n")


def _print_summary(results: list[StackResult], plan: bool) -> None:
    from rich.table import Table

    ui = _ui()
    table = Table(title="Plan" if plan else "Provision", title_justify="left")
    for col in ("stack", "result", "status", "changes"):
        table.add_column(col)
    for r in results:
        ch = r.changes
        changes = (f"+{ch.get('Add', 0)} ~{ch.get('Modify', 0)} -{ch.get('Remove', 0)}"
                   + (f" ({ch['Replace']} replaced)" if ch.get("Replace") else "")) if ch else ""
        style = {"failed": "bold red", "unchanged": "dim", "planned": "cyan"}.get(r.action, "green")
        table.add_row(r.name, f"[{style}]{r.action}[/]", r.status, changes)
    ui.err().print(table)


def _projects_step(session, cfg, plan: bool) -> bool:
    from .projects import enable_projects, studio_execution_roles

    ui = _ui()
    roles = studio_execution_roles(session, cfg.name)
    if not roles:
        if plan:
            ui.announce("SageMaker projects: would enable them and associate the Studio execution role "
                        "(created by the stacks) with SageMaker's portfolio")
            return True
        ui.error("SageMaker projects: the environment publishes no Studio execution role "
                 f"(/secure-mlops/{cfg.name}/sagemaker-execution-role-arn); projects were not enabled")
        return False
    state = enable_projects(session, roles, plan=plan)
    if not state.actions:
        ui.announce(f"SageMaker projects: no change (enabled; {', '.join(roles)} associated with "
                    f"portfolio {state.portfolio_id})")
    for action in state.actions:
        ui.announce(f"SageMaker projects: {'would ' if plan else ''}{action}")
    return True


def _verify(session, specs: list[Any], results: list[StackResult], cfg, target) -> bool:
    """Read every deployed resource back through its own API and compare it with the template."""
    from .verify import verify_stacks

    mismatches = verify_stacks(session, [spec.name for spec in specs])
    if mismatches:
        _ui().error(f"read-back verification: {len(mismatches)} difference(s) between the templates and "
                    "what is deployed (listed above)")
        _ui().err().print(drift_advice(mismatches, all(r.action == "unchanged" for r in results), cfg, target),
                          soft_wrap=True, markup=False)
        return False
    return True


def _target_flags(target) -> str:
    """The options that make another secure-mlops command act where this one did."""
    if getattr(target, "kind", "") == "emulator":
        return " --local"
    flags = f" --profile {target.profile}" if getattr(target, "profile", None) else ""
    return flags + (f" --region {target.region}" if getattr(target, "region", None) else "")


def drift_advice(mismatches: list[Any], unchanged: bool, cfg, target) -> str:
    """What to do about read-back differences: what `remediate` repairs, and what it does not."""
    from ..controls import load_catalog

    types = {m.resource_type for m in mismatches}
    repairable = [c for c in load_catalog().with_mode("responsive") if set(c.resources) & types]
    deleted = sorted({f"{m.stack}/{m.logical_id}" for m in mismatches
                      if m.property == "(resource)" and m.reason == "missing"})
    config = f" -c {cfg.path}" if getattr(cfg, "path", None) else ""
    lines = [
        ("Every stack is deployed as configured (no change), so these differences were made outside "
         "CloudFormation (drift); deploying the same templates again does not undo them. What to do:")
        if unchanged else
        ("A difference made outside CloudFormation (drift) is not undone by deploying again. What to do:"),
    ]
    if repairable:
        ids = ",".join(c.id for c in repairable)
        lines.append(f"- `secure-mlops remediate --audit --controls {ids}{_target_flags(target)}` shows what the "
                     "responsive controls for these resources would repair (dry run; add --apply to do it): "
                     + "; ".join(f"{c.id} {c.responsive}" for c in repairable) + ".")
    lines.append("- a property no control repairs: set it back to the declared value shown above (console or AWS CLI)"
                 + ("." if not deleted else
                    f"; a resource deleted outside CloudFormation ({', '.join(deleted)}) is not re-created by "
                    "provision: re-create it with `secure-mlops destroy` (it keeps data) and provision again."))
    lines.append(f"- then check: `secure-mlops verify{config}{_target_flags(target)}`.")
    return "\n".join(lines)


def provision_environment(cfg, target, plan: bool = False, gate_override: str | None = None,
                          outputs_format: str | None = None) -> bool:
    """Gate, deploy (in order) and verify the environment. Returns True when everything succeeded."""
    from .stacks import plan_stacks

    return deploy_specs(list(plan_stacks(cfg)), cfg, target, plan=plan, gate_override=gate_override,
                        projects=True, outputs_format=outputs_format)


def deploy_specs(specs: list[Any], cfg, target, plan: bool = False, gate_override: str | None = None,
                 projects: bool = True, outputs_format: str | None = None) -> bool:
    """Deploy `specs` in order (what provision_environment does once the stacks are planned).

    `projects`: enable SageMaker projects for the Studio execution role the stacks publish;
    `outputs_format`: table, plain or json (default: table on a terminal, plain otherwise).
    """
    import botocore.exceptions

    ui = _ui()
    session = target.session
    fmt = outputs_format_for(outputs_format)
    loaded = {spec.name: templatefile.load(Path(spec.template_path)) for spec in specs}
    static = {spec.name: {k: _cf_value(v) for k, v in (_spec_get(spec, "parameters", None) or {}).items()}
              for spec in specs}
    try:  # decided from the account's state (reads only), before the gate judges the templates
        runtime = {spec.name: _runtime_parameters(session, spec, loaded[spec.name][1]) for spec in specs}
    except (DeployError, botocore.exceptions.ClientError) as exc:
        ui.error(str(exc) if isinstance(exc, DeployError) else f"AWS refused a call: {aws_error_text(exc)}")
        return False

    config_path = Path(cfg.path) if getattr(cfg, "path", None) and Path(cfg.path).is_file() else None
    gate = gate_templates(specs, gate_override, {n: {**static[n], **runtime[n]} for n in static}, config_path)
    if not gate.ok:
        return False

    results: list[StackResult] = []
    outputs: dict[str, dict[str, str]] = {}
    artifact_bucket: str | None = None
    planned_creates = False  # plan: an earlier stack does not exist yet
    ok = True
    current = None
    try:
        for spec in specs:
            current = spec.name
            text, template = loaded[spec.name]
            parameters = dict(static[spec.name])
            if plan and planned_creates and _spec_get(spec, "uploads", None):
                results.append(_plan_without_change_set(
                    spec, template, "it needs files in a bucket that is not deployed yet"))
                continue
            upload_params, bucket = _do_uploads(session, spec, cfg.name, outputs, plan)
            artifact_bucket = bucket or artifact_bucket
            parameters.update(upload_params)
            parameters.update(runtime[spec.name])
            tags = {str(k): _cf_value(v) for k, v in (_spec_get(spec, "tags", None) or {}).items()}
            tags.update(gate.tags.get(spec.name, {}))
            template_arg = _template_arg(session, spec, text, artifact_bucket, cfg.name, plan)
            if template_arg is None:
                result = _plan_without_change_set(
                    spec, template, "its template is too large to pass inline and is not uploaded yet "
                                    "(plan uploads nothing)")
            else:
                result = deploy_stack(session, spec, text, template, parameters, tags, template_arg,
                                      plan=plan, depends_on_planned=planned_creates)
            results.append(result)
            outputs[spec.name] = result.outputs
            if plan and result.action == "planned" and not result.status:
                planned_creates = True
            if result.action == "failed":
                ui.error(result.message)
                ui.err().print(f"Fix the configuration ({cfg.path}) and run provision again, or remove what was "
                               f"created with `secure-mlops destroy -c {cfg.path}`.")
                ok = False
                break
            if not plan:
                _print_outputs(result, fmt)
        current = None
        if ok and projects:
            try:
                ok = _projects_step(session, cfg, plan)
            except (DeployError, botocore.exceptions.ClientError) as exc:
                ui.error(str(exc) if isinstance(exc, DeployError)
                         else f"SageMaker projects: AWS refused a call: {aws_error_text(exc)}")
                ok = False
        if not plan and all(r.action != "failed" for r in results) and len(results) == len(specs):
            ok = _verify(session, specs, results, cfg, target) and ok  # the stacks are read back even if projects failed
    except KeyboardInterrupt:
        ui.warn(f"interrupted: CloudFormation goes on with any stack operation already started"
                f"{f' ({current})' if current else ''}; follow it in the CloudFormation console and run "
                "provision again when it has finished")
        raise
    except (DeployError, botocore.exceptions.ClientError) as exc:
        message = (str(exc) if isinstance(exc, DeployError)
                   else f"AWS refused a call: {aws_error_text(exc)} ({exc.operation_name})")
        ui.error(message)
        if current and not any(r.name == current for r in results):
            results.append(StackResult(current, "failed", message=message))
        ok = False

    _print_summary(results, plan)
    if fmt == "json" and not plan:
        _print_outputs_json(results)
    if gate.tags and not plan:
        ui.warn(f"gate failures were overridden: {gate_override!r} (tags {GATE_OVERRIDE_TAG} on "
                f"{', '.join(sorted(gate.tags))})")
    if plan:
        ui.announce("Plan only: nothing was changed (the change sets were deleted).")
    elif ok and all(r.action == "unchanged" for r in results):
        ui.announce("No change: the environment is deployed as configured.")
    return ok


def destroy_environment(cfg, target) -> bool:
    """Delete the environment's stacks in reverse order; list what was kept and how to remove it."""
    from .destroy import destroy_specs
    from .stacks import plan_stacks

    return destroy_specs(list(plan_stacks(cfg)), cfg, target)
