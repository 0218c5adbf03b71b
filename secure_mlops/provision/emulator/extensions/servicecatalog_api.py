"""Service Catalog API operations moto lacks (and its incomplete ones replaced); the state and the
rules are in ``servicecatalog.py``. Also SageMaker's switch for its Service Catalog portfolio."""

from __future__ import annotations

import json
from typing import Any

from ._support import caller_arn, override
from .servicecatalog import (_artifact, _backend, _check_constraint, _constraint, _end_user_product, _invalid, _launch_paths, _not_found,
                             _portfolio, _product, _product_view, _provisioned, caller_portfolios,
                             enable_sagemaker_portfolio)



def _caller(response: Any) -> str:
    return caller_arn(response)


def _install_api() -> None:
    from moto.core.responses import ActionResult, EmptyResult
    from moto.servicecatalog.responses import ServiceCatalogResponse

    def params(self: Any) -> dict[str, Any]:
        return json.loads(self.body or "{}")

    def page(items: list, p: dict[str, Any], token_key: str = "PageToken", size_key: str = "PageSize",
             default: int = 20) -> tuple[list, str | None]:
        start = int(p.get(token_key) or 0)
        size = int(p.get(size_key) or default)
        nxt = str(start + size) if start + size < len(items) else None
        return items[start:start + size], nxt

    api: dict[str, Any] = {}

    def op(fn: Any) -> Any:
        api[fn.__name__] = fn
        return fn

    @op
    def update_portfolio(self: Any) -> Any:
        p = params(self)
        portfolio = self.servicecatalog_backend.update_portfolio(
            p.get("Id"), p.get("DisplayName"), p.get("Description"), p.get("ProviderName"),
            p.get("AddTags"), p.get("RemoveTags"))
        return ActionResult({"PortfolioDetail": portfolio.to_dict(), "Tags": portfolio.tags})

    @op
    def describe_portfolio(self: Any) -> Any:
        portfolio = _portfolio(self.servicecatalog_backend, params(self).get("Id"))
        return ActionResult({"PortfolioDetail": portfolio.to_dict(), "Tags": portfolio.tags,
                             "TagOptions": [], "Budgets": []})

    @op
    def create_product(self: Any) -> Any:
        p = params(self)
        backend = self.servicecatalog_backend
        product = backend.create_product(
            name=p.get("Name"), owner=p.get("Owner"), description=p.get("Description"),
            distributor=p.get("Distributor"), support_description=p.get("SupportDescription"),
            support_email=p.get("SupportEmail"), support_url=p.get("SupportUrl"),
            product_type=p.get("ProductType"), tags=p.get("Tags"),
            provisioning_artifact_parameters=p.get("ProvisioningArtifactParameters"),
            idempotency_token=p.get("IdempotencyToken"), source_connection=p.get("SourceConnection"),
            accept_language=p.get("AcceptLanguage"))
        return ActionResult({
            "ProductViewDetail": {"ProductViewSummary": _product_view(product), "Status": "AVAILABLE",
                                  "ProductARN": product.arn, "CreatedTime": product.created_time},
            "ProvisioningArtifactDetail": backend.artifacts[product.id][0].detail(),
            "Tags": product.tags,
        })

    @op
    def describe_product_as_admin(self: Any) -> Any:
        p = params(self)
        backend = self.servicecatalog_backend
        product = backend.describe_product(None, p.get("Id"), p.get("Name"))
        return ActionResult({
            "ProductViewDetail": {"ProductViewSummary": _product_view(product), "Status": "AVAILABLE",
                                  "ProductARN": product.arn, "CreatedTime": product.created_time},
            "ProvisioningArtifactSummaries": [a.summary() for a in backend.artifacts.get(product.id, [])],
            "Tags": product.tags, "TagOptions": [], "Budgets": [],
        })

    @op
    def describe_product(self: Any) -> Any:
        p = params(self)
        backend = self.servicecatalog_backend
        caller = _caller(self)
        product_id = p.get("Id") or next((x.id for x in backend.products.values() if x.name == p.get("Name")), "")
        product = _end_user_product(backend, product_id, caller)
        return ActionResult({
            "ProductViewSummary": _product_view(product),
            "ProvisioningArtifacts": [a.summary() for a in backend.artifacts.get(product.id, []) if a.active],
            "Budgets": [],
            "LaunchPaths": [{"Id": path, "Name": backend.portfolios[pf].display_name}
                            for path, pf in _launch_paths(backend, product.id, caller)],
        })

    @op
    def update_product(self: Any) -> Any:
        p = params(self)
        product = self.servicecatalog_backend.update_product(p.get("Id"), p, p.get("AddTags"), p.get("RemoveTags"))
        return ActionResult({"ProductViewDetail": {"ProductViewSummary": _product_view(product),
                                                   "Status": "AVAILABLE", "ProductARN": product.arn,
                                                   "CreatedTime": product.created_time},
                             "Tags": product.tags})

    @op
    def search_products(self: Any) -> Any:
        p = params(self)
        backend = self.servicecatalog_backend
        caller = _caller(self)
        allowed = caller_portfolios(backend, caller)
        ids = sorted({pid for pf in allowed for pid in backend.portfolio_products.get(pf, [])})
        views = [_product_view(backend.products[i]) for i in ids if i in backend.products]
        views = _filter_views(views, p.get("Filters") or {})
        items, nxt = page(views, p)
        return ActionResult({"ProductViewSummaries": items, "NextPageToken": nxt})

    @op
    def search_products_as_admin(self: Any) -> Any:
        p = params(self)
        backend = self.servicecatalog_backend
        if p.get("PortfolioId"):
            _portfolio(backend, p["PortfolioId"])
            ids = list(backend.portfolio_products.get(p["PortfolioId"], []))
        else:
            ids = list(backend.products)
        views = [_product_view(backend.products[i]) for i in ids if i in backend.products]
        views = _filter_views(views, p.get("Filters") or {})
        items, nxt = page(views, p)
        details = [{"ProductViewSummary": v, "Status": "AVAILABLE",
                    "ProductARN": backend.products[v["ProductId"]].arn,
                    "CreatedTime": backend.products[v["ProductId"]].created_time} for v in items]
        return ActionResult({"ProductViewDetails": details, "NextPageToken": nxt})

    @op
    def create_provisioning_artifact(self: Any) -> Any:
        p = params(self)
        artifact = self.servicecatalog_backend.create_provisioning_artifact(p.get("ProductId"), p.get("Parameters"))
        return ActionResult({"ProvisioningArtifactDetail": artifact.detail(),
                             "Info": artifact.info, "Status": "AVAILABLE"})

    @op
    def list_provisioning_artifacts(self: Any) -> Any:
        p = params(self)
        backend = self.servicecatalog_backend
        product = _product(backend, p.get("ProductId"))
        return ActionResult({"ProvisioningArtifactDetails": [a.detail() for a in backend.artifacts.get(product.id, [])]})

    @op
    def describe_provisioning_artifact(self: Any) -> Any:
        p = params(self)
        backend = self.servicecatalog_backend
        product_id = p.get("ProductId") or next(
            (x.id for x in backend.products.values() if x.name == p.get("ProductName")), "")
        _product(backend, product_id)
        artifact = _artifact(backend, product_id, p.get("ProvisioningArtifactId"), p.get("ProvisioningArtifactName"))
        result: dict[str, Any] = {"ProvisioningArtifactDetail": artifact.detail(), "Info": artifact.info,
                                  "Status": "AVAILABLE"}
        if p.get("Verbose") and artifact.template_body is not None:
            result["Info"] = {**artifact.info, "TemplateUrl": artifact.template_url}
        return ActionResult(result)

    @op
    def update_provisioning_artifact(self: Any) -> Any:
        p = params(self)
        backend = self.servicecatalog_backend
        artifact = _artifact(backend, _product(backend, p.get("ProductId")).id, p.get("ProvisioningArtifactId"))
        for key, attr in (("Name", "name"), ("Description", "description"), ("Active", "active"),
                          ("Guidance", "guidance")):
            if p.get(key) is not None:
                if key == "Guidance" and p[key] not in ("DEFAULT", "DEPRECATED"):
                    raise _invalid(f"Invalid Guidance: {p[key]}")
                setattr(artifact, attr, p[key])
        return ActionResult({"ProvisioningArtifactDetail": artifact.detail(), "Info": artifact.info,
                             "Status": "AVAILABLE"})

    @op
    def delete_provisioning_artifact(self: Any) -> Any:
        p = params(self)
        self.servicecatalog_backend.delete_provisioning_artifact(p.get("ProductId"), p.get("ProvisioningArtifactId"))
        return EmptyResult()

    @op
    def associate_product_with_portfolio(self: Any) -> Any:
        p = params(self)
        self.servicecatalog_backend.associate_product(p.get("ProductId"), p.get("PortfolioId"))
        return EmptyResult()

    @op
    def disassociate_product_from_portfolio(self: Any) -> Any:
        p = params(self)
        self.servicecatalog_backend.disassociate_product(p.get("ProductId"), p.get("PortfolioId"))
        return EmptyResult()

    @op
    def list_portfolios_for_product(self: Any) -> Any:
        p = params(self)
        backend = self.servicecatalog_backend
        _product(backend, p.get("ProductId"))
        found = [backend.portfolios[pf].to_dict() for pf, products in backend.portfolio_products.items()
                 if p.get("ProductId") in products and pf in backend.portfolios]
        items, nxt = page(found, p)
        return ActionResult({"PortfolioDetails": items, "NextPageToken": nxt})

    @op
    def associate_principal_with_portfolio(self: Any) -> Any:
        p = params(self)
        self.servicecatalog_backend.associate_principal(p.get("PortfolioId"), p.get("PrincipalARN"),
                                                        p.get("PrincipalType"))
        return EmptyResult()

    @op
    def disassociate_principal_from_portfolio(self: Any) -> Any:
        p = params(self)
        self.servicecatalog_backend.disassociate_principal(p.get("PortfolioId"), p.get("PrincipalARN"))
        return EmptyResult()

    @op
    def list_principals_for_portfolio(self: Any) -> Any:
        p = params(self)
        backend = self.servicecatalog_backend
        _portfolio(backend, p.get("PortfolioId"))
        items, nxt = page(list(backend.principals.get(p.get("PortfolioId"), [])), p)
        return ActionResult({"Principals": items, "NextPageToken": nxt})

    @op
    def create_constraint(self: Any) -> Any:
        p = params(self)
        constraint = self.servicecatalog_backend.create_constraint(
            p.get("PortfolioId"), p.get("ProductId"), p.get("Type"), p.get("Parameters"), p.get("Description"))
        return ActionResult({"ConstraintDetail": constraint.detail(), "ConstraintParameters": constraint.parameters,
                             "Status": constraint.status})

    @op
    def describe_constraint(self: Any) -> Any:
        constraint = _constraint(self.servicecatalog_backend, params(self).get("Id"))
        return ActionResult({"ConstraintDetail": constraint.detail(), "ConstraintParameters": constraint.parameters,
                             "Status": constraint.status})

    @op
    def update_constraint(self: Any) -> Any:
        p = params(self)
        backend = self.servicecatalog_backend
        constraint = _constraint(backend, p.get("Id"))
        if p.get("Description") is not None:
            constraint.description = p["Description"]
        if p.get("Parameters") is not None:
            others = {k: v for k, v in backend.constraints.items() if k != constraint.id}
            saved, backend.constraints = backend.constraints, others
            try:
                constraint.parameters = _check_constraint(backend, constraint.type, p["Parameters"],
                                                          constraint.portfolio_id, constraint.product_id)
            finally:
                backend.constraints = saved
        return ActionResult({"ConstraintDetail": constraint.detail(), "ConstraintParameters": constraint.parameters,
                             "Status": constraint.status})

    @op
    def delete_constraint(self: Any) -> Any:
        backend = self.servicecatalog_backend
        constraint = _constraint(backend, params(self).get("Id"))
        del backend.constraints[constraint.id]
        return EmptyResult()

    @op
    def list_constraints_for_portfolio(self: Any) -> Any:
        p = params(self)
        backend = self.servicecatalog_backend
        _portfolio(backend, p.get("PortfolioId"))
        found = [c.detail() for c in backend.constraints.values() if c.portfolio_id == p.get("PortfolioId")
                 and p.get("ProductId") in (None, c.product_id)]
        items, nxt = page(found, p)
        return ActionResult({"ConstraintDetails": items, "NextPageToken": nxt})

    @op
    def list_launch_paths(self: Any) -> Any:
        p = params(self)
        backend = self.servicecatalog_backend
        caller = _caller(self)
        product = _end_user_product(backend, p.get("ProductId"), caller)
        summaries = []
        for path, pf in _launch_paths(backend, product.id, caller):
            constraints = [{"Type": c.type, "Description": c.description} for c in backend.constraints.values()
                           if c.portfolio_id == pf and c.product_id == product.id]
            summaries.append({"Id": path, "ConstraintSummaries": constraints, "Tags": [],
                              "Name": backend.portfolios[pf].display_name})
        items, nxt = page(summaries, p)
        return ActionResult({"LaunchPathSummaries": items, "NextPageToken": nxt})

    @op
    def provision_product(self: Any) -> Any:
        p = params(self)
        record = self.servicecatalog_backend.provision_product(
            _caller(self), p.get("ProductId"), p.get("ProductName"), p.get("ProvisioningArtifactId"),
            p.get("ProvisioningArtifactName"), p.get("PathId"), p.get("ProvisionedProductName"),
            p.get("ProvisioningParameters"), p.get("Tags"), p.get("ProvisionToken"))
        return ActionResult({"RecordDetail": record.detail()})

    @op
    def update_provisioned_product(self: Any) -> Any:
        p = params(self)
        record = self.servicecatalog_backend.update_provisioned_product(
            p.get("ProvisionedProductId"), p.get("ProvisionedProductName"), p.get("ProvisioningArtifactId"),
            p.get("ProvisioningParameters"), p.get("Tags"))
        return ActionResult({"RecordDetail": record.detail()})

    @op
    def terminate_provisioned_product(self: Any) -> Any:
        p = params(self)
        record = self.servicecatalog_backend.terminate_provisioned_product(
            p.get("ProvisionedProductId"), p.get("ProvisionedProductName"),
            bool(p.get("RetainPhysicalResources")), bool(p.get("IgnoreErrors")))
        return ActionResult({"RecordDetail": record.detail()})

    @op
    def describe_record(self: Any) -> Any:
        p = params(self)
        record = self.servicecatalog_backend.records.get(p.get("Id"))
        if record is None:
            raise _not_found(f"Record {p.get('Id')} not found.")
        return ActionResult({"RecordDetail": record.detail(), "RecordOutputs": record.outputs})

    @op
    def describe_provisioned_product(self: Any) -> Any:
        p = params(self)
        pp = _provisioned(self.servicecatalog_backend, p.get("Id"), p.get("Name"))
        return ActionResult({"ProvisionedProductDetail": pp.detail(), "CloudWatchDashboards": []})

    @op
    def get_provisioned_product_outputs(self: Any) -> Any:
        p = params(self)
        backend = self.servicecatalog_backend
        pp = _provisioned(backend, p.get("ProvisionedProductId"), p.get("ProvisionedProductName"))
        record = backend.records.get(pp.last_successful_record_id)
        outputs = [o for o in (record.outputs if record else []) if o["OutputKey"] != "CloudformationStackARN"]
        wanted = p.get("OutputKeys")
        if wanted:
            outputs = [o for o in outputs if o["OutputKey"] in wanted]
        items, nxt = page(outputs, p)
        return ActionResult({"Outputs": items, "NextPageToken": nxt})

    @op
    def scan_provisioned_products(self: Any) -> Any:
        p = params(self)
        items, nxt = page([pp.detail() for pp in self.servicecatalog_backend.provisioned.values()], p)
        return ActionResult({"ProvisionedProducts": items, "NextPageToken": nxt})

    @op
    def search_provisioned_products(self: Any) -> Any:
        p = params(self)
        found = [pp.attributes() for pp in self.servicecatalog_backend.provisioned.values()]
        items, nxt = page(found, p)
        return ActionResult({"ProvisionedProducts": items, "TotalResultsCount": len(found), "NextPageToken": nxt})

    @op
    def list_accepted_portfolio_shares(self: Any) -> Any:
        p = params(self)
        kind = p.get("PortfolioShareType") or "IMPORTED"
        if kind not in ("IMPORTED", "AWS_SERVICECATALOG", "AWS_ORGANIZATIONS"):
            raise _invalid(f"Invalid PortfolioShareType: {kind}")
        # the SageMaker portfolio is an account-to-account share of AWS's: listed as imported too
        found = [portfolio.to_dict() for k, portfolio in self.servicecatalog_backend.accepted_shares.values()
                 if k == kind or (kind == "IMPORTED" and k == "AWS_SERVICECATALOG")]
        items, nxt = page(found, p)
        return ActionResult({"PortfolioDetails": items, "NextPageToken": nxt})

    for name, fn in api.items():
        override(ServiceCatalogResponse, name)(fn)
    _install_sagemaker_api()


