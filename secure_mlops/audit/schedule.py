"""``secure-mlops schedule deploy|status|remove``: the detective controls on a schedule, in AWS Lambda.

``deploy`` packages the audit (``lambda_archive``) and creates or updates, idempotently, in the
environment's account and region:

1. the function's log group ``/aws/lambda/<env>-scheduled-audit``, encrypted with the
   environment's log key (``alias/<env>-flow-logs``, whose policy lets CloudWatch Logs use it
   for the account's log groups) and kept for the configuration's ``flow_log_retention_days``,
   so the function's own logs satisfy LOG-03 (Lambda would otherwise create it unencrypted,
   kept forever);
2. the function ``<env>-scheduled-audit`` (``lambda_handler.handler``), running as the
   detective-control role of the ``<env>-core`` stack, told where to write findings by its
   environment variables; a failed run is not retried (the next scheduled one comes);
3. the EventBridge rule ``<env>-scheduled-audit`` (the schedule), its target (the function)
   and the function's permission for ``events.amazonaws.com`` from that rule only.

Each part is read first and compared with what is wanted; only what differs is changed, and a
second deploy with the same inputs changes nothing (the archive is deterministic: same
sha256). ``--plan`` shows the comparison and changes nothing.

Findings go to the environment's **log bucket** (SSM ``/secure-mlops/<env>/log-bucket``), or
the bucket given, under ``secure-mlops/findings/<account>/<region>/``, encrypted with the
bucket's default KMS key (a bucket without SSE-KMS is refused). ``remove`` deletes the
function, the rule (with its target) and the permission, and never the findings or the logs.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ..envcontext import parameter_name
from ..errors import UserError
from .lambda_handler import BUCKET, DEFAULT_PREFIX, PREFIX, Settings, findings_prefix

TIMEOUT_SECONDS = 900
MEMORY_MB = 1024
TARGET_ID = "secure-mlops-scheduled-audit"
STATEMENT_ID = "secure-mlops-schedule"
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$")
_BUCKET = re.compile(r"^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")

#: calls the handler makes besides the audit's own (which the resource types and rules declare)
HANDLER_ACTIONS = ("ssm:GetParametersByPath", "s3:PutObject", "kms:GenerateDataKey",
                   "logs:CreateLogStream", "logs:PutLogEvents")
SECURITY_HUB_ACTIONS = ("securityhub:GetFindings", "securityhub:BatchImportFindings")
#: the only changes the role may be able to make: write findings and its logs
WRITES_ALLOWED = {"s3:putobject", "kms:generatedatakey", "securityhub:batchimportfindings",
                  "logs:createloggroup", "logs:createlogstream", "logs:putlogevents"}
READ_VERBS = ("Describe", "Get", "List", "BatchGet", "Search", "Lookup")


# ------------------------------------------------------------------------------ input
def check_rate(rate: str) -> str:
    """An EventBridge schedule expression: rate(N unit) or cron(6 fields). Raises UserError."""
    rate = rate.strip()
    m = _RATE.match(rate)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        if n >= 1 and (n == 1) == (not unit.endswith("s")):
            return rate
    elif _CRON.match(rate):
        return rate
    raise UserError(f"{rate!r} is not an EventBridge schedule expression", field="--rate",
                    fix='write "rate(1 day)", "rate(12 hours)" (singular unit for 1, plural otherwise) '
                        'or a cron expression such as "cron(0 6 * * ? *)"')


def check_bucket_name(name: str | None) -> str | None:
    if name is not None and not _BUCKET.match(name):
        raise UserError(f"{name!r} is not an S3 bucket name", field="--findings-bucket",
                        fix="give the name of an existing bucket (3-63 lowercase letters, digits, dots, hyphens)")
    return name


# ------------------------------------------------------------------------------ what is wanted
@dataclass(frozen=True)
class Names:
    env: str

    @property
    def function(self) -> str:
        return f"{self.env}-scheduled-audit"

    @property
    def rule(self) -> str:
        return f"{self.env}-scheduled-audit"

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.function}"

    @property
    def core_stack(self) -> str:
        return f"{self.env}-core"


@dataclass
class Wanted:
    names: Names
    account: str
    region: str
    role_arn: str
    settings: Settings
    rate: str
    tags: dict[str, str]
    log_kms_key: str
    log_retention_days: int
    archive: Any = None  # lambda_archive.Archive
    warnings: list[str] = field(default_factory=list)

    @property
    def partition(self) -> str:
        return self.role_arn.split(":")[1] if self.role_arn.startswith("arn:") else "aws"

    @property
    def function_arn(self) -> str:
        return f"arn:{self.partition}:lambda:{self.region}:{self.account}:function:{self.names.function}"

    @property
    def rule_arn(self) -> str:
        return f"arn:{self.partition}:events:{self.region}:{self.account}:rule/{self.names.rule}"

    def function_config(self) -> dict[str, Any]:
        from .lambda_archive import HANDLER

        versions = self.archive.versions if self.archive else {}
        return {"Runtime": self.archive.runtime, "Role": self.role_arn, "Handler": HANDLER,
                "Timeout": TIMEOUT_SECONDS, "MemorySize": MEMORY_MB,
                "Description": (f"secure-mlops {versions.get('secure-mlops', '?')} scheduled audit of "
                                f"{self.names.env} (c7n {versions.get('c7n', '?')})"),
                "Environment": {"Variables": self.settings.to_environ()}}


def resolve_wanted(session, account: str, region: str, cfg, rate: str, findings_bucket: str | None,
                   to_security_hub: bool) -> Wanted:
    """Read what the deployment depends on: the core stack's role, the bucket and its key, the log key."""
    import botocore.exceptions

    names = Names(cfg.name)
    role_arn = _stack_output(session, names.core_stack, "DetectiveControlRoleArn")
    bucket = findings_bucket or _ssm_value(session, parameter_name(cfg.name, "log-bucket"))
    kms_key = _bucket_kms_key(session, bucket)
    try:
        log_key = session.client("kms").describe_key(KeyId=f"alias/{cfg.name}-flow-logs")["KeyMetadata"]["Arn"]
    except botocore.exceptions.ClientError as exc:
        raise UserError(f"the environment's log key alias/{cfg.name}-flow-logs cannot be read ({_code(exc)})",
                        field="schedule deploy", fix=f"provision the environment first: secure-mlops provision "
                                                     f"-c {cfg.path}") from None
    if to_security_hub:
        try:
            session.client("securityhub").describe_hub()
        except botocore.exceptions.ClientError as exc:
            raise UserError(f"Security Hub is not enabled in account {account}, region {region} ({_code(exc)})",
                            field="--to-security-hub",
                            fix=f"enable it (aws securityhub enable-security-hub --region {region}) "
                                "or deploy without --to-security-hub") from None
    settings = Settings(bucket=bucket, kms_key=kms_key, prefix=DEFAULT_PREFIX, to_security_hub=to_security_hub,
                        environment=cfg.name)
    wanted = Wanted(names=names, account=account, region=region, role_arn=role_arn, settings=settings, rate=rate,
                    tags=dict(cfg.tags), log_kms_key=log_key,
                    log_retention_days=int(cfg.network.flow_log_retention_days))
    wanted.warnings = check_role(session, role_arn, to_security_hub)
    return wanted


