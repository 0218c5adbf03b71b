"""`report --to-security-hub`: import the live findings into AWS Security Hub (BatchImportFindings).

Security Hub accepts findings through the account's default product only for that account
(the finding's AwsAccountId must be the caller's account), at most 100 per request. Before
anything is sent, ``check_enabled`` asks once (DescribeHub) whether Security Hub is enabled in
the target account and region. Findings of other accounts are not sent; they are reported as
not imported, with the fix. Every finding that is not imported is reported with its id and the
reason, except that an account-level error (access denied, expired credentials) is reported
once for all the findings it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .asff import to_asff

BATCH_SIZE = 100
# errors that will fail every further request the same way: stop instead of repeating them
ACCOUNT_LEVEL_ERRORS = {"InvalidAccessException", "AccessDeniedException", "AccessDenied",
                        "UnrecognizedClientException", "ExpiredTokenException", "InvalidClientTokenId"}


#: DescribeHub errors that mean Security Hub is not enabled in the account and region
NOT_ENABLED_ERRORS = {"InvalidAccessException", "ResourceNotFoundException"}


@dataclass
class Failure:
    finding_id: str
    code: str
    message: str
    account_level: bool = False  # failed by an error that stopped the import (reported once)


@dataclass
class ImportResult:
    account: str
    region: str
    attempted: int = 0
    imported: int = 0
    requests: int = 0
    failures: list[Failure] = field(default_factory=list)
    stopped: Failure | None = None  # the account-level error that stopped the import

    @property
    def ok(self) -> bool:
        return not self.failures


def check_enabled(session, account: str, region: str) -> None:
    """Raise UserError (exit 2) unless Security Hub answers DescribeHub in the account and region."""
    import botocore.exceptions

    from ..errors import UserError

    where = f"account {account}, region {region}"
    try:
        session.client("securityhub", region_name=region).describe_hub()
    except botocore.exceptions.ClientError as exc:
        err = exc.response.get("Error", {})
        code, message = err.get("Code", "ClientError"), err.get("Message", str(exc))
        if code in NOT_ENABLED_ERRORS:
            raise UserError(f"Security Hub is not enabled in {where} ({code}: {message}); nothing was imported",
                            field="--to-security-hub",
                            fix=f"enable it (aws securityhub enable-security-hub --region {region}), or leave "
                                "out --to-security-hub") from None
        raise UserError(f"cannot check that Security Hub is enabled in {where} ({code}: {message}); nothing "
                        "was imported", field="--to-security-hub",
                        fix="grant the caller securityhub:DescribeHub and securityhub:BatchImportFindings, or "
                            "leave out --to-security-hub") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise UserError(f"cannot reach Security Hub in {where} ({exc}); nothing was imported",
                        field="--to-security-hub", fix="check the network and the region, or leave out "
                                                       "--to-security-hub") from None


def failure_lines(result: ImportResult) -> list[str]:
    """What to print for the findings not imported: one line each, but one line in all for the
    findings an account-level error stopped."""
    lines = [f"{x.finding_id}: {x.code}: {x.message}" for x in result.failures if not x.account_level]
    stopped = [x for x in result.failures if x.account_level]
    if stopped and result.stopped:
        sent = f"{result.requests} request{'' if result.requests == 1 else 's'} sent"
        lines.append(f"{len(stopped)} findings: {result.stopped.code}: {result.stopped.message} ({sent}, then stopped)")
    return lines


def import_findings(session, live, account: str, region: str, progress=None) -> ImportResult:
    """Import `live` ((Finding, timestamp) pairs, see asff.live_findings) into Security Hub.

    `session` is the target's boto3 session; `account`/`region` the target's. `progress`, if
    given, is called with the number of findings handled after each request.
    """
    import botocore.exceptions

    result = ImportResult(account=account, region=region)
    batch_items = []
    for finding, created_at in live:
        asff = to_asff(finding, created_at, import_account=account, import_region=region)
        if finding.account != account:
            result.failures.append(Failure(
                asff["Id"], "OtherAccount",
                f"the finding is for account {finding.account}, the target is account {account}; Security Hub "
                f"accepts a custom finding only from its own account: run `secure-mlops report "
                f"--to-security-hub` with credentials for account {finding.account}"))
            continue
        batch_items.append(asff)
    result.attempted = len(batch_items)
    client = session.client("securityhub", region_name=region)
    stop: Failure | None = None
    for start in range(0, len(batch_items), BATCH_SIZE):
        batch = batch_items[start:start + BATCH_SIZE]
        if stop:
            result.failures += [Failure(a["Id"], stop.code, f"not sent after an earlier error: {stop.message}",
                                        account_level=True) for a in batch]
            continue
        try:
            result.requests += 1
            response = client.batch_import_findings(Findings=batch)
        except botocore.exceptions.ClientError as exc:
            err = exc.response.get("Error", {})
            code, message = err.get("Code", "ClientError"), err.get("Message", str(exc))
            if code in ACCOUNT_LEVEL_ERRORS:
                stop = result.stopped = Failure("", code, message, account_level=True)
            result.failures += [Failure(a["Id"], code, message, account_level=bool(stop)) for a in batch]
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ParamValidationError) as exc:
            stop = result.stopped = Failure("", type(exc).__name__, str(exc), account_level=True)
            result.failures += [Failure(a["Id"], stop.code, stop.message, account_level=True) for a in batch]
        else:
            result.imported += response.get("SuccessCount", 0)
            result.failures += [Failure(x.get("Id", "?"), x.get("ErrorCode", "?"), x.get("ErrorMessage", ""))
                                for x in response.get("FailedFindings", [])]
        if progress:
            progress(len(batch))
    return result