def _install_sagemaker_api() -> None:
    """SageMaker's switch for its Service Catalog portfolio (per account and region)."""
    from moto.core.responses import ActionResult
    from moto.sagemaker.responses import SageMakerResponse

    def enable_sagemaker_servicecatalog_portfolio(self: Any) -> Any:
        enable_sagemaker_portfolio(self.current_account, self.region)
        return ActionResult({})

    def get_sagemaker_servicecatalog_portfolio_status(self: Any) -> Any:
        shares = _backend(self.current_account, self.region).accepted_shares.values()
        enabled = any(kind == "AWS_SERVICECATALOG" for kind, _ in shares)
        return ActionResult({"Status": "Enabled" if enabled else "Disabled"})

    for fn in (enable_sagemaker_servicecatalog_portfolio, get_sagemaker_servicecatalog_portfolio_status):
        override(SageMakerResponse)(fn)


def _filter_views(views: list[dict[str, Any]], filters: dict[str, list[str]]) -> list[dict[str, Any]]:
    for key, values in filters.items():
        if key == "FullTextSearch":
            views = [v for v in views if any(s.lower() in json.dumps(v).lower() for s in values)]
        elif key in ("Owner", "ProductType", "SourceProductId"):
            field = {"ProductType": "Type"}.get(key, key)
            views = [v for v in views if v.get(field) in values]
    return views



def install() -> None:
    _install_api()
