"""SageMaker projects: the account-level steps CloudFormation cannot do, as explicit boto3 calls.

* ``project_roles_owner``: do the roles AmazonSageMakerServiceCatalogProductsLaunchRole and
  ...UseRole exist, and if so, does this environment's core stack own them? The core template
  creates them only when they are absent (or already its own), so a second provision keeps them
  and an account where the console created them is left alone.
* ``enable_projects``: enable the SageMaker Service Catalog portfolio for the account
  (``enable_sagemaker_servicecatalog_portfolio``) and associate the Studio execution role with
  the portfolio that SageMaker shares (``list_accepted_portfolio_shares``, provider
  "Amazon SageMaker"; ``associate_principal_with_portfolio``). Both steps are idempotent: the
  current state is read first and only what is missing is done.
* ``disassociate``: the reverse of the association, run by ``destroy`` before the role goes.
  The account-level enablement is kept (other teams' environments may use it).
* ``projects_launched_from``: the SageMaker projects launched from the environment's products,
  which ``destroy`` asks about before it deletes anything.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from .deploy_errors import DeployError, aws_error_text

PROJECT_ROLES = ("AmazonSageMakerServiceCatalogProductsLaunchRole", "AmazonSageMakerServiceCatalogProductsUseRole")
PROVIDER = "Amazon SageMaker"
#: enabling the portfolio can take a moment before the share is listed
SHARE_WAIT_S = (1, 2, 4, 8)


def _code(exc) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def _explain(step: str, exc) -> DeployError:
    return DeployError(f"SageMaker projects: {step} failed: {aws_error_text(exc)}")


def project_roles_owner(session, core_stack: str) -> dict[str, str]:
    """role name -> "absent", "stack" (created by `core_stack`) or "account" (exists, not ours)."""
    import botocore.exceptions

    iam = session.client("iam")
    cf = session.client("cloudformation")
    owned: set[str] = set()
    try:
        paginator = cf.get_paginator("list_stack_resources")
        for page in paginator.paginate(StackName=core_stack):
            for res in page["StackResourceSummaries"]:
                if res.get("ResourceType") == "AWS::IAM::Role" and not res.get("ResourceStatus", "").startswith("DELETE"):
                    owned.add(res.get("PhysicalResourceId", ""))
    except botocore.exceptions.ClientError as exc:
        if "does not exist" not in str(exc):
            raise _explain(f"listing the resources of {core_stack}", exc) from None
    state: dict[str, str] = {}
    for role in PROJECT_ROLES:
        try:
            iam.get_role(RoleName=role)
        except botocore.exceptions.ClientError as exc:
            if _code(exc) == "NoSuchEntity":
                state[role] = "absent"
                continue
            raise _explain(f"iam:GetRole {role}", exc) from None
        state[role] = "stack" if role in owned else "account"
    return state


def should_create_project_roles(state: dict[str, str]) -> bool:
    """The core stack creates the roles when none exists outside it.

    Raises DeployError when one exists outside the stack and the other does not: creating only
    one is not what the console does, and the user must decide.
    """
    outside = [r for r, s in state.items() if s == "account"]
    if not outside:
        return True
    if len(outside) == len(state):
        return False
    missing = [r for r, s in state.items() if s == "absent"]
    raise DeployError(
        f"the account has {', '.join(outside)} but not {', '.join(missing)}, and a stack creates both or neither. "
        f"If {', '.join(outside)} was kept by `secure-mlops destroy` of an earlier environment, delete it (destroy "
        "printed the commands); otherwise create the missing role as the SageMaker console does (enable SageMaker "
        "projects once in the console). Then run provision again"
    )


@dataclass
class ProjectsState:
    enabled: bool
    portfolio_id: str | None
    associated: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)


#: the seed (and AWS's own samples) find SageMaker's portfolio among the default (IMPORTED)
#: shares; some accounts list it as an AWS_SERVICECATALOG share: look at both
SHARE_TYPES = ({}, {"PortfolioShareType": "AWS_SERVICECATALOG"})


def _sagemaker_portfolio(sc) -> str | None:
    paginator = sc.get_paginator("list_accepted_portfolio_shares")
    for kwargs in SHARE_TYPES:
        for page in paginator.paginate(**kwargs):
            for portfolio in page.get("PortfolioDetails", []):
                if portfolio.get("ProviderName") == PROVIDER:
                    return portfolio["Id"]
    return None


def _principals(sc, portfolio_id: str) -> list[str]:
    out: list[str] = []
    paginator = sc.get_paginator("list_principals_for_portfolio")
    for page in paginator.paginate(PortfolioId=portfolio_id):
        out.extend(p["PrincipalARN"] for p in page.get("Principals", []))
    return out


def read_state(session) -> ProjectsState:
    """Whether projects are enabled, the SageMaker portfolio and its principals (reads only)."""
    import botocore.exceptions

    sm = session.client("sagemaker")
    sc = session.client("servicecatalog")
    try:
        enabled = sm.get_sagemaker_servicecatalog_portfolio_status()["Status"] == "Enabled"
        portfolio = _sagemaker_portfolio(sc) if enabled else None
        principals = _principals(sc, portfolio) if portfolio else []
    except botocore.exceptions.ClientError as exc:
        raise _explain("reading the SageMaker projects portfolio", exc) from None
    return ProjectsState(enabled=enabled, portfolio_id=portfolio, associated=principals)


def enable_projects(session, principal_arns: list[str], plan: bool = False, sleep=time.sleep) -> ProjectsState:
    """Enable SageMaker projects and associate `principal_arns` with SageMaker's portfolio.

    With `plan`, only reads and returns the actions that would be taken.
    """
    import botocore.exceptions

    state = read_state(session)
    sm = session.client("sagemaker")
    sc = session.client("servicecatalog")
    if not state.enabled:
        state.actions.append("enable the SageMaker Service Catalog portfolio for the account")
        if plan:
            state.actions += [f"associate {arn} with the SageMaker portfolio" for arn in principal_arns]
            return state
        try:
            sm.enable_sagemaker_servicecatalog_portfolio()
        except botocore.exceptions.ClientError as exc:
            raise _explain("sagemaker:EnableSagemakerServicecatalogPortfolio", exc) from None
        state.enabled = True
    if state.portfolio_id is None:
        try:
            for wait in (0, *SHARE_WAIT_S):
                if wait:
                    sleep(wait)
                state.portfolio_id = _sagemaker_portfolio(sc)
                if state.portfolio_id:
                    break
        except botocore.exceptions.ClientError as exc:
            raise _explain("servicecatalog:ListAcceptedPortfolioShares", exc) from None
        if state.portfolio_id is None:
            raise DeployError(
                f"SageMaker projects are enabled but no portfolio from provider {PROVIDER!r} is among the "
                "accepted portfolio shares; open SageMaker Studio's projects page once, or check "
                "`aws servicecatalog list-accepted-portfolio-shares`"
            )
        try:
            state.associated = _principals(sc, state.portfolio_id)
        except botocore.exceptions.ClientError as exc:
            raise _explain("servicecatalog:ListPrincipalsForPortfolio", exc) from None
    for arn in principal_arns:
        if arn in state.associated:
            continue
        state.actions.append(f"associate {arn} with the SageMaker portfolio {state.portfolio_id}")
        if plan:
            continue
        try:
            sc.associate_principal_with_portfolio(PortfolioId=state.portfolio_id, PrincipalARN=arn,
                                                  PrincipalType="IAM")
        except botocore.exceptions.ClientError as exc:
            raise _explain("servicecatalog:AssociatePrincipalWithPortfolio", exc) from None
        state.associated.append(arn)
    return state


def disassociate(session, principal_arns: list[str]) -> list[str]:
    """Remove the association of `principal_arns` with SageMaker's portfolio; returns what was done."""
    import botocore.exceptions

    state = read_state(session)
    if not state.portfolio_id:
        return []
    sc = session.client("servicecatalog")
    done = []
    for arn in principal_arns:
        if arn not in state.associated:
            continue
        try:
            sc.disassociate_principal_from_portfolio(PortfolioId=state.portfolio_id, PrincipalARN=arn)
        except botocore.exceptions.ClientError as exc:
            raise _explain("servicecatalog:DisassociatePrincipalFromPortfolio", exc) from None
        done.append(f"disassociated {arn} from the SageMaker portfolio {state.portfolio_id}")
    return done



