"""Service Catalog: portfolios, products, access, constraints and provisioning (the state and rules).

moto keeps portfolios and products (create/describe/list/delete, with uuid ids) and nothing
else. This module makes the service behave as AWS documents it for what the project uses
(the API is in ``servicecatalog_api.py``, the CloudFormation types in ``servicecatalog_cfn.py``):

- AWS-shaped ids (``port-``, ``prod-``, ``pa-``, ``cons-``, ``pp-``, ``rec-``, ``lpv3-``);
  products get their provisioning artifacts, whose template is read from S3 and checked;
- product/portfolio and principal/portfolio associations, constraints (LAUNCH with a role
  Service Catalog can assume, NOTIFICATION, RESOURCE_UPDATE, TEMPLATE), launch paths;
- end users (``SearchProducts``, ``DescribeProduct``, ``ListLaunchPaths``, ``ProvisionProduct``)
  see only products of portfolios their IAM identity is associated with, as on AWS;
- provisioning launches the artifact's template as a CloudFormation stack
  (``SC-<account>-pp-<id>``) with the launch role and records it; update and terminate too;
- a portfolio or product still in use cannot be deleted (ResourceInUseException);
- the SageMaker-provided portfolio is imported once SageMaker's
  ``EnableSagemakerServicecatalogPortfolio`` was called.

State lives on moto's Service Catalog backend (reset with it).
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from moto.core.common_models import BaseModel
from moto.core.utils import utcnow

from ._support import extend_init, file_under, new_id, override

SAGEMAKER_PORTFOLIO_NAME = "Amazon SageMaker Solutions and ML Ops products"


def _backend(account_id: str, region_name: str) -> Any:
    from moto.servicecatalog.models import servicecatalog_backends

    return servicecatalog_backends[account_id][region_name]


def _not_found(message: str) -> Exception:
    from moto.servicecatalog.exceptions import ResourceNotFoundException

    return ResourceNotFoundException(message)


def _invalid(message: str) -> Exception:
    from moto.servicecatalog.exceptions import InvalidParametersException

    return InvalidParametersException(message)


def _in_use(message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError("ResourceInUseException", message)


def _duplicate(message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError("DuplicateResourceException", message)


def _limit(value: Any, name: str, low: int, high: int) -> None:
    if value is None or not (low <= len(str(value)) <= high):
        raise _invalid(f"{name} must be between {low} and {high} characters long")


def read_template(url: str, account_id: str, region_name: str) -> str:
    """The body of a template given by URL (an S3 object of the emulator), as CloudFormation reads it."""
    from urllib.parse import urlparse

    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    parts = urlparse(url or "")
    host = parts.netloc.split(":")[0]
    if parts.scheme == "s3":
        bucket, key = parts.netloc, parts.path.lstrip("/")
    elif host in ("localhost", "127.0.0.1") or (host.startswith("s3") and host.endswith("amazonaws.com")):
        bucket, _, key = parts.path.lstrip("/").partition("/")
    elif ".s3" in host and host.endswith("amazonaws.com"):
        bucket, key = host.split(".s3")[0], parts.path.lstrip("/")
    else:
        raise _invalid(f"Invalid templateUrl: {url}. The template must be in Amazon S3.")
    try:
        obj = s3_backends[account_id][get_partition(region_name)].get_object(bucket, key)
    except Exception:
        obj = None
    if obj is None:
        raise _invalid(f"Unable to retrieve template from {url}: the object does not exist.")
    return obj.value.decode("utf-8")


def check_template(body: str, url: str) -> dict[str, Any]:
    from moto.cloudformation.models import Stack

    try:
        parsed = Stack.parse_template(body)
    except Exception as exc:
        raise _invalid(f"Invalid template at {url}: {exc}") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("Resources"), dict) or not parsed["Resources"]:
        raise _invalid(f"Invalid template at {url}: At least one Resources member must be defined.")
    return parsed


# --------------------------------------------------------------------------- models


class ProvisioningArtifact(BaseModel):
    def __init__(self, product_id: str, params: dict[str, Any], account_id: str, region_name: str):
        params = params or {}
        info = params.get("Info") or {}
        if "LoadTemplateFromURL" not in info and "ImportFromPhysicalId" not in info:
            raise _invalid("ProvisioningArtifactParameters.Info must contain LoadTemplateFromURL")
        kind = params.get("Type") or "CLOUD_FORMATION_TEMPLATE"
        if kind not in ("CLOUD_FORMATION_TEMPLATE", "MARKETPLACE_AMI", "MARKETPLACE_CAR",
                        "TERRAFORM_OPEN_SOURCE", "TERRAFORM_CLOUD", "EXTERNAL"):
            raise _invalid(f"Invalid provisioning artifact type: {kind}")
        self.id = new_id("pa-", 13)
        self.product_id = product_id
        self.name = params.get("Name") or ""
        self.description = params.get("Description") or ""
        self.type = kind
        self.info = info
        self.template_url = info.get("LoadTemplateFromURL")
        self.template_body = None
        if self.template_url:
            self.template_body = read_template(self.template_url, account_id, region_name)
            if not params.get("DisableTemplateValidation"):
                check_template(self.template_body, self.template_url)
        self.active = True
        self.guidance = "DEFAULT"
        self.created_time = utcnow()

    def detail(self) -> dict[str, Any]:
        return {"Id": self.id, "Name": self.name, "Description": self.description, "Type": self.type,
                "CreatedTime": self.created_time, "Active": self.active, "Guidance": self.guidance}

    def summary(self) -> dict[str, Any]:
        return {"Id": self.id, "Name": self.name, "Description": self.description,
                "CreatedTime": self.created_time, "Guidance": self.guidance}


class Constraint(BaseModel):
    TYPES = ("LAUNCH", "NOTIFICATION", "RESOURCE_UPDATE", "STACKSET", "TEMPLATE")

    def __init__(self, owner: str, portfolio_id: str, product_id: str, kind: str, parameters: str,
                 description: str | None):
        self.id = new_id("cons-", 13)
        self.owner = owner
        self.portfolio_id = portfolio_id
        self.product_id = product_id
        self.type = kind
        self.parameters = parameters
        self.description = description or ""
        self.status = "AVAILABLE"

    def detail(self) -> dict[str, Any]:
        return {"ConstraintId": self.id, "Type": self.type, "Description": self.description,
                "Owner": self.owner, "ProductId": self.product_id, "PortfolioId": self.portfolio_id}


class Record(BaseModel):
    def __init__(self, kind: str, pp: "ProvisionedProduct", tags: list[dict[str, str]] | None = None):
        self.id = new_id("rec-", 13)
        self.type = kind
        self.provisioned_product_id = pp.id
        self.provisioned_product_name = pp.name
        self.product_id = pp.product_id
        self.provisioning_artifact_id = pp.provisioning_artifact_id
        self.path_id = pp.path_id
        self.launch_role_arn = pp.launch_role_arn
        self.status = "IN_PROGRESS"
        self.errors: list[dict[str, str]] = []
        self.outputs: list[dict[str, str]] = []
        self.tags = tags or []
        self.created_time = self.updated_time = utcnow()

    def detail(self) -> dict[str, Any]:
        out = {
            "RecordId": self.id, "ProvisionedProductName": self.provisioned_product_name,
            "Status": self.status, "CreatedTime": self.created_time, "UpdatedTime": self.updated_time,
            "ProvisionedProductType": "CFN_STACK", "RecordType": self.type,
            "ProvisionedProductId": self.provisioned_product_id, "ProductId": self.product_id,
            "ProvisioningArtifactId": self.provisioning_artifact_id, "PathId": self.path_id,
            "RecordErrors": self.errors, "RecordTags": self.tags, "LaunchRoleArn": self.launch_role_arn,
        }
        return {k: v for k, v in out.items() if v is not None}


class ProvisionedProduct(BaseModel):
    def __init__(self, account_id: str, region_name: str, name: str, product_id: str, artifact_id: str,
                 path_id: str | None, launch_role_arn: str | None, tags: list[dict[str, str]],
                 token: str | None, user_arn: str):
        from moto.utilities.utils import get_partition

        self.id = new_id("pp-", 13)
        self.name = name
        self.arn = f"arn:{get_partition(region_name)}:servicecatalog:{region_name}:{account_id}:stack/{name}/{self.id}"
        self.product_id = product_id
        self.provisioning_artifact_id = artifact_id
        self.path_id = path_id
        self.launch_role_arn = launch_role_arn
        self.tags = tags
        self.idempotency_token = token
        self.user_arn = user_arn
        self.status = "UNDER_CHANGE"
        self.status_message = ""
        self.stack_id: str | None = None
        self.created_time = utcnow()
        self.last_record_id = ""
        self.last_provisioning_record_id = ""
        self.last_successful_record_id = ""

    def detail(self) -> dict[str, Any]:
        out = {
            "Name": self.name, "Arn": self.arn, "Type": "CFN_STACK", "Id": self.id, "Status": self.status,
            "StatusMessage": self.status_message or None, "CreatedTime": self.created_time,
            "IdempotencyToken": self.idempotency_token, "LastRecordId": self.last_record_id,
            "LastProvisioningRecordId": self.last_provisioning_record_id,
            "LastSuccessfulProvisioningRecordId": self.last_successful_record_id or None,
            "ProductId": self.product_id, "ProvisioningArtifactId": self.provisioning_artifact_id,
            "LaunchRoleArn": self.launch_role_arn,
        }
        return {k: v for k, v in out.items() if v is not None}

    def attributes(self) -> dict[str, Any]:
        out = self.detail()
        out.pop("LaunchRoleArn", None)
        out.update({"Tags": self.tags, "PhysicalId": self.stack_id, "UserArn": self.user_arn,
                    "UserArnSession": self.user_arn})
        return {k: v for k, v in out.items() if v is not None}


# --------------------------------------------------------------------------- lookups and access


def _setup(backend: Any) -> None:
    backend.artifacts = {}           # product id -> [ProvisioningArtifact]
    backend.portfolio_products = {}  # portfolio id -> [product id]
    backend.launch_paths = {}        # (portfolio id, product id) -> path id
    backend.principals = {}          # portfolio id -> [{"PrincipalARN", "PrincipalType"}]
    backend.constraints = {}         # constraint id -> Constraint
    backend.provisioned = {}         # provisioned product id -> ProvisionedProduct
    backend.records = {}             # record id -> Record
    backend.accepted_shares = {}     # portfolio id -> (share type, imported Portfolio)


def _portfolio(backend: Any, portfolio_id: str) -> Any:
    portfolio = backend.portfolios.get(portfolio_id)
    if portfolio is None and portfolio_id in backend.accepted_shares:
        portfolio = backend.accepted_shares[portfolio_id][1]
    if portfolio is None:
        raise _not_found(f"Portfolio {portfolio_id} not found.")
    return portfolio


def _product(backend: Any, product_id: str) -> Any:
    product = backend.products.get(product_id)
    if product is None:
        raise _not_found(f"Product {product_id} not found.")
    return product


def _artifact(backend: Any, product_id: str, artifact_id: str | None = None, name: str | None = None) -> ProvisioningArtifact:
    artifacts = backend.artifacts.get(product_id, [])
    for artifact in artifacts:
        if (artifact_id and artifact.id == artifact_id) or (not artifact_id and name and artifact.name == name):
            return artifact
    raise _not_found(f"Provisioning artifact {artifact_id or name} not found for product {product_id}.")


def _principal_matches(entry: dict[str, str], caller: str) -> bool:
    """Whether an associated principal admits the caller (IAM ARN, or IAM_PATTERN wildcards)."""
    candidates = {caller}
    if caller.startswith("arn:aws:sts::") and ":user/" in caller:
        # moto's identity for credentials it did not issue: the IAM user it names
        candidates.add(caller.replace("arn:aws:sts::", "arn:aws:iam::", 1))
    if ":assumed-role/" in caller:  # arn:aws:sts::ACCT:assumed-role/NAME/SESSION -> role NAME
        prefix, _, rest = caller.partition(":assumed-role/")
        account = prefix.split(":")[4]
        role = rest.split("/")[0]
        candidates.add(f"arn:aws:iam::{account}:role/{role}")
    arn = entry["PrincipalARN"]
    for candidate in candidates:
        if entry.get("PrincipalType") == "IAM_PATTERN" and fnmatch.fnmatchcase(candidate, arn):
            return True
        if candidate == arn:
            return True
        # a role ARN with a path names the same role as the one without it
        if ":role/" in arn and ":role/" in candidate and arn.split(":")[4] == candidate.split(":")[4] \
                and arn.rsplit("/", 1)[-1] == candidate.rsplit("/", 1)[-1]:
            return True
    return False


def caller_portfolios(backend: Any, caller: str) -> list[str]:
    return [pid for pid, entries in backend.principals.items()
            if (pid in backend.portfolios or pid in backend.accepted_shares)
            and any(_principal_matches(e, caller) for e in entries)]


def _launch_paths(backend: Any, product_id: str, caller: str) -> list[tuple[str, str]]:
    """(path id, portfolio id) of the caller's launch paths for a product."""
    allowed = set(caller_portfolios(backend, caller))
    return [(backend.launch_paths[(pid, product_id)], pid)
            for pid, products in backend.portfolio_products.items()
            if product_id in products and pid in allowed]


