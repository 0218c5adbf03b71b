"""Command line: thin click commands over plain functions.

Heavy imports (boto3, c7n, moto, jinja2) happen inside the commands that need them, so
``--help`` and ``gate`` start fast. Exit codes: 0 success / nothing failed at or above
``--fail-on``; 1 findings failed (or a deployment failed); 2 usage, input or credential error.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from . import __version__

SEVERITY_CHOICE = click.Choice(["info", "low", "medium", "high", "critical"], case_sensitive=False)
DEFAULT_CONFIG = "secure-mlops.yaml"


class Exit2(click.ClickException):
    """A usage/input/credential error: one message, exit code 2."""

    exit_code = 2

    def show(self, file=None) -> None:  # noqa: ARG002 - click API
        from . import console

        console.error(self.format_message())


def handle_user_errors(fn):
    """Turn the project's input errors into one clear message and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from .errors import UserError
        from .findings import FindingsFileError
        from .target import TargetError

        try:
            return fn(*args, **kwargs)
        except (UserError, TargetError, FindingsFileError) as exc:
            raise Exit2(str(exc)) from None
        except Exception as exc:  # emulator start failures are input/environment errors too
            from .provision.emulator.server import EmulatorError

            if isinstance(exc, EmulatorError):
                raise Exit2(str(exc)) from None
            raise

    return wrapper


REGION_HELP = "AWS region (default: AWS_REGION / AWS_DEFAULT_REGION, or the profile's)."
CONFIG_REGION_HELP = ("AWS region; may only repeat the configuration's `region`, which is the default "
                      "(AWS_REGION / AWS_DEFAULT_REGION do not apply).")


def target_options(fn=None, *, region_help: str = REGION_HELP, needs_aws=None):
    """--local / --region / --profile: where a command acts (see README "Targets").

    Checked before the command runs, so before anything builds an AWS client (Cloud Custodian
    does at import): an explicit --region must be a region botocore knows; with --local nothing of
    the user's AWS configuration is read (AWS_PROFILE is ignored; --profile with --local is refused);
    otherwise a named profile must exist. `needs_aws(kwargs)` says whether this invocation acts on
    AWS at all (e.g. `report` only with --to-security-hub); when it does not, the profile is not checked.
    """
    def decorate(fn):
        @functools.wraps(fn)
        def checked(*args, **kwargs):
            _check_target_options(kwargs, needs_aws)
            return fn(*args, **kwargs)

        checked = click.option("--profile", envvar="AWS_PROFILE", default=None, show_envvar=True,
                               help="AWS profile to use.")(checked)
        checked = click.option("--region", default=None, help=region_help)(checked)
        checked = click.option("--local", is_flag=True,
                               help="Act on the embedded emulator (started if needed) instead of AWS; "
                                    "nothing of your AWS configuration is read.")(checked)
        return checked

    return decorate(fn) if fn is not None else decorate


def _check_target_options(kwargs: dict, needs_aws) -> None:
    from click.core import ParameterSource

    from .errors import UserError
    from .target import TargetError, check_profile, check_region, use_emulator_environment

    ctx = click.get_current_context()
    try:
        if kwargs.get("region"):
            check_region(kwargs["region"])
        if kwargs.get("local"):
            if kwargs.get("profile") and ctx.get_parameter_source("profile") is ParameterSource.COMMANDLINE:
                raise UserError(f"--local acts on the embedded emulator and --profile {kwargs['profile']} on AWS",
                                fix="give one of them")
            kwargs["profile"] = None  # AWS_PROFILE does not apply to the emulator
            use_emulator_environment()
        elif needs_aws is None or needs_aws(kwargs):
            check_profile(kwargs.get("profile"))
    except (UserError, TargetError) as exc:
        raise Exit2(str(exc)) from None


def output_option(help: str):
    """-o/--output FILE, checked before any work: an unwritable path is a usage error (exit 2),
    not a traceback after a long run."""
    def check(ctx, param, value):
        from .console import check_writable
        from .errors import UserError

        try:
            return check_writable(value, "-o")
        except UserError as exc:
            raise Exit2(str(exc)) from None

    return click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
                        callback=check, help=help)


