"""`report --to-security-hub`: import the live findings into AWS Security Hub (BatchImportFindings).

Security Hub accepts findings through the account's default product only for that account
(the finding's AwsAccountId must be the caller's account), at most 100 per request. Findings of
other accounts are not sent; they are reported as not imported, with the fix. Every finding
that is not imported is reported with its id and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .asff import to_asff

BATCH_SIZE = 100
# errors that will fail every further request the same way: stop instead of repeating them
ACCOUNT_LEVEL_ERRORS = {"InvalidAccessException", "AccessDeniedException", "AccessDenied",
                        "UnrecognizedClientException", "ExpiredTokenException", "InvalidClientTokenId"}


@dataclass
class Failure:
    finding_id: str
    code: str
    message: str


@dataclass
class ImportResult:
    account: str
    region: str
    attempted: int = 0
    imported: int = 0
    requests: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


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
            result.failures += [Failure(a["Id"], stop.code, f"not sent after an earlier error: {stop.message}")
                                for a in batch]
            continue
        try:
            result.requests += 1
            response = client.batch_import_findings(Findings=batch)
        except botocore.exceptions.ClientError as exc:
            err = exc.response.get("Error", {})
            code, message = err.get("Code", "ClientError"), err.get("Message", str(exc))
            result.failures += [Failure(a["Id"], code, message) for a in batch]
            if code in ACCOUNT_LEVEL_ERRORS:
                stop = Failure("", code, message)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ParamValidationError) as exc:
            result.failures += [Failure(a["Id"], type(exc).__name__, str(exc)) for a in batch]
            stop = Failure("", type(exc).__name__, str(exc))
        else:
            result.imported += response.get("SuccessCount", 0)
            result.failures += [Failure(x.get("Id", "?"), x.get("ErrorCode", "?"), x.get("ErrorMessage", ""))
                                for x in response.get("FailedFindings", [])]
        if progress:
            progress(len(batch))
    return result