def _end_user_product(backend: Any, product_id: str, caller: str) -> Any:
    product = backend.products.get(product_id)
    if product is None or not _launch_paths(backend, product_id, caller):
        raise _not_found(f"Product {product_id} not found.")
    return product


def _product_view(product: Any) -> dict[str, Any]:
    view = product.to_dict()
    view["Id"] = f"prodview-{product.id[5:]}"
    view["HasDefaultPath"] = False
    return {k: v for k, v in view.items() if v is not None}


# --------------------------------------------------------------------------- admin operations


def create_portfolio(self: Any, accept_language: Any, display_name: str, description: str | None,
                     provider_name: str, tags: list | None, idempotency_token: str | None) -> Any:
    from moto.servicecatalog.models import Portfolio

    _limit(display_name, "DisplayName", 1, 100)
    _limit(provider_name, "ProviderName", 1, 50)
    if idempotency_token and idempotency_token in self.idempotency_tokens:
        portfolio = self.portfolios[self.idempotency_tokens[idempotency_token]]
        return portfolio.to_dict(), portfolio.tags
    portfolio = Portfolio(portfolio_id=new_id("port-", 13), display_name=display_name,
                          description=description or "", provider_name=provider_name, tags=tags or [],
                          region_name=self.region_name, account_id=self.account_id, backend=self)
    self.portfolios[portfolio.id] = portfolio
    self.portfolio_access[portfolio.id] = []
    if idempotency_token:
        self.idempotency_tokens[idempotency_token] = portfolio.id
    return portfolio.to_dict(), portfolio.tags