def _control_ids(ctx, param, value):
    """--controls "" (or only commas) names nothing: an error, not "every control"."""
    if value is not None and not value.replace(",", "").strip():
        raise Exit2(f"--controls {value!r} names no control; give ids such as S3-01,KMS-01 (see "
                    "`secure-mlops controls list`), or leave --controls out for every control")
    return value


def config_option():
    return click.option(
        "-c", "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
        default=DEFAULT_CONFIG, show_default=True,
        help="Environment configuration file (create one with `secure-mlops init`).",
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="secure-mlops")
def main() -> None:
    """Build a secure Amazon SageMaker environment and keep it secure.

    \b
    The main flow:
      secure-mlops init                 write an example configuration (secure-mlops.yaml)
      secure-mlops provision            gate, deploy and verify the environment
      secure-mlops audit -o audit.json  evaluate the detective controls on live resources
      secure-mlops report audit.json    answer the thirteen security questions

    Without AWS credentials, or with --local, commands act on the embedded AWS emulator
    (a moto server on 127.0.0.1). `secure-mlops demo` runs the whole flow there.
    """


# ------------------------------------------------------------------------------ configuration
@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_CONFIG)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@handle_user_errors
def init(path: Path, force: bool) -> None:
    """Write a commented example configuration to PATH (default: secure-mlops.yaml).

    Edit it, check it with `secure-mlops validate`, then run `secure-mlops provision`.
    """
    from .provision.config import example_config

    if path.exists() and not force:
        raise Exit2(f"{path} exists; pass --force to overwrite it")
    try:
        path.write_text(example_config())
    except OSError as exc:
        raise Exit2(f"{path}: cannot be written ({exc.strerror}); choose a path in an existing, writable directory") from None
    from . import console

    console.announce(f"Wrote {path}. Next: `secure-mlops validate -c {path}`, then `secure-mlops provision -c {path}`.")


@main.command()
@config_option()
@handle_user_errors
def validate(config_path: Path) -> None:
    """Check a configuration file (schema and semantic checks) without touching AWS.

    Every error names the file, the field and the fix; exit code 2 when there is one.

    \b
    Example:
      secure-mlops validate -c team-a.yaml
    """
    from . import console
    from .provision.config import load_config

    from .provision.stacks import plan_stacks

    cfg = load_config(config_path)
    console.announce(f"{config_path}: valid (environment {cfg.name!r}, team {cfg.team!r}, stage {cfg.stage!r}, "
                     f"region {cfg.region}).")
    for spec in plan_stacks(cfg):
        console.announce(f"  {spec.name}: {spec.template_path.name} - {spec.description}")


# ------------------------------------------------------------------------------ provisioning
@main.command()
@config_option()
@target_options(region_help=CONFIG_REGION_HELP)
@click.option("--plan", is_flag=True, help="Show the change sets without executing them.")
@click.option("--allow-gate-failures", "gate_override", metavar="REASON", default=None,
              help="Deploy even if the template gate finds failures; REASON is printed and recorded.")
@click.option("--outputs-format", type=click.Choice(["table", "plain", "json"]), default=None,
              help="How stack outputs are printed on stdout: table; plain (one 'stack<TAB>output<TAB>value' "
                   "line each); json (one document at the end). Default: table on a terminal, else plain.")