def _code(exc) -> str:
    err = exc.response.get("Error", {})
    return f"{err.get('Code', '?')}: {err.get('Message', '')}".rstrip(": ")


def _stack_output(session, stack: str, key: str) -> str:
    import botocore.exceptions

    try:
        outputs = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    except botocore.exceptions.ClientError as exc:
        raise UserError(f"stack {stack} cannot be read ({_code(exc)})", field="schedule deploy",
                        fix="provision the environment first: secure-mlops provision -c CONFIG") from None
    for out in outputs:
        if out["OutputKey"] == key and out.get("OutputValue"):
            return out["OutputValue"]
    raise UserError(f"stack {stack} has no output {key}", field="schedule deploy",
                    fix="update the environment: secure-mlops provision -c CONFIG")


def _ssm_value(session, name: str) -> str:
    import botocore.exceptions

    try:
        return session.client("ssm").get_parameter(Name=name)["Parameter"]["Value"]
    except botocore.exceptions.ClientError as exc:
        raise UserError(f"SSM parameter {name} cannot be read ({_code(exc)})", field="schedule deploy",
                        fix="provision the environment first, or name a bucket with --findings-bucket") from None


def _bucket_kms_key(session, bucket: str) -> str:
    """The KMS key the bucket encrypts new objects with by default (SSE-KMS is required)."""
    import botocore.exceptions

    try:
        rules = session.client("s3").get_bucket_encryption(Bucket=bucket)[
            "ServerSideEncryptionConfiguration"]["Rules"]
    except botocore.exceptions.ClientError as exc:
        raise UserError(f"the encryption of bucket {bucket} cannot be read ({_code(exc)})",
                        field="--findings-bucket", fix="give an existing bucket of this account whose default "
                                                       "encryption is SSE-KMS with a customer managed key") from None
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        if default.get("SSEAlgorithm", "").startswith("aws:kms") and default.get("KMSMasterKeyID"):
            return default["KMSMasterKeyID"]
    raise UserError(f"bucket {bucket} does not encrypt with a customer managed KMS key by default (SSE-KMS)",
                    field="--findings-bucket", fix="findings are stored SSE-KMS: give a bucket whose default "
                                                   "encryption is aws:kms with a KMSMasterKeyID")