def update_portfolio(self: Any, portfolio_id: str, display_name: str | None, description: str | None,
                     provider_name: str | None, add_tags: list | None, remove_tags: list | None) -> Any:
    portfolio = _portfolio(self, portfolio_id)
    if display_name is not None:
        _limit(display_name, "DisplayName", 1, 100)
        portfolio.display_name = display_name
    if description is not None:
        portfolio.description = description
    if provider_name is not None:
        _limit(provider_name, "ProviderName", 1, 50)
        portfolio.provider_name = provider_name
    if add_tags:
        self._tag_resource(portfolio.arn, add_tags)
    if remove_tags:
        self.tagger.untag_resource_using_names(portfolio.arn, remove_tags)
    portfolio.tags = self._list_tags_for_resource(portfolio.arn)
    return portfolio


def delete_portfolio(self: Any, accept_language: Any, id: str) -> None:
    _portfolio(self, id)
    if id in self.accepted_shares:
        raise _invalid(f"Portfolio {id} is shared with this account; it cannot be deleted here.")
    if self.portfolio_products.get(id):
        raise _in_use(f"Portfolio {id} has products associated with it; disassociate them first.")
    if self.principals.get(id):
        raise _in_use(f"Portfolio {id} has principals associated with it; disassociate them first.")
    if any(c.portfolio_id == id for c in self.constraints.values()):
        raise _in_use(f"Portfolio {id} has constraints; delete them first.")
    self.portfolios.pop(id)
    self.portfolio_access.pop(id, None)