@handle_user_errors
def provision(config_path: Path, local: bool, region: str | None, profile: str | None, plan: bool,
              gate_override: str | None, outputs_format: str | None) -> None:
    """Gate, deploy (artifacts, core, env) and verify the environment described by the configuration.

    \b
    1. Gate: every template about to be deployed is checked against the preventive
       controls, with the parameter values it will receive. A failure stops here unless
       --allow-gate-failures REASON is given; the reason is printed and recorded as the
       tag secure-mlops:gate-override on the stacks concerned.
    2. Deploy: each stack is created or updated through a change set, in order; stack
       events are shown as they arrive; a failure names the resource and CloudFormation's
       reason. A second run with the same configuration changes nothing and says so.
       With --plan the change sets are shown and deleted; nothing changes.
    3. SageMaker projects are enabled for the Studio execution role (idempotent calls).
    4. Every resource is read back and compared with its template (as `secure-mlops verify`).
    Exit codes: 0 deployed or nothing to change, 1 the gate, a stack or the verification
    failed, 2 bad configuration (checked before any AWS call), template or credentials.

    \b
    Examples:
      secure-mlops provision -c team-a.yaml --plan     show the change sets; change nothing
      secure-mlops provision -c team-a.yaml            deploy or update, then verify
      secure-mlops provision -c team-a.yaml --local    the same on the embedded emulator
      secure-mlops provision -c team-a.yaml --outputs-format json > outputs.json
    """
    from .provision.config import load_config
    from .provision.deployer import provision_environment
    from .provision.gating import tag_value
    from .target import check_config_region, resolve_and_print

    if gate_override is not None and not tag_value(gate_override):  # nothing left to record
        raise Exit2("--allow-gate-failures needs a reason, e.g. --allow-gate-failures \"TICKET-123: accepted by "
                    "the security team until the fix ships\"; it is printed and recorded on the stacks")
    cfg = load_config(config_path)
    target = resolve_and_print(local, check_config_region(cfg, region), profile)
    ok = provision_environment(cfg, target, plan=plan, gate_override=gate_override, outputs_format=outputs_format)
    sys.exit(0 if ok else 1)


@main.command()
@config_option()
@target_options(region_help=CONFIG_REGION_HELP)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@handle_user_errors
def destroy(config_path: Path, local: bool, region: str | None, profile: str | None, yes: bool) -> None:
    """Remove the environment's stacks in reverse order (env, core, artifacts).

    Nothing is deleted while SageMaker projects launched from the environment's templates,
    or notebook instances and endpoints in its network, still exist: they are named, with
    the commands that remove them. Data is never deleted: buckets that still hold objects,
    model package groups with model versions, KMS keys, Studio's EFS home directories and
    roles with a Retain policy are kept and listed, with the commands that remove them.
    Also cleans up after a failed provision.
    Exit codes: 0 removed (with what was kept listed), 1 something still uses the
    environment, or a resource could not be deleted (each named, with what holds it and
    what to do), 2 bad configuration or credentials.

    \b
    Examples:
      secure-mlops destroy -c team-a.yaml       asks for confirmation first
      secure-mlops destroy -c team-a.yaml -y    no question (scripts, CI)
    """
    from .provision.config import load_config
    from .provision.deployer import destroy_environment
    from .target import check_config_region, resolve_and_print

    cfg = load_config(config_path)
    target = resolve_and_print(local, check_config_region(cfg, region), profile)
    if not yes:
        click.confirm(f"Delete the stacks of environment {cfg.name!r} in {target.describe()}?", abort=True, err=True)
    ok = destroy_environment(cfg, target)
    sys.exit(0 if ok else 1)


@main.command()
@config_option()
@target_options(region_help="AWS region; with a configuration it may only repeat the configuration's `region` "
                            "(the default); with --stack alone: AWS_REGION / AWS_DEFAULT_REGION or the profile's.")
@click.option("--stack", "stacks", multiple=True, metavar="NAME",
              help="Verify this stack instead of the environment's (repeatable; e.g. a project's stack). "
                   "The configuration is read only when -c is given (for its region).")