def studio_execution_roles(session, env_name: str) -> list[str]:
    """The Studio execution role the environment publishes (SSM, see envcontext), or [] before it exists."""
    import botocore.exceptions

    from ..envcontext import parameter_name

    try:
        value = session.client("ssm").get_parameter(
            Name=parameter_name(env_name, "sagemaker-execution-role-arn"))["Parameter"]["Value"]
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ParameterNotFound":
            return []
        raise DeployError(f"reading the Studio execution role parameter failed: {aws_error_text(exc)}") from None
    return [value] if value else []


def projects_launched_from(session, product_ids: set[str]) -> list[dict[str, str]]:
    """SageMaker projects (not deleted) launched from one of `product_ids` (reads only).

    Each: ``name``, ``status``, ``product_id``. Raises DeployError when the projects cannot be read.
    """
    import botocore.exceptions

    if not product_ids:
        return []
    sm = session.client("sagemaker")
    found: list[dict[str, str]] = []
    try:
        for page in sm.get_paginator("list_projects").paginate():
            for summary in page.get("ProjectSummaryList", []):
                if summary.get("ProjectStatus") == "DeleteCompleted":
                    continue
                try:
                    project = sm.describe_project(ProjectName=summary["ProjectName"])
                except botocore.exceptions.ClientError as exc:
                    if _code(exc) in ("ValidationException", "ResourceNotFound"):
                        continue  # deleted meanwhile
                    raise
                product = (project.get("ServiceCatalogProvisioningDetails") or {}).get("ProductId")
                if product in product_ids:
                    found.append({"name": summary["ProjectName"], "status": project.get("ProjectStatus", ""),
                                  "product_id": product})
    except botocore.exceptions.ClientError as exc:
        raise _explain("listing the SageMaker projects (sagemaker:ListProjects, DescribeProject)", exc) from None
    return found