def create_product(self: Any, **kwargs: Any) -> Any:
    _limit(kwargs.get("name"), "Name", 1, 8191)
    _limit(kwargs.get("owner"), "Owner", 1, 8191)
    product_type = kwargs.get("product_type")
    if product_type not in ("CLOUD_FORMATION_TEMPLATE", "MARKETPLACE", "TERRAFORM_OPEN_SOURCE",
                            "TERRAFORM_CLOUD", "EXTERNAL"):
        raise _invalid(f"Invalid ProductType: {product_type}")
    token = kwargs.get("idempotency_token")
    if token and token in self.idempotency_tokens and self.idempotency_tokens[token] in self.products:
        return self.products[self.idempotency_tokens[token]]
    params = kwargs.get("provisioning_artifact_parameters")
    if not params:
        raise _invalid("ProvisioningArtifactParameters is required")
    # the artifact is checked before the product exists: a bad template creates nothing
    artifact = ProvisioningArtifact("", params, self.account_id, self.region_name)
    product = create_product.original(self, **kwargs)
    artifact.product_id = product.id
    self.artifacts[product.id] = [artifact]
    return product


def delete_product(self: Any, accept_language: Any, id: str) -> None:
    _product(self, id)
    in_use = [pid for pid, products in self.portfolio_products.items() if id in products]
    if in_use:
        raise _in_use(f"Product {id} is associated with portfolio(s) {', '.join(in_use)}; disassociate it first.")
    if any(pp.product_id == id for pp in self.provisioned.values()):
        raise _in_use(f"Product {id} has provisioned products; terminate them first.")
    self.products.pop(id)
    self.artifacts.pop(id, None)