@handle_user_errors
def verify(config_path: Path, local: bool, region: str | None, profile: str | None, stacks: tuple[str, ...]) -> None:
    """Read every deployed resource back and compare it with the templates.

    \b
    Each resource of each stack is read through its own service's API (not through
    CloudFormation) and its security-relevant properties are compared with the template as
    deployed. Changes nothing. Fails (exit 1) naming the stack, logical id, property,
    declared and actual values of every difference, missing resource, blank physical id or
    anything that could not be verified.

    \b
    Examples:
      secure-mlops verify -c team-a.yaml                      the environment's three stacks
      secure-mlops verify --stack sagemaker-abalone-p-1a2b    any stack (e.g. a project's)
      secure-mlops verify --stack NAME -c team-a.yaml         a stack in the configuration's region
    """
    from click.core import ParameterSource

    from .provision.config import load_config
    from .provision.verify import verify_environment, verify_stacks
    from .target import check_config_region, resolve_and_print

    if stacks:
        if click.get_current_context().get_parameter_source("config_path") is ParameterSource.COMMANDLINE:
            region = check_config_region(load_config(config_path), region)
        target = resolve_and_print(local, region, profile)
        sys.exit(0 if not verify_stacks(target.session, list(stacks)) else 1)

    cfg = load_config(config_path)
    target = resolve_and_print(local, check_config_region(cfg, region), profile)
    ok = verify_environment(cfg, target)
    sys.exit(0 if ok else 1)


# ------------------------------------------------------------------------------ the emulator
@main.group()
def local() -> None:
    """Manage the embedded AWS emulator (a moto server on 127.0.0.1 with this tool's extensions).

    \b
    Point any AWS tool at it:  eval "$(secure-mlops local env)"
    State lives as long as the server runs.
    """


@local.command("up")
@click.option("--port", type=int, default=None, help="Port to listen on (default: a free one).")
@handle_user_errors
def local_up(port: int | None) -> None:
    """Start the emulator (or report the running one) and print its endpoint."""
    from .provision.emulator import server

    emu, started = server.start(port=port)
    click.echo(emu.endpoint)
    from . import console

    console.announce(("Started" if started else "Already running:") +
                     f" embedded emulator (moto {emu.moto_version}, pid {emu.pid}) at {emu.endpoint}")


@local.command("status")
def local_status() -> None:
    """Say whether the emulator runs, and where. Exit 1 when it does not run."""
    from .provision.emulator import server

    emu = server.current()
    if emu is None:
        click.echo("not running (start it with `secure-mlops local up`)")
        sys.exit(1)
    click.echo(f"running at {emu.endpoint} (moto {emu.moto_version}, pid {emu.pid}, log {emu.log_file})")


@local.command("env")
@click.option("--region", default=None, help="Region to export (default: us-east-1).")
@handle_user_errors
def local_env(region: str | None) -> None:
    """Print `export` lines that point AWS tools at the emulator (starts it if needed).

    Use: eval "$(secure-mlops local env)"
    """
    from .provision.emulator import server
    from .target import check_region

    if region:
        check_region(region)
    emu, _ = server.start()
    for key, value in emu.env(region).items():
        click.echo(f"export {key}={value}")


@local.command("reset")
@handle_user_errors
def local_reset() -> None:
    """Clear all state of the running emulator."""
    from .provision.emulator import server

    emu = server.current()
    if emu is None:
        raise Exit2("the emulator is not running; start it with `secure-mlops local up`")
    emu.reset()
    click.echo(f"reset {emu.endpoint}")


@local.command("down")
def local_down() -> None:
    """Stop the emulator (its state is lost)."""
    from .provision.emulator import server

    emu = server.stop()
    click.echo(f"stopped {emu.endpoint}" if emu else "not running")


# ------------------------------------------------------------------------------ controls
@main.group()
def controls() -> None:
    """Browse the control catalogue (preventive, detective and responsive controls)."""


@controls.command("list")
@click.option("--mode", type=click.Choice(["preventive", "detective", "responsive"]), default=None,
              help="Only controls enforced this way.")
