"""Service Catalog resource types in CloudFormation (moto skips them all), on the rules of
``servicecatalog.py``: Portfolio, CloudFormationProduct, PortfolioProductAssociation,
PortfolioPrincipalAssociation, the constraints (LaunchRole, LaunchNotification, LaunchTemplate,
ResourceUpdate) and CloudFormationProvisionedProduct (with its ``Outputs.X`` attributes)."""

from __future__ import annotations

import json
from typing import Any

from moto.core.common_models import CloudFormationModel

from ._support import Handler, file_under, handles, stack_principal
from .servicecatalog import (ProvisioningArtifact, Record, _artifact, _backend, _check_constraint, _constraint,
                             _duplicate, _in_use, _portfolio, _product)



class PortfolioHandler(Handler, CloudFormationModel):
    TYPE = "AWS::ServiceCatalog::Portfolio"
    ATTRIBUTES = ("Id", "PortfolioName")

    def create(self, resource_name: str, kwargs: dict[str, Any]) -> None:
        p = self.properties
        backend = _backend(self.account_id, self.region_name)
        detail, _ = backend.create_portfolio(None, p["DisplayName"], p.get("Description"), p["ProviderName"],
                                             self.tags(kwargs), None)
        self.physical_id = detail["Id"]
        self.attributes = {"Id": detail["Id"], "PortfolioName": lambda: _portfolio(backend, self.physical_id).display_name}

    def update(self, properties: dict[str, Any]) -> None:
        backend = _backend(self.account_id, self.region_name)
        current = backend._list_tags_for_resource(_portfolio(backend, self.physical_id).arn)
        tags = self.retagged(current, properties)
        removed = sorted({t["Key"] for t in current} - {t["Key"] for t in tags})
        backend.update_portfolio(self.physical_id, properties["DisplayName"], properties.get("Description", ""),
                                 properties["ProviderName"], tags, removed)

    def remove(self) -> None:
        _backend(self.account_id, self.region_name).delete_portfolio(None, self.physical_id)


class ProductHandler(Handler, CloudFormationModel):
    TYPE = "AWS::ServiceCatalog::CloudFormationProduct"
    ATTRIBUTES = ("Id", "ProductName", "ProvisioningArtifactIds", "ProvisioningArtifactNames")

    def create(self, resource_name: str, kwargs: dict[str, Any]) -> None:
        p = self.properties
        artifacts = p.get("ProvisioningArtifactParameters") or []
        if not artifacts:
            from ._support import PropertyValidationError

            raise PropertyValidationError(
                f"Properties validation failed for resource {self.logical_id} with message: "
                "#: required key [ProvisioningArtifactParameters] not found")
        backend = _backend(self.account_id, self.region_name)
        product = backend.create_product(
            name=p["Name"], owner=p["Owner"], description=p.get("Description"), distributor=p.get("Distributor"),
            support_description=p.get("SupportDescription"), support_email=p.get("SupportEmail"),
            support_url=p.get("SupportUrl"), product_type=p.get("ProductType") or "CLOUD_FORMATION_TEMPLATE",
            tags=self.tags(kwargs), provisioning_artifact_parameters=artifacts[0],
            source_connection=p.get("SourceConnection"))
        for extra in artifacts[1:]:
            backend.create_provisioning_artifact(product.id, extra)
        self.physical_id = product.id
        self._bind()

    def _bind(self) -> None:
        backend = _backend(self.account_id, self.region_name)
        product_id = self.physical_id
        self.attributes = {
            "Id": product_id,
            "ProductName": lambda: _product(backend, product_id).name,
            "ProvisioningArtifactIds": lambda: ",".join(a.id for a in backend.artifacts.get(product_id, [])),
            "ProvisioningArtifactNames": lambda: ",".join(a.name for a in backend.artifacts.get(product_id, [])),
        }

    def update(self, properties: dict[str, Any]) -> None:
        backend = _backend(self.account_id, self.region_name)
        current = backend._list_tags_for_resource(_product(backend, self.physical_id).arn)
        tags = self.retagged(current, properties)
        removed = sorted({t["Key"] for t in current} - {t["Key"] for t in tags})
        backend.update_product(self.physical_id, properties, tags, removed)
        # the product ends with exactly the declared versions: one that matches a current version
        # (name and template URL) keeps its id unless ReplaceProvisioningArtifacts asks for new ids;
        # the others are created, and the versions no longer declared are deleted
        declared = properties.get("ProvisioningArtifactParameters") or []
        existing = list(backend.artifacts.get(self.physical_id, []))
        replace_all = str(properties.get("ReplaceProvisioningArtifacts", False)).lower() == "true"
        wanted = []
        for params in declared:
            url = (params.get("Info") or {}).get("LoadTemplateFromURL")
            same = None if replace_all else next(
                (a for a in existing if a.name == params.get("Name", "") and a.template_url == url and a not in wanted),
                None)
            wanted.append(same or ProvisioningArtifact(self.physical_id, params, self.account_id, self.region_name))
        names = [a.name for a in wanted]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise _duplicate(f"Provisioning artifact {duplicates[0]} is declared more than once for product "
                             f"{self.physical_id}.")
        for gone in (a for a in existing if a not in wanted):
            if any(pp.provisioning_artifact_id == gone.id for pp in backend.provisioned.values()):
                raise _in_use(f"Provisioning artifact {gone.id} is used by provisioned products.")
        backend.artifacts[self.physical_id] = wanted

    def remove(self) -> None:
        _backend(self.account_id, self.region_name).delete_product(None, self.physical_id)