def update_product(self: Any, product_id: str, fields: dict[str, Any], add_tags: list | None,
                   remove_tags: list | None) -> Any:
    product = _product(self, product_id)
    for key, attr in (("Name", "name"), ("Owner", "owner"), ("Description", "description"),
                      ("Distributor", "distributor"), ("SupportDescription", "support_description"),
                      ("SupportEmail", "support_email"), ("SupportUrl", "support_url")):
        if fields.get(key) is not None:
            setattr(product, attr, fields[key])
    if add_tags:
        self._tag_resource(product.arn, add_tags)
    if remove_tags:
        self.tagger.untag_resource_using_names(product.arn, remove_tags)
    product.tags = self._list_tags_for_resource(product.arn)
    return product


def create_provisioning_artifact(self: Any, product_id: str, params: dict[str, Any]) -> ProvisioningArtifact:
    _product(self, product_id)
    artifact = ProvisioningArtifact(product_id, params, self.account_id, self.region_name)
    if any(a.name == artifact.name for a in self.artifacts.get(product_id, [])):
        raise _duplicate(f"Provisioning artifact {artifact.name} already exists for product {product_id}.")
    self.artifacts.setdefault(product_id, []).append(artifact)
    return artifact


def delete_provisioning_artifact(self: Any, product_id: str, artifact_id: str) -> None:
    artifact = _artifact(self, _product(self, product_id).id, artifact_id)
    if len(self.artifacts[product_id]) == 1:
        raise _in_use(f"Provisioning artifact {artifact_id} is the only one of product {product_id}.")
    if any(pp.provisioning_artifact_id == artifact_id for pp in self.provisioned.values()):
        raise _in_use(f"Provisioning artifact {artifact_id} is used by provisioned products.")
    self.artifacts[product_id].remove(artifact)


def associate_product(self: Any, product_id: str, portfolio_id: str) -> None:
    _product(self, product_id)
    _portfolio(self, portfolio_id)
    products = self.portfolio_products.setdefault(portfolio_id, [])
    if product_id not in products:
        products.append(product_id)
        self.launch_paths[(portfolio_id, product_id)] = new_id("lpv3-", 13)


def disassociate_product(self: Any, product_id: str, portfolio_id: str) -> None:
    _portfolio(self, portfolio_id)
    products = self.portfolio_products.get(portfolio_id, [])
    if product_id not in products:
        raise _not_found(f"Product {product_id} is not associated with portfolio {portfolio_id}.")
    if any(c.portfolio_id == portfolio_id and c.product_id == product_id for c in self.constraints.values()):
        raise _in_use(f"Product {product_id} has constraints in portfolio {portfolio_id}; delete them first.")
    products.remove(product_id)
    self.launch_paths.pop((portfolio_id, product_id), None)


def associate_principal(self: Any, portfolio_id: str, principal_arn: str, principal_type: str) -> None:
    _portfolio(self, portfolio_id)
    if principal_type not in ("IAM", "IAM_PATTERN"):
        raise _invalid(f"Invalid PrincipalType: {principal_type}")
    if principal_type == "IAM" and not (principal_arn or "").startswith("arn:aws:iam::"):
        raise _invalid(f"Invalid PrincipalARN: {principal_arn}")
    entries = self.principals.setdefault(portfolio_id, [])
    if not any(e["PrincipalARN"] == principal_arn for e in entries):
        entries.append({"PrincipalARN": principal_arn, "PrincipalType": principal_type})


def disassociate_principal(self: Any, portfolio_id: str, principal_arn: str) -> None:
    _portfolio(self, portfolio_id)
    entries = self.principals.get(portfolio_id, [])
    kept = [e for e in entries if e["PrincipalARN"] != principal_arn]
    if len(kept) == len(entries):
        raise _not_found(f"Principal {principal_arn} is not associated with portfolio {portfolio_id}.")
    self.principals[portfolio_id] = kept