# ------------------------------------------------------------------------------ the role's permissions
def audit_permissions() -> set[str]:
    """IAM actions the audit calls: declared by its resource types and by the rules' c7n policies."""
    from c7n.config import Config
    from c7n.policy import Policy
    from c7n.resources.aws import AWS

    from ..controls import load_catalog
    from .rules import load_rule
    from .runner import setup

    setup()
    perms: set[str] = set()
    for name, cls in AWS.resources.items():
        if name.startswith("audit-"):
            perms.update(getattr(cls, "permissions", ()) or ())
    options = Config.empty(region="us-east-1", account_id="000000000000")
    for control in load_catalog().with_mode("detective"):
        for rule in load_rule(control):
            for filters in (rule.scope, rule.filters):
                policy = Policy(rule.c7n_data(filters), options, session_factory=lambda *a, **k: None)
                perms.update(policy.get_permissions())
    return perms


def required_actions(to_security_hub: bool = True) -> set[str]:
    return audit_permissions() | set(HANDLER_ACTIONS) | (set(SECURITY_HUB_ACTIONS) if to_security_hub else set())


@dataclass
class RoleCheck:
    missing: list[str]  # required actions no Allow statement grants
    writes: list[str]   # action patterns that could change something besides findings and logs


def check_statements(statements: list[dict[str, Any]], required: set[str]) -> RoleCheck:
    """Compare a role's policy statements with what the function needs (actions only: conditions
    and resources are not evaluated)."""
    allowed: list[str] = []
    writes: list[str] = []
    for st in statements:
        if st.get("Effect") != "Allow":
            continue
        if "NotAction" in st:
            writes.append(f"NotAction {st['NotAction']}")
            allowed.append("*")
            continue
        actions = st.get("Action", [])
        for action in [actions] if isinstance(actions, str) else actions:
            allowed.append(action.lower())
            service, _, verb = action.partition(":")
            if action.lower() in WRITES_ALLOWED:
                continue
            if action == "*" or not verb.startswith(READ_VERBS):
                writes.append(action)
    missing = sorted(a for a in required if not any(fnmatch.fnmatchcase(a.lower(), p) for p in allowed))
    return RoleCheck(missing=missing, writes=sorted(set(writes)))


