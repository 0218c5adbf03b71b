"""AWS Service Catalog: the portfolio, its products (and their template versions), product and
principal associations, launch role constraints."""

from __future__ import annotations

import hashlib
import json

from . import reader
from .compare import ABSENT, MISSING


def _pages(call, key: str, **kwargs) -> list:
    """Service Catalog pages with PageToken / NextPageToken."""
    out, token = [], None
    while True:
        page = call(**kwargs, **({"PageToken": token} if token else {}))
        out += page.get(key, [])
        token = page.get("NextPageToken")
        if not token:
            return out


@reader("AWS::ServiceCatalog::Portfolio")
def portfolio(r):
    answer = r.client("servicecatalog").describe_portfolio(Id=r.physical_id)
    got = answer["PortfolioDetail"]
    r.attributes.update(PortfolioName=got.get("DisplayName"), Id=got["Id"])
    r.compare_tags(answer.get("Tags", []))
    r.compare("DisplayName", got.get("DisplayName"))
    r.compare("ProviderName", got.get("ProviderName"))
    r.compare("Description", got.get("Description"))


@reader("AWS::ServiceCatalog::CloudFormationProduct")
def product(r):
    sc = r.client("servicecatalog")
    got = sc.describe_product_as_admin(Id=r.physical_id)
    summary = got["ProductViewDetail"]["ProductViewSummary"]
    artifacts = got.get("ProvisioningArtifactSummaries") or []
    r.attributes.update(ProductName=summary.get("Name"),
                        ProvisioningArtifactIds=",".join(a["Id"] for a in artifacts),
                        ProvisioningArtifactNames=",".join(a.get("Name", "") for a in artifacts))
    r.compare("Name", summary.get("Name"))
    r.compare_tags(got.get("Tags", []))
    r.compare("Owner", summary.get("Owner"))
    r.compare("Distributor", summary.get("Distributor"))
    r.compare("ProductType", summary.get("Type"), default="CLOUD_FORMATION_TEMPLATE")
    declared = r.declared("ProvisioningArtifactParameters", default=[])
    by_name = {a.get("Name"): a for a in artifacts}
    r.compare("ProvisioningArtifactParameters[*].Name", list(by_name), kind="set",
              declared=[d.get("Name") for d in declared])
    for i, d in enumerate(declared):
        found = by_name.get(d.get("Name"))
        if found is None:
            continue  # reported above
        detail = sc.describe_provisioning_artifact(ProductId=summary["ProductId"], ProvisioningArtifactId=found["Id"],
                                                   Verbose=True)
        with r.section(f"ProvisioningArtifactParameters[{i}].Info.LoadTemplateFromURL"):
            _same_template(r, f"ProvisioningArtifactParameters[{i}].Info.LoadTemplateFromURL",
                           (d.get("Info") or {}).get("LoadTemplateFromURL", MISSING), detail.get("Info") or {})
        active = detail.get("ProvisioningArtifactDetail", {}).get("Active")
        if active is not None:
            r.compare(f"ProvisioningArtifactParameters[{i}].Active", active, default=True, declared=MISSING)


def _same_template(r, prop: str, declared_url, info: dict) -> None:
    """The product version provisions the declared template.

    Service Catalog may answer with the URL of its own copy of the template: then the two
    templates' contents are compared."""
    if declared_url is MISSING:
        return
    actual_url = info.get("TemplateUrl") or info.get("LoadTemplateFromURL")
    if actual_url is None or actual_url == declared_url:
        r.compare(prop, actual_url, declared=declared_url)
        return
    same = hashlib.sha256(_fetch(r, declared_url)).digest() == hashlib.sha256(_fetch(r, actual_url)).digest()
    r.compare(prop, declared_url if same else actual_url, declared=declared_url)


def _fetch(r, url: str) -> bytes:
    """A template's bytes: a presigned URL over HTTPS, any other S3 URL through the S3 API."""
    from urllib.parse import unquote, urlparse

    parsed = urlparse(url)
    if parsed.query:  # presigned: the signature is the access
        import urllib.request

        with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - a URL Service Catalog gave
            return resp.read()
    host, path = parsed.netloc.split(":")[0], unquote(parsed.path.lstrip("/"))
    if ".s3." in host or ".s3-" in host:  # virtual-hosted style: <bucket>.s3.<region>.amazonaws.com/<key>
        bucket, key = host.split(".s3", 1)[0], path
    else:  # path style: <endpoint>/<bucket>/<key>
        bucket, _, key = path.partition("/")
    return r.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


@reader("AWS::ServiceCatalog::PortfolioProductAssociation")
def portfolio_product_association(r):
    portfolio_id, product_id = r.required("PortfolioId"), r.required("ProductId")
    linked = [p["Id"] for p in _pages(r.client("servicecatalog").list_portfolios_for_product, "PortfolioDetails",
                                      ProductId=product_id)]
    r.compare("PortfolioId", portfolio_id if portfolio_id in linked else (linked or ABSENT))


@reader("AWS::ServiceCatalog::PortfolioPrincipalAssociation")
def portfolio_principal_association(r):
    portfolio_id, principal = r.required("PortfolioId"), r.required("PrincipalARN")
    principals = _pages(r.client("servicecatalog").list_principals_for_portfolio, "Principals",
                        PortfolioId=portfolio_id)
    found = next((p for p in principals if p.get("PrincipalARN") == principal), None)
    r.compare("PrincipalARN", found["PrincipalARN"] if found else ABSENT)
    r.compare("PrincipalType", found.get("PrincipalType") if found else ABSENT)


@reader("AWS::ServiceCatalog::LaunchRoleConstraint")
def launch_role_constraint(r):
    got = r.client("servicecatalog").describe_constraint(Id=r.physical_id)
    detail = got.get("ConstraintDetail") or {}
    r.compare("(type)", detail.get("Type"), declared="LAUNCH")
    r.compare("PortfolioId", detail.get("PortfolioId"))
    r.compare("ProductId", detail.get("ProductId"))
    try:
        params = json.loads(got.get("ConstraintParameters") or "{}")
    except ValueError:
        params = {}
    r.compare("RoleArn", params.get("RoleArn"))
    r.compare("LocalRoleName", params.get("LocalRoleName"))