def _check_constraint(self: Any, kind: str, parameters: Any, portfolio_id: str, product_id: str) -> str:
    if kind not in Constraint.TYPES:
        raise _invalid(f"Invalid constraint type: {kind}")
    try:
        params = json.loads(parameters) if isinstance(parameters, str) else parameters
    except ValueError:
        raise _invalid("Parameters must be valid JSON") from None
    if not isinstance(params, dict):
        raise _invalid("Parameters must be a JSON object")
    if kind == "LAUNCH":
        if bool(params.get("RoleArn")) == bool(params.get("LocalRoleName")):
            raise _invalid("A LAUNCH constraint needs exactly one of RoleArn or LocalRoleName")
        if any(c.type == "LAUNCH" and c.portfolio_id == portfolio_id and c.product_id == product_id
               for c in self.constraints.values()):
            raise _duplicate(f"Product {product_id} already has a LAUNCH constraint in portfolio {portfolio_id}.")
        if params.get("RoleArn"):
            launch_role(self.account_id, params["RoleArn"])
    elif kind == "NOTIFICATION" and not params.get("NotificationArns"):
        raise _invalid("A NOTIFICATION constraint needs NotificationArns")
    elif kind == "RESOURCE_UPDATE":
        value = (params.get("Properties") or {}).get("TagUpdateOnProvisionedProduct")
        if value not in ("ALLOWED", "NOT_ALLOWED"):
            raise _invalid("TagUpdateOnProvisionedProduct must be ALLOWED or NOT_ALLOWED")
    elif kind == "TEMPLATE" and not params.get("Rules"):
        raise _invalid("A TEMPLATE constraint needs Rules")
    return json.dumps(params)


def launch_role(account_id: str, role_arn: str) -> str:
    """The launch role exists and trusts Service Catalog (else Service Catalog cannot assume it)."""
    from moto.iam.models import iam_backends

    iam = iam_backends[account_id]["aws"]
    name = role_arn.rsplit("/", 1)[-1]
    role = next((r for r in iam.roles.values() if r.arn == role_arn or (":role/" not in role_arn and r.name == name)), None)
    if role is None:
        role = next((r for r in iam.roles.values() if r.name == name and r.arn.split(":")[4] == account_id), None)
    if role is None:
        raise _invalid(f"Role {role_arn} does not exist or cannot be assumed by Service Catalog.")
    trust = role.assume_role_policy_document
    try:
        doc = json.loads(trust) if isinstance(trust, str) else trust
    except ValueError:
        doc = {}
    statements = doc.get("Statement", []) if isinstance(doc, dict) else []
    statements = [statements] if isinstance(statements, dict) else statements
    for st in statements:
        principal = st.get("Principal", {}) if st.get("Effect") == "Allow" else {}
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        services = [services] if isinstance(services, str) else services
        actions = st.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if "servicecatalog.amazonaws.com" in services and any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            return role.arn
    raise _invalid(f"Role {role_arn} does not trust servicecatalog.amazonaws.com; Service Catalog cannot assume it.")


def create_constraint(self: Any, portfolio_id: str, product_id: str, kind: str, parameters: Any,
                      description: str | None) -> Constraint:
    _portfolio(self, portfolio_id)
    _product(self, product_id)
    if product_id not in self.portfolio_products.get(portfolio_id, []):
        raise _not_found(f"Product {product_id} is not associated with portfolio {portfolio_id}.")
    params = _check_constraint(self, kind, parameters, portfolio_id, product_id)
    constraint = Constraint(self.account_id, portfolio_id, product_id, kind, params, description)
    self.constraints[constraint.id] = constraint
    return constraint


def _constraint(self: Any, constraint_id: str) -> Constraint:
    constraint = self.constraints.get(constraint_id)
    if constraint is None:
        raise _not_found(f"Constraint {constraint_id} not found.")
    return constraint


# --------------------------------------------------------------------------- provisioning


def _launch_role_arn(self: Any, portfolio_id: str, product_id: str) -> str | None:
    for c in self.constraints.values():
        if c.type == "LAUNCH" and c.portfolio_id == portfolio_id and c.product_id == product_id:
            params = json.loads(c.parameters)
            if params.get("RoleArn"):
                return launch_role(self.account_id, params["RoleArn"])
            return launch_role(self.account_id, f"arn:aws:iam::{self.account_id}:role/{params['LocalRoleName']}")
    return None


def _stack_parameters(params: list[dict[str, Any]] | None) -> dict[str, str]:
    return {p["Key"]: p["Value"] for p in params or [] if "Key" in p}