@click.option("--question", default=None, metavar="ID", help="Only controls answering this question (e.g. NET-2).")
@click.option("--severity", type=SEVERITY_CHOICE, default=None, help="Only controls at or above this severity.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@handle_user_errors
def controls_list(mode, question, severity, fmt) -> None:
    """List controls, optionally filtered by mode, question and minimum severity."""
    import json

    from . import console
    from .controls import load_catalog

    catalog = load_catalog()
    question = question.upper() if question else question  # as `controls show` accepts sm-nb-01
    if question and question not in catalog.questions:
        raise Exit2(f"unknown question id {question!r}; known: {', '.join(catalog.questions)}")
    selected = catalog.filter(mode=mode, question=question, severity=severity)
    if fmt == "json":
        console.write_stdout(json.dumps([c.to_dict() for c in selected], indent=2) + "\n")
        return
    from rich.table import Table

    table = Table(title=f"{len(selected)} controls", show_lines=False)
    for col in ("id", "severity", "modes", "questions", "title"):
        table.add_column(col)
    for c in selected:
        table.add_row(c.id, c.severity, ",".join(m[0].upper() for m in c.modes), ",".join(c.questions), c.title)
    console.out().print(table)
    console.err().print("modes: P preventive, D detective, R responsive")


@controls.command("show")
@click.argument("control_id")
@handle_user_errors
def controls_show(control_id: str) -> None:
    """Show one control: what it requires, how it is enforced, how to fix a failure."""
    import yaml

    from .controls import load_catalog

    catalog = load_catalog()
    try:
        control = catalog.get(control_id.upper())
    except KeyError as exc:
        raise Exit2(str(exc.args[0])) from None
    data = control.to_dict()
    data["implementations"] = {
        "guard_rule": str(control.guard_rule_path.relative_to(control.guard_rule_path.parents[2]))
        if control.guard_rule_path.exists() else None,
        "custodian_policy": str(control.policy_path.name) if control.policy_path.exists() else None,
    }
    click.echo(yaml.safe_dump(data, sort_keys=False, width=100).rstrip())


# ------------------------------------------------------------------------------ gate
@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "sarif", "junit"]), default="table",
              show_default=True, help="Output format.")
@output_option(help="Write the report to this file instead of stdout.")
@click.option("--fail-on", type=SEVERITY_CHOICE, default="low", show_default=True,
              help="Exit 1 when a finding at or above this severity fails.")
@click.option("--show-passed", is_flag=True, help="Table and SARIF formats: list passing checks too.")
@click.option("-p", "--parameter", "parameter_values", multiple=True, metavar="NAME=VALUE",
              help="A template parameter value, as CloudFormation would receive it (repeatable; applies to "
                   "every template that declares NAME). Unset parameters use their Default.")
@click.option("-c", "--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Environment configuration: tells the gate the stage, whether the environment "
                                 "is internet-free and its target accounts (see docs/gate.md, \"Context\").")
@click.option("--print-resolved", is_flag=True,
              help="Print what the rules see (each template with intrinsics resolved and related resources "
                   "joined, as JSON) instead of gating; useful to write or debug rules.")
@click.option("--skip-other-files", is_flag=True,
              help="Skip named files that are not templates or pipeline definitions (for pre-commit hooks), "
                   "instead of reporting them as errors.")
@handle_user_errors
def gate(paths, fmt, output, fail_on, show_passed, parameter_values, config_path, print_resolved,
         skip_other_files) -> None:
    """Refuse insecure CloudFormation templates before they deploy.

    \b
    PATHS are template files or directories (YAML and JSON, searched recursively). Every
    preventive control has a cfn-guard rule; all templates are checked in one cfn-guard run.
    Suppress a control on one resource with a mandatory reason:
      Metadata:
        secure-mlops:
          suppress:
            - id: SM-NB-01
              reason: internet access is required for this demo notebook
    A value the gate cannot know before deployment (a parameter without a default, a
    condition that depends on one) fails as "cannot be verified"; pass it with -p NAME=VALUE.
    Exit codes: 0 nothing failed at or above --fail-on, 1 findings failed (or could not be
    evaluated), 2 usage or input error.

    \b
    Examples:
      secure-mlops gate templates/                            every template under a folder
      secure-mlops gate env.yaml -c team-a.yaml -p Stage=prod  with the environment's context
      secure-mlops gate templates/ --format sarif -o gate.sarif   for code scanning in CI
    """
    from . import console
    from .guardrails.gate import run_gate
    from .reports import render_gate

    values = {}
    for item in parameter_values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise Exit2(f"--parameter {item!r}: expected NAME=VALUE (for example -p Stage=prod)")
        values[name.strip()] = value
    if print_resolved:
        import json

        from .guardrails.gate import resolved_forms

        forms = resolved_forms(list(paths), parameters={"*": values} if values else None, config=config_path)
        console.write_output(json.dumps(forms, indent=2) + "\n", output)
        return
    result = run_gate(list(paths), parameters={"*": values} if values else None, config=config_path,
                      skip_other_files=skip_other_files)
    if fmt == "table" and output is None:
        from .reports.gate_output import print_table

        print_table(result, console.out(), show_passed=show_passed)
    else:
        console.write_output(render_gate(result, fmt, show_passed=show_passed), output)
    sys.exit(result.exit_code(fail_on))


