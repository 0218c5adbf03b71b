"""AWS CodeArtifact: the package mirror of internet-free environments (domain key, upstream
connections, resource policies)."""

from __future__ import annotations

from . import reader
from .compare import ABSENT


def _tags(r, arn: str) -> None:
    if "Tags" in r.properties:
        with r.section("Tags"):
            r.compare_tags(r.client("codeartifact").list_tags_for_resource(resourceArn=arn).get("tags", []))


def _policy(r, call, **kwargs) -> None:
    if r.declared("PermissionsPolicyDocument", default=None) is None:
        return
    with r.section("PermissionsPolicyDocument"):
        got = r.optional(call, ("ResourceNotFoundException",), **kwargs)
        r.compare("PermissionsPolicyDocument", ((got or {}).get("policy") or {}).get("document", ABSENT),
                  kind="policy")


@reader("AWS::CodeArtifact::Domain")
def domain(r):
    ca = r.client("codeartifact")
    name = r.required("DomainName")
    got = ca.describe_domain(domain=name)["domain"]
    r.attributes.update(Arn=got["arn"], Name=got["name"], Owner=got.get("owner"),
                        EncryptionKey=got.get("encryptionKey"))
    if r.physical_id not in (got["arn"], got["name"]):
        r.mismatch("PhysicalResourceId", got["arn"], r.physical_id, "the physical id does not name this domain")
    r.compare("DomainName", got["name"])
    r.compare("EncryptionKey", got.get("encryptionKey"), kind="kms")
    _tags(r, got["arn"])
    _policy(r, ca.get_domain_permissions_policy, domain=name)


@reader("AWS::CodeArtifact::Repository")
def repository(r):
    ca = r.client("codeartifact")
    domain_name, name = r.required("DomainName"), r.required("RepositoryName")
    owner = r.declared("DomainOwner", default=None)
    kwargs = {"domain": domain_name, "repository": name, **({"domainOwner": owner} if owner else {})}
    got = ca.describe_repository(**kwargs)["repository"]
    r.attributes.update(Arn=got["arn"], Name=got["name"], DomainName=got["domainName"],
                        DomainOwner=got.get("domainOwner"))
    if r.physical_id not in (got["arn"], got["name"]):
        r.mismatch("PhysicalResourceId", got["arn"], r.physical_id, "the physical id does not name this repository")
    r.compare("RepositoryName", got["name"])
    r.compare("DomainName", got["domainName"])
    r.compare("Upstreams", [u["repositoryName"] for u in got.get("upstreams", [])], kind="set", default=[])
    r.compare("ExternalConnections", [c["externalConnectionName"] for c in got.get("externalConnections", [])],
              kind="set", default=[])
    _tags(r, got["arn"])
    _policy(r, ca.get_repository_permissions_policy, **kwargs)