def _run_stack(self: Any, pp: ProvisionedProduct, record: Record, action: Any) -> None:
    """Run a stack operation for a record; record its outcome as Service Catalog does."""
    from moto.cloudformation.models import cloudformation_backends

    cfn = cloudformation_backends[self.account_id][self.region_name]
    try:
        stack = action(cfn)
        status = getattr(stack, "status", "") if stack is not None else "DELETE_COMPLETE"
        if status.endswith("FAILED") or "ROLLBACK" in status:
            reason = next((e.resource_status_reason for e in reversed(getattr(stack, "events", []))
                           if getattr(e, "resource_status_reason", None)
                           and str(getattr(e, "resource_status", "")).endswith("FAILED")), status)
            raise RuntimeError(reason)
    except Exception as exc:  # the stack failed: the record fails, the product is in error
        message = getattr(exc, "message", None) or str(exc)
        record.status = "FAILED"
        record.errors = [{"Code": "ProvisioningFailed", "Description": message}]
        pp.status = "ERROR" if record.type == "PROVISION_PRODUCT" else "TAINTED"
        pp.status_message = message
    else:
        record.status = "SUCCEEDED"
        if stack is not None:
            pp.stack_id = stack.stack_id
            record.outputs = [{"OutputKey": "CloudformationStackARN", "OutputValue": stack.stack_id,
                               "Description": "The ARN of the launched Cloudformation Stack"}]
            record.outputs += [{"OutputKey": o["OutputKey"], "OutputValue": o["OutputValue"],
                                **({"Description": o["Description"]} if o.get("Description") else {})}
                               for o in (stack.outputs or [])]
        pp.status = "AVAILABLE"
        pp.status_message = ""
        pp.last_successful_record_id = record.id
    record.updated_time = utcnow()
    pp.last_record_id = record.id
    self.records[record.id] = record


def provision_product(self: Any, caller: str, product_id: str | None, product_name: str | None,
                      artifact_id: str | None, artifact_name: str | None, path_id: str | None,
                      name: str, parameters: list | None, tags: list | None, token: str | None) -> Record:
    if token:
        for pp in self.provisioned.values():
            if pp.idempotency_token == token:
                return self.records[pp.last_provisioning_record_id]
    if product_id is None and product_name:
        product_id = next((p.id for p in self.products.values() if p.name == product_name), None)
    if not product_id:
        raise _invalid("ProductId or ProductName is required")
    _end_user_product(self, product_id, caller)
    artifact = _artifact(self, product_id, artifact_id, artifact_name)
    if not artifact.active:
        raise _invalid(f"Provisioning artifact {artifact.id} is not active.")
    _limit(name, "ProvisionedProductName", 1, 128)
    if any(pp.name == name for pp in self.provisioned.values()):
        raise _duplicate(f"A provisioned product with the name {name} already exists.")
    paths = _launch_paths(self, product_id, caller)
    if path_id is None and len(paths) > 1:
        raise _invalid(f"Product {product_id} has more than one launch path; specify PathId.")
    path = next(((p, pf) for p, pf in paths if path_id in (None, p)), None)
    if path is None:
        raise _not_found(f"Launch path {path_id} not found for product {product_id}.")
    portfolio_id = path[1]
    role_arn = _launch_role_arn(self, portfolio_id, product_id)
    if artifact.template_body is None:
        raise _invalid(f"Provisioning artifact {artifact.id} has no template the emulator can launch.")
    pp = ProvisionedProduct(self.account_id, self.region_name, name, product_id, artifact.id, path[0],
                            role_arn, list(tags or []), token, caller)
    product = self.products[product_id]
    stack_tags = {t["Key"]: t["Value"] for t in tags or []}
    stack_tags.update({
        "aws:servicecatalog:portfolioArn": self.portfolios[portfolio_id].arn,
        "aws:servicecatalog:productArn": product.arn,
        "aws:servicecatalog:provisionedProductArn": pp.arn,
        "aws:servicecatalog:provisioningArtifactIdentifier": artifact.id,
        "aws:servicecatalog:provisioningPrincipalArn": caller,
    })
    record = Record("PROVISION_PRODUCT", pp, tags)
    pp.last_provisioning_record_id = record.id
    self.provisioned[pp.id] = pp
    stack_name = f"SC-{self.account_id}-{pp.id}"
    _run_stack(self, pp, record, lambda cfn: cfn.create_stack(
        name=stack_name, template=artifact.template_body, parameters=_stack_parameters(parameters),
        tags=stack_tags, role_arn=role_arn))
    return record