# ------------------------------------------------------------------------------ audit and report
@main.command()
@click.option("-c", "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Environment configuration (gives the audit the environment's context; "
                   "otherwise it is read from the environment's SSM parameters).")
@target_options(region_help="AWS region (default: the configuration's `region` with -c, else AWS_REGION / "
                            "AWS_DEFAULT_REGION, or the profile's).")
@click.option("--accounts", "accounts_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="c7n-org accounts file: audit many accounts and regions in parallel.")
@click.option("--controls", "control_ids", default=None, metavar="ID,...", callback=_control_ids,
              help="Only these controls (default: every detective control).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="table: a summary per control, then every FAIL and ERROR; json: the findings document on stdout.")
@output_option(help="Write the findings document (JSON) to this file; the table still goes to the terminal.")
@click.option("--fail-on", type=SEVERITY_CHOICE, default="low", show_default=True,
              help="Exit 1 when a finding at or above this severity fails or could not be evaluated.")
@click.option("--stats", is_flag=True, help="Print API calls per service and operation, and time per policy.")
@handle_user_errors
def audit(config_path, local, region, profile, accounts_file, control_ids, fmt, output, fail_on, stats) -> None:
    """Evaluate every detective control against live resources. Changes nothing.

    \b
    Every evaluated resource yields PASS or FAIL for each control that applies to it; a
    control that could not be evaluated (access denied, an API the target lacks) yields
    ERROR and the audit goes on; a control that found no resource it applies to is
    listed as "evaluated, no resource to check". Feed the JSON to `secure-mlops report`.
    Exit codes: 0 nothing failed at or above --fail-on, 1 findings failed, 2 usage,
    input or credential error.

    \b
    Examples:
      secure-mlops audit -o audit.json                      every detective control
      secure-mlops audit --controls S3-01,KMS-01 --profile prod --region eu-west-1
      secure-mlops audit --accounts accounts.yml -o estate.json   many accounts and regions
    """
    from .audit import run_audit_command

    sys.exit(run_audit_command(config_path=config_path, local=local, region=region, profile=profile,
                               accounts_file=accounts_file, control_ids=control_ids, fmt=fmt,
                               output=output, fail_on=fail_on, stats=stats))


@main.group()
def schedule() -> None:
    """Run the detective controls on a schedule, in AWS Lambda (see docs/schedule.md).

    \b
    The function audits the account and region it runs in (as `audit` without -c), writes
    each findings document to the environment's log bucket (SSE-KMS) and can import the
    FAIL and ERROR findings into Security Hub.
    """


@schedule.command("deploy")
@config_option()
@target_options(region_help=CONFIG_REGION_HELP)
@click.option("--rate", default="rate(1 day)", show_default=True,
              help='EventBridge schedule: "rate(N minutes|hours|days)" or "cron(...)".')
@click.option("--findings-bucket", default=None, metavar="NAME",
              help="Write findings here (default encryption must be SSE-KMS) instead of the environment's log bucket.")
@click.option("--to-security-hub", is_flag=True, help="Also import FAIL and ERROR findings into Security Hub.")
@click.option("--plan", "plan_only", is_flag=True, help="Show what would be created or updated; change nothing.")
@handle_user_errors
def schedule_deploy(config_path, local, region, profile, rate, findings_bucket, to_security_hub, plan_only) -> None:
    """Package the audit (with Cloud Custodian) and create or update the function, schedule and permission.

    Idempotent: a second deploy with the same inputs changes nothing and says so.
    Exit codes: 0 deployed (or nothing to change), 1 a change failed, 2 bad input or the
    environment is not provisioned.

    \b
    Examples:
      secure-mlops schedule deploy -c team-a.yaml --plan      show what would change
      secure-mlops schedule deploy -c team-a.yaml --rate "rate(6 hours)" --to-security-hub
    """
    from .audit.schedule_command import deploy_command

    sys.exit(deploy_command(config_path, local, region, profile, rate, findings_bucket, to_security_hub, plan_only))


@schedule.command("status")
@config_option()
@target_options(region_help=CONFIG_REGION_HELP)
@output_option(help="Write the last findings document to this file (for `secure-mlops report`).")
@handle_user_errors
def schedule_status(config_path, local, region, profile, output) -> None:
    """Show the function, the schedule and the last findings. Exit 1 when not deployed and wired."""
    from .audit.schedule_command import status_command

    sys.exit(status_command(config_path, local, region, profile, output))


@schedule.command("remove")
@config_option()
@target_options(region_help=CONFIG_REGION_HELP)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@handle_user_errors
def schedule_remove(config_path, local, region, profile, yes) -> None:
    """Remove the function, the schedule and the permission. Findings and logs are kept."""
    from .audit.schedule_command import remove_command

    sys.exit(remove_command(config_path, local, region, profile, yes))


@main.command()
@click.argument("findings_files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--audit", "run_audit_first", is_flag=True,
              help="Audit the responsive controls in the target first, instead of reading FINDINGS files.")
@click.option("--apply", is_flag=True, help="Do it. Without --apply nothing is changed (dry run).")
@click.option("--controls", "control_ids", default=None, metavar="ID,...", callback=_control_ids,
              help="Only these responsive controls (default: every responsive control).")
@click.option("--environment", default=None, metavar="NAME",
              help="Environment whose published values (S3 key, log bucket, flow log destination) to apply to "
                   "a resource no environment owns (without it such a resource is skipped), or to one that "
                   "several environments claim.")
@click.option("--notify", "notify_topic", default=None, metavar="TOPIC_ARN",
              help="Publish each contained finding to this SNS topic (controls that tag and notify).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@output_option(help="Write the remediate findings document (JSON, before/after evidence) to this file.")
@click.option("--print-policy", is_flag=True,
              help="Print the least-privilege IAM policy --apply needs (from the remediation modules) and exit.")
@target_options(needs_aws=lambda kw: not kw.get("print_policy"))
@handle_user_errors
def remediate(findings_files, run_audit_first, apply, control_ids, environment, notify_topic, fmt, output,
              print_policy, local, region, profile) -> None:
    """Repair or contain live resources that fail a responsive control. Dry run unless --apply.

    \b
    FINDINGS are documents written by `secure-mlops audit --format json -o FILE`; or --audit
    audits the target first. For each FAIL finding of a responsive control it shows exactly
    what it would do (each API call and its parameters); --apply does it, then reads the
    resource again and re-runs the audit of that control. Data is never deleted (buckets,
    objects, keys, file systems, volumes, models, endpoints). Settings that cannot change
    in place are contained (stopped, tagged, notified), not fixed, and reported as FAIL.
    Exit codes: 0 nothing to do, or everything applied and now compliant; 1 something is
    planned (dry run), failed, or remains non-compliant; 2 usage, input or credential error.

    \b
    Examples:
      secure-mlops remediate audit.json                       dry run: what would be done
      secure-mlops remediate audit.json --apply -o rem.json   do it, keep the evidence
      secure-mlops remediate --audit --controls S3-01         audit the target first
    """
    from .remediations import run_remediate_command

    sys.exit(run_remediate_command(findings_files=list(findings_files), run_audit_first=run_audit_first,
                                   apply=apply, control_ids=control_ids, environment=environment,
                                   notify_topic=notify_topic, fmt=fmt, output=output, print_policy=print_policy,
                                   local=local, region=region, profile=profile))


@main.command()
@click.argument("findings_files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["terminal", "html", "json", "sarif", "asff"]),
              default="terminal", show_default=True,
              help="terminal: a summary; html: one self-contained file; json: merged findings and answers; "
                   "sarif: code scanning; asff: AWS Security Finding Format (live findings only).")
@output_option(help="Write the report to this file instead of stdout.")
@click.option("--fail-on", type=SEVERITY_CHOICE, default="low", show_default=True,
              help="Exit 1 when a finding at or above this severity fails or could not be evaluated.")
@click.option("--to-security-hub", is_flag=True,
              help="Also import the live findings into AWS Security Hub (BatchImportFindings, 100 per "
                   "request) in the target account and region; template findings are not imported.")
@target_options(needs_aws=lambda kw: kw.get("to_security_hub"))
@handle_user_errors
def report(findings_files, fmt, output, fail_on, to_security_hub, local, region, profile) -> None:
    """Answer the thirteen security questions from gate and audit findings, with evidence.

    \b
    FINDINGS_FILES are JSON documents written by `gate --format json` (templates) and
    `audit -o FILE` (live resources); give several to combine templates, accounts and regions.
    (A `remediate` document is refused: audit again after remediating.)
    A question is satisfied only when every control that answers it was evaluated and
    passed on the templates and on the live resources given; a source with no resource the
    control applies to (notebooks, jobs, models are never in templates) counts neither for
    nor against it. A question with a failing control is not satisfied; one with a control
    in ERROR or not evaluated (not run, or no resource on any source) is "not fully
    answered", never satisfied.
    \b
    Formats: terminal (summary), html (one self-contained file), json (merged findings and
    answers), sarif (code scanning), asff (AWS Security Finding Format, live findings only).
    --to-security-hub imports the live findings into Security Hub in the target account
    (checked first: Security Hub must be enabled there, else exit 2 and nothing is written).
    Exit codes: 0 nothing failed at or above --fail-on, 1 findings failed (or a finding could
    not be imported), 2 unreadable or invalid findings file, usage or credential error,
    Security Hub not enabled.

    \b
    Examples:
      secure-mlops report audit.json                                 summary in the terminal
      secure-mlops report gate.json audit.json --format html -o report.html
      secure-mlops report audit.json --to-security-hub -o /dev/null  import into Security Hub
    """
    from .reports import run_report_command

    sys.exit(run_report_command(findings_files=list(findings_files), fmt=fmt, output=output, fail_on=fail_on,
                                to_security_hub=to_security_hub, local=local, region=region, profile=profile))


# ------------------------------------------------------------------------------ demo
@main.command()
@click.option("-c", "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Configuration to use (default: the example configuration).")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("secure-mlops-demo"),
              show_default=True, help="Where to write findings and reports.")
@handle_user_errors
def demo(config_path, out_dir) -> None:
    """Run the whole flow on the embedded emulator: provision, verify, audit, report.

    Nothing of your AWS configuration is read (profiles, credentials, AWS_* variables).

    \b
    Examples:
      secure-mlops demo                                  example configuration, ./secure-mlops-demo
      secure-mlops demo -c team-a.yaml --out-dir /tmp/d  your configuration, another folder
    """
    from .console import check_writable
    from .demo import run_demo
    from .target import use_emulator_environment

    check_writable(out_dir, "--out-dir", directory=True)
    use_emulator_environment()

    sys.exit(run_demo(config_path=config_path, out_dir=out_dir))


if __name__ == "__main__":  # pragma: no cover
    main()