class PortfolioProductAssociationHandler(Handler, CloudFormationModel):
    TYPE = "AWS::ServiceCatalog::PortfolioProductAssociation"

    def create(self, resource_name: str, kwargs: dict[str, Any]) -> None:
        p = self.properties
        _backend(self.account_id, self.region_name).associate_product(p.get("ProductId"), p.get("PortfolioId"))
        self.physical_id = f"{p.get('PortfolioId')}|{p.get('ProductId')}"

    def remove(self) -> None:
        p = self.properties
        _backend(self.account_id, self.region_name).disassociate_product(p.get("ProductId"), p.get("PortfolioId"))


class PortfolioPrincipalAssociationHandler(Handler, CloudFormationModel):
    TYPE = "AWS::ServiceCatalog::PortfolioPrincipalAssociation"

    def create(self, resource_name: str, kwargs: dict[str, Any]) -> None:
        p = self.properties
        _backend(self.account_id, self.region_name).associate_principal(
            p.get("PortfolioId"), p.get("PrincipalARN"), p["PrincipalType"])
        self.physical_id = f"{p.get('PortfolioId')}|{p.get('PrincipalARN')}"

    def remove(self) -> None:
        p = self.properties
        _backend(self.account_id, self.region_name).disassociate_principal(p.get("PortfolioId"), p.get("PrincipalARN"))