def _provisioned(self: Any, pp_id: str | None, name: str | None) -> ProvisionedProduct:
    for pp in self.provisioned.values():
        if (pp_id and pp.id == pp_id) or (not pp_id and name and pp.name == name):
            return pp
    raise _not_found(f"Provisioned product {pp_id or name} not found.")


def update_provisioned_product(self: Any, pp_id: str | None, name: str | None, artifact_id: str | None,
                               parameters: list | None, tags: list | None) -> Record:
    pp = _provisioned(self, pp_id, name)
    if pp.status == "UNDER_CHANGE":
        raise _invalid(f"Provisioned product {pp.id} is under change.")
    artifact = _artifact(self, pp.product_id, artifact_id or pp.provisioning_artifact_id)
    pp.provisioning_artifact_id = artifact.id
    if tags is not None:
        pp.tags = tags
    record = Record("UPDATE_PROVISIONED_PRODUCT", pp, tags)
    pp.last_provisioning_record_id = record.id
    if pp.stack_id is None:
        raise _invalid(f"Provisioned product {pp.id} has no stack to update.")
    previous = _stack_parameters(parameters)

    def update(cfn: Any) -> Any:
        stack = cfn.get_stack(pp.stack_id)
        keys = set(stack.parameters) | set(previous)
        params = [{"ParameterKey": k, "ParameterValue": previous[k]} if k in previous
                  else {"ParameterKey": k, "UsePreviousValue": True} for k in keys]
        try:
            return cfn.update_stack(name=pp.stack_id, template=artifact.template_body, role_arn=pp.launch_role_arn,
                                    parameters=params, tags=None)
        except Exception as exc:  # nothing changed: Service Catalog records a successful update
            if "No updates are to be performed" not in str(exc):
                raise
            return stack

    _run_stack(self, pp, record, update)
    return record


def terminate_provisioned_product(self: Any, pp_id: str | None, name: str | None, retain: bool,
                                  ignore_errors: bool) -> Record:
    pp = _provisioned(self, pp_id, name)
    record = Record("TERMINATE_PROVISIONED_PRODUCT", pp)

    def terminate(cfn: Any) -> None:
        if pp.stack_id and not retain:
            cfn.delete_stack(pp.stack_id)
        return None

    _run_stack(self, pp, record, terminate)
    if record.status == "SUCCEEDED" or ignore_errors:
        self.provisioned.pop(pp.id, None)
    return record


def enable_sagemaker_portfolio(account_id: str, region_name: str) -> None:
    """Accept the share of the SageMaker-provided portfolio (owned by AWS, imported here)."""
    from moto.servicecatalog.models import Portfolio

    backend = _backend(account_id, region_name)
    if any(kind == "AWS_SERVICECATALOG" for kind, _ in backend.accepted_shares.values()):
        return
    portfolio = Portfolio(portfolio_id=new_id("port-", 13), display_name=SAGEMAKER_PORTFOLIO_NAME,
                          description="This portfolio contains the products provided by Amazon SageMaker",
                          provider_name="Amazon SageMaker", tags=[], region_name=region_name,
                          account_id=account_id, backend=backend)
    backend.accepted_shares[portfolio.id] = ("AWS_SERVICECATALOG", portfolio)


def _install_backend() -> None:
    from moto.servicecatalog.models import Product, ServiceCatalogBackend

    extend_init(ServiceCatalogBackend, _setup)
    for fn in (create_portfolio, update_portfolio, delete_portfolio, create_product, delete_product,
               update_product, create_provisioning_artifact, delete_provisioning_artifact, associate_product,
               disassociate_product, associate_principal, disassociate_principal, create_constraint,
               provision_product, update_provisioned_product, terminate_provisioned_product):
        override(ServiceCatalogBackend)(fn)

    @override(Product)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        backend = kwargs.get("backend")
        tags = kwargs.get("tags")
        kwargs["tags"] = None  # tagged below, under the AWS-shaped id
        __init__.original(self, *args, **kwargs)
        self.id = new_id("prod-", 13)
        self.tags = tags or []
        if tags and backend is not None:
            backend._tag_resource(self.arn, tags)

    @override(Product)
    def to_dict(self: Any) -> dict[str, Any]:
        out = to_dict.original(self)
        out["Id"] = f"prodview-{self.id[5:]}"
        return out



def install() -> None:
    _install_backend()
    file_under("servicecatalog", ProvisioningArtifact, Constraint, Record, ProvisionedProduct)