def role_statements(session, role_arn: str) -> list[dict[str, Any]]:
    """Every statement of the role's inline and attached policies."""
    iam = session.client("iam")
    role = role_arn.rsplit("/", 1)[-1]
    docs = []
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=role):
        for name in page["PolicyNames"]:
            docs.append(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role):
        for attached in page["AttachedPolicies"]:
            policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
            docs.append(iam.get_policy_version(PolicyArn=attached["PolicyArn"],
                                               VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"])
    statements = []
    for doc in docs:
        if isinstance(doc, str):
            import json
            import urllib.parse

            doc = json.loads(urllib.parse.unquote(doc))
        st = doc.get("Statement", [])
        statements.extend([st] if isinstance(st, dict) else st)
    return statements


def check_role(session, role_arn: str, to_security_hub: bool) -> list[str]:
    """Warnings about the execution role: permissions it lacks, changes it could make."""
    import botocore.exceptions

    try:
        result = check_statements(role_statements(session, role_arn), required_actions(to_security_hub))
    except botocore.exceptions.ClientError as exc:
        return [f"the policies of {role_arn} could not be read ({_code(exc)}); its permissions were not checked"]
    out = []
    if result.missing:
        out.append(f"{role_arn} lacks {', '.join(result.missing)}: the controls that need them will be ERROR "
                   "(not evaluated) in every run")
    if result.writes:
        out.append(f"{role_arn} can do more than read and write findings ({', '.join(result.writes)}): "
                   "the scheduled audit needs read-only access plus s3:PutObject, kms:GenerateDataKey and "
                   "securityhub:BatchImportFindings")
    return out


# ------------------------------------------------------------------------------ plan and apply
@dataclass
class Change:
    what: str
    name: str
    action: str  # "create", "update", "no change"
    detail: str = ""
    apply: Callable[[], None] | None = None


def plan(session, wanted: Wanted) -> list[Change]:
    """Compare every part with what exists; each Change knows how to make it so."""
    lam, events, logs = session.client("lambda"), session.client("events"), session.client("logs")
    return [_log_group(logs, wanted), *_function(lam, wanted), _retries(lam, wanted), _rule(events, wanted),
            _target(events, wanted), _permission(lam, wanted)]


def _not_found(exc) -> bool:
    return exc.response.get("Error", {}).get("Code") in ("ResourceNotFoundException", "ResourceNotFound")


def _log_group(logs, w: Wanted) -> Change:
    name = w.names.log_group
    found = [g for g in logs.describe_log_groups(logGroupNamePrefix=name).get("logGroups", [])
             if g["logGroupName"] == name]
    if not found:
        def create():
            logs.create_log_group(logGroupName=name, kmsKeyId=w.log_kms_key, tags=w.tags)
            logs.put_retention_policy(logGroupName=name, retentionInDays=w.log_retention_days)
        return Change("log group", name, "create", f"KMS {w.log_kms_key}, {w.log_retention_days} days", create)
    group, todo, calls = found[0], [], []
    if group.get("kmsKeyId") != w.log_kms_key:
        todo.append(f"KMS {group.get('kmsKeyId') or 'none'} -> {w.log_kms_key}")
        calls.append(lambda: logs.associate_kms_key(logGroupName=name, kmsKeyId=w.log_kms_key))
    if group.get("retentionInDays") != w.log_retention_days:
        todo.append(f"retention {group.get('retentionInDays') or 'never expires'} -> {w.log_retention_days} days")
        calls.append(lambda: logs.put_retention_policy(logGroupName=name, retentionInDays=w.log_retention_days))
    if not todo:
        return Change("log group", name, "no change")
    return Change("log group", name, "update", "; ".join(todo), lambda: [c() for c in calls])


def _function(lam, w: Wanted) -> list[Change]:
    import botocore.exceptions

    name, config, archive = w.names.function, w.function_config(), w.archive
    try:
        current = lam.get_function(FunctionName=name)
    except botocore.exceptions.ClientError as exc:
        if not _not_found(exc):
            raise

        def create():
            lam.create_function(FunctionName=name, Code={"ZipFile": archive.data}, Architectures=[archive.architecture],
                                Tags=w.tags, Publish=False, **config)
            lam.get_waiter("function_active_v2").wait(FunctionName=name)
        return [Change("function", name, "create",
                       f"{config['Runtime']}, role {w.role_arn}, code sha256 {archive.sha256}", create)]
    have = current["Configuration"]
    changes = []
    have_arch = (have.get("Architectures") or ["x86_64"])[0]
    if have.get("CodeSha256") != archive.code_sha256 or have_arch != archive.architecture:
        def update_code():
            lam.update_function_code(FunctionName=name, ZipFile=archive.data, Architectures=[archive.architecture])
            lam.get_waiter("function_updated_v2").wait(FunctionName=name)
        changes.append(Change("function code", name, "update",
                              f"sha256 {_hex(have.get('CodeSha256'))} -> {archive.sha256}", update_code))
    else:
        changes.append(Change("function code", name, "no change", f"sha256 {archive.sha256}"))
    differ = [k for k, v in config.items() if _config_value(have, k) != v]
    if differ:
        def update_config():
            lam.update_function_configuration(FunctionName=name, **config)
            lam.get_waiter("function_updated_v2").wait(FunctionName=name)
        changes.append(Change("function settings", name, "update",
                              "; ".join(_describe_difference(k, _config_value(have, k), config[k]) for k in differ),
                              update_config))
    else:
        changes.append(Change("function settings", name, "no change"))
    tags = current.get("Tags") or {}
    if any(tags.get(k) != v for k, v in w.tags.items()):
        changes.append(Change("function tags", name, "update", ", ".join(f"{k}={v}" for k, v in w.tags.items()
                                                                        if tags.get(k) != v),
                              lambda: lam.tag_resource(Resource=w.function_arn, Tags=w.tags)))
    return changes


def _config_value(have: dict, key: str):
    if key == "Environment":
        return {"Variables": (have.get("Environment") or {}).get("Variables") or {}}
    return have.get(key)


def _describe_difference(key: str, have, want) -> str:
    if key == "Environment":
        h, w = have["Variables"], want["Variables"]
        return "environment " + ", ".join(f"{k}={h.get(k)!r}->{w.get(k)!r}" for k in sorted(set(h) | set(w))
                                          if h.get(k) != w.get(k))
    return f"{key} {have!r} -> {want!r}"


def _hex(b64: str | None) -> str:
    import base64

    return base64.b64decode(b64).hex() if b64 else "none"


def _retries(lam, w: Wanted) -> Change:
    import botocore.exceptions

    name = w.names.function
    try:
        have = lam.get_function_event_invoke_config(FunctionName=name).get("MaximumRetryAttempts")
    except botocore.exceptions.ClientError as exc:
        if not _not_found(exc):
            raise
        have = None
    if have == 0:
        return Change("retries of a failed run", name, "no change", "0")
    return Change("retries of a failed run", name, "create" if have is None else "update", "0 (Lambda's default: 2)",
                  lambda: lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0))


def _rule(events, w: Wanted) -> Change:
    import botocore.exceptions

    name = w.names.rule
    description = f"secure-mlops: run the detective controls of {w.names.env} ({w.names.function})"
    want = {"ScheduleExpression": w.rate, "State": "ENABLED", "Description": description}
    try:
        have = events.describe_rule(Name=name)
    except botocore.exceptions.ClientError as exc:
        if not _not_found(exc):
            raise
        return Change("schedule", name, "create", w.rate,
                      lambda: events.put_rule(Name=name, Tags=[{"Key": k, "Value": v} for k, v in w.tags.items()],
                                              **want))
    differ = [k for k, v in want.items() if have.get(k) != v]
    if not differ:
        return Change("schedule", name, "no change", w.rate)
    return Change("schedule", name, "update", "; ".join(f"{k} {have.get(k)!r} -> {want[k]!r}" for k in differ),
                  lambda: events.put_rule(Name=name, **want))


def _target(events, w: Wanted) -> Change:
    import botocore.exceptions

    name = w.names.rule
    try:
        targets = events.list_targets_by_rule(Rule=name).get("Targets", [])
    except botocore.exceptions.ClientError as exc:
        if not _not_found(exc):
            raise
        targets = []
    ours = [t for t in targets if t["Id"] == TARGET_ID]
    if ours and ours[0]["Arn"] == w.function_arn and not ours[0].get("Input"):
        return Change("schedule target", TARGET_ID, "no change", w.function_arn)
    return Change("schedule target", TARGET_ID, "update" if ours else "create", w.function_arn,
                  lambda: events.put_targets(Rule=name, Targets=[{"Id": TARGET_ID, "Arn": w.function_arn}]))


def _permission(lam, w: Wanted) -> Change:
    import json

    import botocore.exceptions

    name = w.names.function
    want = {"Action": "lambda:InvokeFunction", "Principal": {"Service": "events.amazonaws.com"},
            "Condition": {"ArnLike": {"AWS:SourceArn": w.rule_arn}, "StringEquals": {"AWS:SourceAccount": w.account}}}
    statement = None
    try:
        policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])
        statement = next((s for s in policy.get("Statement", []) if s.get("Sid") == STATEMENT_ID), None)
    except botocore.exceptions.ClientError as exc:
        if not _not_found(exc):
            raise

    def add():
        lam.add_permission(FunctionName=name, StatementId=STATEMENT_ID, Action=want["Action"],
                           Principal="events.amazonaws.com", SourceArn=w.rule_arn, SourceAccount=w.account)
    detail = f"events.amazonaws.com from {w.rule_arn}"
    if statement is None:
        return Change("invoke permission", STATEMENT_ID, "create", detail, add)
    if all(statement.get(k) == v for k, v in want.items()):
        return Change("invoke permission", STATEMENT_ID, "no change", detail)

    def replace():
        lam.remove_permission(FunctionName=name, StatementId=STATEMENT_ID)
        add()
    return Change("invoke permission", STATEMENT_ID, "update", detail, replace)