class _ConstraintHandler(Handler):
    KIND = ""
    ATTRIBUTES = ("Id",)

    def constraint_parameters(self, p: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def create(self, resource_name: str, kwargs: dict[str, Any]) -> None:
        p = self.properties
        constraint = _backend(self.account_id, self.region_name).create_constraint(
            p["PortfolioId"], p["ProductId"], self.KIND, self.constraint_parameters(p), p.get("Description"))
        self.physical_id = constraint.id
        self.attributes = {"Id": constraint.id}

    def update(self, properties: dict[str, Any]) -> None:
        backend = _backend(self.account_id, self.region_name)
        constraint = _constraint(backend, self.physical_id)
        others = {k: v for k, v in backend.constraints.items() if k != constraint.id}
        saved, backend.constraints = backend.constraints, others
        try:
            constraint.parameters = _check_constraint(backend, self.KIND, self.constraint_parameters(properties),
                                                      constraint.portfolio_id, constraint.product_id)
        finally:
            backend.constraints = saved
        constraint.description = properties.get("Description") or ""

    def remove(self) -> None:
        backend = _backend(self.account_id, self.region_name)
        _constraint(backend, self.physical_id)
        del backend.constraints[self.physical_id]


class LaunchRoleConstraintHandler(_ConstraintHandler, CloudFormationModel):
    TYPE = "AWS::ServiceCatalog::LaunchRoleConstraint"
    KIND = "LAUNCH"

    def constraint_parameters(self, p: dict[str, Any]) -> dict[str, Any]:
        return {k: p[k] for k in ("RoleArn", "LocalRoleName") if p.get(k)}


class LaunchNotificationConstraintHandler(_ConstraintHandler, CloudFormationModel):
    TYPE = "AWS::ServiceCatalog::LaunchNotificationConstraint"
    KIND = "NOTIFICATION"

    def constraint_parameters(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"NotificationArns": p.get("NotificationArns")}


class LaunchTemplateConstraintHandler(_ConstraintHandler, CloudFormationModel):
    TYPE = "AWS::ServiceCatalog::LaunchTemplateConstraint"
    KIND = "TEMPLATE"

    def constraint_parameters(self, p: dict[str, Any]) -> dict[str, Any]:
        rules = p.get("Rules")
        return {"Rules": json.loads(rules) if isinstance(rules, str) else rules}


class ResourceUpdateConstraintHandler(_ConstraintHandler, CloudFormationModel):
    TYPE = "AWS::ServiceCatalog::ResourceUpdateConstraint"
    KIND = "RESOURCE_UPDATE"

    def constraint_parameters(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"Version": "2.0", "Properties": {"TagUpdateOnProvisionedProduct": p.get("TagUpdateOnProvisionedProduct")}}


class ProvisionedProductHandler(Handler, CloudFormationModel):
    TYPE = "AWS::ServiceCatalog::CloudFormationProvisionedProduct"
    ATTRIBUTES = ("RecordId", "CloudformationStackArn", "ProvisionedProductId")

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES or attr.startswith("Outputs.")

    def _caller(self) -> str:
        return stack_principal(self.account_id, self.region_name, self.stack_id)

    def create(self, resource_name: str, kwargs: dict[str, Any]) -> None:
        p = self.properties
        backend = _backend(self.account_id, self.region_name)
        name = p.get("ProvisionedProductName") or resource_name
        record = backend.provision_product(
            self._caller(), p.get("ProductId"), p.get("ProductName"), p.get("ProvisioningArtifactId"),
            p.get("ProvisioningArtifactName"), p.get("PathId"), name, p.get("ProvisioningParameters"),
            p.get("Tags"), None)
        pp = backend.provisioned.get(record.provisioned_product_id)
        if record.status != "SUCCEEDED":
            if pp is not None:
                backend.provisioned.pop(pp.id, None)
            raise RuntimeError(record.errors[0]["Description"] if record.errors else "provisioning failed")
        self.physical_id = pp.id
        self._bind(record)

    def _bind(self, record: Record) -> None:
        backend = _backend(self.account_id, self.region_name)
        pp = backend.provisioned[self.physical_id]
        self.attributes = {"RecordId": record.id, "CloudformationStackArn": pp.stack_id,
                           "ProvisionedProductId": pp.id}
        for out in record.outputs:
            self.attributes[f"Outputs.{out['OutputKey']}"] = out["OutputValue"]

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name not in self.attributes:
            raise UnformattedGetAttTemplateException()
        return self.attributes[attribute_name]

    def update(self, properties: dict[str, Any]) -> None:
        backend = _backend(self.account_id, self.region_name)
        artifact = properties.get("ProvisioningArtifactId")
        pp = backend.provisioned[self.physical_id]
        if artifact is None and properties.get("ProvisioningArtifactName"):
            artifact = _artifact(backend, pp.product_id, None, properties["ProvisioningArtifactName"]).id
        record = backend.update_provisioned_product(self.physical_id, None, artifact,
                                                    properties.get("ProvisioningParameters"), properties.get("Tags"))
        if record.status != "SUCCEEDED":
            raise RuntimeError(record.errors[0]["Description"] if record.errors else "update failed")
        self._bind(record)

    def remove(self) -> None:
        record = _backend(self.account_id, self.region_name).terminate_provisioned_product(
            self.physical_id, None, False, False)
        if record.status != "SUCCEEDED":
            raise RuntimeError(record.errors[0]["Description"] if record.errors else "terminate failed")


HANDLERS = (PortfolioHandler, ProductHandler, PortfolioProductAssociationHandler,
            PortfolioPrincipalAssociationHandler, LaunchRoleConstraintHandler,
            LaunchNotificationConstraintHandler, LaunchTemplateConstraintHandler,
            ResourceUpdateConstraintHandler, ProvisionedProductHandler)


def install() -> None:
    handles(*(h.TYPE for h in HANDLERS))
    file_under("servicecatalog", *HANDLERS)