def apply(changes: list[Change], progress: Callable[[Change], None] | None = None) -> None:
    for change in changes:
        if change.apply is not None:
            if progress:
                progress(change)
            change.apply()


# ------------------------------------------------------------------------------ status and remove
@dataclass
class Status:
    function: dict[str, Any] | None = None
    rule: dict[str, Any] | None = None
    target_ok: bool = False
    permission_ok: bool = False
    log_group: dict[str, Any] | None = None
    bucket: str | None = None
    prefix: str | None = None
    last_object: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def deployed(self) -> bool:
        return bool(self.function and self.rule and self.rule.get("State") == "ENABLED" and self.target_ok
                    and self.permission_ok)


def read_status(session, account: str, region: str, env_name: str) -> Status:
    import json

    import botocore.exceptions

    names, st = Names(env_name), Status()
    lam, events = session.client("lambda"), session.client("events")
    try:
        st.function = lam.get_function(FunctionName=names.function)["Configuration"]
    except botocore.exceptions.ClientError as exc:
        if not _not_found(exc):
            raise
        st.problems.append(f"function {names.function} does not exist")
    try:
        st.rule = events.describe_rule(Name=names.rule)
        targets = events.list_targets_by_rule(Rule=names.rule).get("Targets", [])
        arn = (st.function or {}).get("FunctionArn")
        st.target_ok = any(t["Id"] == TARGET_ID and t["Arn"] == arn for t in targets) if arn else False
        if not st.target_ok:
            st.problems.append(f"rule {names.rule} does not target the function")
        if st.rule.get("State") != "ENABLED":
            st.problems.append(f"rule {names.rule} is {st.rule.get('State')}")
    except botocore.exceptions.ClientError as exc:
        if not _not_found(exc):
            raise
        st.problems.append(f"rule {names.rule} does not exist")
    if st.function:
        try:
            policy = json.loads(lam.get_policy(FunctionName=names.function)["Policy"])
            st.permission_ok = any(s.get("Sid") == STATEMENT_ID and st.rule and
                                   (s.get("Condition") or {}).get("ArnLike", {}).get("AWS:SourceArn") == st.rule["Arn"]
                                   for s in policy.get("Statement", []))
        except botocore.exceptions.ClientError as exc:
            if not _not_found(exc):
                raise
        if not st.permission_ok:
            st.problems.append("EventBridge may not invoke the function (no permission for the rule)")
    groups = session.client("logs").describe_log_groups(logGroupNamePrefix=names.log_group).get("logGroups", [])
    st.log_group = next((g for g in groups if g["logGroupName"] == names.log_group), None)
    variables = ((st.function or {}).get("Environment") or {}).get("Variables") or {}
    if variables.get(BUCKET):
        st.bucket = variables[BUCKET]
        st.prefix = findings_prefix(variables.get(PREFIX) or DEFAULT_PREFIX, account, region)
    else:
        try:
            st.bucket = session.client("ssm").get_parameter(
                Name=parameter_name(env_name, "log-bucket"))["Parameter"]["Value"]
            st.prefix = findings_prefix(DEFAULT_PREFIX, account, region)
        except botocore.exceptions.ClientError:
            st.bucket = None
    if st.bucket:
        st.last_object = last_findings_object(session, st.bucket, st.prefix)
    return st


def last_findings_object(session, bucket: str, prefix: str) -> dict[str, Any] | None:
    """The newest findings document under `prefix` (keys sort by time), or None."""
    import botocore.exceptions

    newest = None
    try:
        for page in session.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                if obj["Key"].endswith(".json") and (newest is None or obj["Key"] > newest["Key"]):
                    newest = obj
    except botocore.exceptions.ClientError as exc:
        return {"error": _code(exc)}
    return newest


def read_document(session, bucket: str, key: str) -> dict[str, Any]:
    import json

    body = session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return json.loads(body)


def remove(session, env_name: str) -> list[tuple[str, str, str]]:
    """Delete the permission, the rule's target, the rule and the function: (what, name, result).

    The log group and the findings stay (they are data)."""
    import botocore.exceptions

    names = Names(env_name)
    lam, events = session.client("lambda"), session.client("events")
    out = []

    def step(what: str, name: str, exists: Callable[[], bool], delete: Callable[[], Any]) -> None:
        try:
            present = exists()
        except botocore.exceptions.ClientError as exc:
            if not _not_found(exc):
                raise
            present = False
        if present:
            delete()
        out.append((what, name, "removed" if present else "absent"))

    step("invoke permission", STATEMENT_ID,
         lambda: STATEMENT_ID in lam.get_policy(FunctionName=names.function)["Policy"],
         lambda: lam.remove_permission(FunctionName=names.function, StatementId=STATEMENT_ID))
    step("schedule target", TARGET_ID,
         lambda: any(t["Id"] == TARGET_ID for t in events.list_targets_by_rule(Rule=names.rule)["Targets"]),
         lambda: events.remove_targets(Rule=names.rule, Ids=[TARGET_ID]))
    step("schedule", names.rule, lambda: bool(events.describe_rule(Name=names.rule)),
         lambda: events.delete_rule(Name=names.rule))
    step("function", names.function, lambda: bool(lam.get_function(FunctionName=names.function)),
         lambda: lam.delete_function(FunctionName=names.function))
    return out
