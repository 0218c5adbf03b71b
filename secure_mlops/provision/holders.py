"""What keeps a subnet, security group or VPC from being deleted, and what to do about it.

When CloudFormation cannot delete a network resource ("has dependencies", "dependent object"),
``destroy`` asks the account what still uses it, read-only:

* network interfaces in it (``ec2:DescribeNetworkInterfaces``), recognised as the EFS mount
  targets of Studio's home directories (``efs:DescribeMountTargets``; they hold data: destroy
  keeps the network for them), as a SageMaker notebook instance's (``DescribeNotebookInstance``
  names its interface), or shown as they are (id, description, type, requester);
* SageMaker notebook instances and endpoints configured in it (the notebook's subnet and
  security groups; the VPC configuration of an endpoint's models), whose interfaces SageMaker
  manages;
* security groups whose rules refer to a security group;
* for a VPC, the subnets and security groups still in it.

Each holder comes with what to do about it. Before deleting anything, ``destroy`` also asks
``sagemaker_workloads`` which notebook instances and endpoints run in the environment's subnets
or security groups. Nothing here changes anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SUBNET, SECURITY_GROUP, VPC = "AWS::EC2::Subnet", "AWS::EC2::SecurityGroup", "AWS::EC2::VPC"
NETWORK_TYPES = (SUBNET, SECURITY_GROUP, VPC)
#: words of CloudFormation's reasons when a network resource is still in use
IN_USE_WORDS = ("dependen", "in use")
#: endpoints in these states no longer hold anything
GONE = {"Deleting", "DeleteCompleted"}


@dataclass(frozen=True)
class Holder:
    what: str  # "network interface eni-1 (EFS mount target fsmt-1 of fs-1)"
    fix: str  # what to do, with the commands
    keeps_data: bool = False  # an EFS mount target of Studio's home directories: kept with them


def in_use(reason: str) -> bool:
    reason = reason.lower()
    return any(word in reason for word in IN_USE_WORDS)


def _paged(client, operation: str, key: str, **kwargs) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        out.extend(page.get(key, []))
    return out


def _notebooks(sm) -> list[dict[str, Any]]:
    found = []
    for summary in _paged(sm, "list_notebook_instances", "NotebookInstances"):
        found.append(sm.describe_notebook_instance(NotebookInstanceName=summary["NotebookInstanceName"]))
    return found


def _endpoints(sm) -> list[tuple[str, set[str], set[str]]]:
    """(endpoint name, subnets, security groups of its models' VPC configuration)."""
    import botocore.exceptions

    found = []
    for summary in _paged(sm, "list_endpoints", "Endpoints"):
        if summary.get("EndpointStatus") in GONE:
            continue
        name = summary["EndpointName"]
        subnets: set[str] = set()
        groups: set[str] = set()
        try:
            config = sm.describe_endpoint(EndpointName=name)["EndpointConfigName"]
            variants = sm.describe_endpoint_config(EndpointConfigName=config).get("ProductionVariants", [])
            for model in {v["ModelName"] for v in variants if v.get("ModelName")}:
                vpc = sm.describe_model(ModelName=model).get("VpcConfig") or {}
                subnets.update(vpc.get("Subnets", []))
                groups.update(vpc.get("SecurityGroupIds", []))
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("ValidationException", "ResourceNotFound"):
                continue  # deleted meanwhile (its config or model may be gone: then it holds nothing we can name)
            raise
        found.append((name, subnets, groups))
    return found


def _notebook_holder(aws: str, name: str) -> Holder:
    return Holder(
        f"SageMaker notebook instance {name}",
        "save its work first (its ML storage volume is deleted with it), then "
        f"`{aws} sagemaker stop-notebook-instance --notebook-instance-name {name}`, "
        f"`{aws} sagemaker wait notebook-instance-stopped --notebook-instance-name {name}`, "
        f"`{aws} sagemaker delete-notebook-instance --notebook-instance-name {name}`")


def _endpoint_holder(aws: str, name: str) -> Holder:
    return Holder(
        f"SageMaker endpoint {name}",
        f"`{aws} sagemaker delete-endpoint --endpoint-name {name}` (its endpoint configuration, model and "
        "model artifacts stay); SageMaker releases its network interfaces a few minutes later")


def _eni_holder(aws: str, eni: dict[str, Any]) -> Holder:
    parts = [f"type {eni.get('InterfaceType', 'interface')}", f"status {eni.get('Status', '?')}"]
    if eni.get("Description"):
        parts.insert(0, f"description {eni['Description']!r}")
    if eni.get("RequesterId"):
        parts.append(f"requested by {eni['RequesterId']}")
    instance = (eni.get("Attachment") or {}).get("InstanceId")
    if instance:
        parts.append(f"attached to {instance}")
    eni_id = eni["NetworkInterfaceId"]
    fix = (f"find what created it (`{aws} ec2 describe-network-interfaces --network-interface-ids {eni_id}`: "
           "a job or Lambda function still running, a load balancer, ...) and remove that")
    if eni.get("Status") == "available" and not eni.get("RequesterManaged"):
        fix += f"; an interface of your own that is no longer used: `{aws} ec2 delete-network-interface " \
               f"--network-interface-id {eni_id}`"
    return Holder(f"network interface {eni_id} ({', '.join(parts)})", fix)


def sagemaker_workloads(session, subnets: set[str], groups: set[str], aws: str = "aws",
                        notebooks: list[dict[str, Any]] | None = None) -> list[Holder]:
    """SageMaker notebook instances and endpoints that run in `subnets` or with `groups` (reads only).

    From their configuration (a notebook's subnet and security groups, the VPC configuration of an
    endpoint's models): SageMaker puts their network interfaces there.
    """
    sm = session.client("sagemaker")
    found: list[Holder] = []
    for nb in _notebooks(sm) if notebooks is None else notebooks:
        if nb.get("NotebookInstanceStatus") == "Deleting":
            continue
        if nb.get("SubnetId") in subnets or groups & set(nb.get("SecurityGroups") or []):
            found.append(_notebook_holder(aws, nb["NotebookInstanceName"]))
    for name, ep_subnets, ep_groups in _endpoints(sm):
        if ep_subnets & subnets or ep_groups & groups:
            found.append(_endpoint_holder(aws, name))
    return found


def network_holders(session, resource_type: str, physical_id: str, efs_ids: list[str],
                    aws: str = "aws", own: frozenset[str] | set[str] = frozenset()) -> list[Holder]:
    """What uses the subnet, security group or VPC `physical_id` (reads only).

    `efs_ids`: the Studio home-directory file systems of the stack; `aws`: the AWS CLI prefix
    for the commands shown; `own`: the physical ids of the stack's resources (a VPC's own
    subnets and security groups are not named as holders). Raises botocore's ClientError when
    the account cannot be read.
    """
    ec2 = session.client("ec2")
    pid = physical_id
    if resource_type == SUBNET:
        subnets, group = {pid}, None
        enis = _paged(ec2, "describe_network_interfaces", "NetworkInterfaces",
                      Filters=[{"Name": "subnet-id", "Values": [pid]}])
    elif resource_type == SECURITY_GROUP:
        subnets, group = set(), pid
        enis = _paged(ec2, "describe_network_interfaces", "NetworkInterfaces",
                      Filters=[{"Name": "group-id", "Values": [pid]}])
    elif resource_type == VPC:
        subnets = {s["SubnetId"] for s in _paged(ec2, "describe_subnets", "Subnets",
                                                  Filters=[{"Name": "vpc-id", "Values": [pid]}])}
        group = None
        enis = _paged(ec2, "describe_network_interfaces", "NetworkInterfaces",
                      Filters=[{"Name": "vpc-id", "Values": [pid]}])
    else:
        return []

    mount_targets: dict[str, tuple[str, str]] = {}  # eni -> (mount target, file system)
    efs = session.client("efs")
    file_systems = list(efs_ids)
    if enis:  # any file system's mount target in it (EFS answers for mount targets by file system)
        file_systems += [fs["FileSystemId"] for fs in _paged(efs, "describe_file_systems", "FileSystems")
                         if fs["FileSystemId"] not in efs_ids]
    for fs in file_systems:
        for mt in _paged(efs, "describe_mount_targets", "MountTargets", FileSystemId=fs):
            mount_targets[mt.get("NetworkInterfaceId", "")] = (mt["MountTargetId"], fs)

    holders: list[Holder] = []
    notebooks = _notebooks(session.client("sagemaker"))
    by_eni = {nb.get("NetworkInterfaceId"): nb["NotebookInstanceName"] for nb in notebooks if nb.get("NetworkInterfaceId")}
    for eni in enis:
        eni_id = eni["NetworkInterfaceId"]
        if eni_id in mount_targets and mount_targets[eni_id][1] in efs_ids:
            mt, fs = mount_targets[eni_id]
            holders.append(Holder(f"network interface {eni_id} of EFS mount target {mt} (Studio's home "
                                  f"directories, file system {fs})",
                                  "kept with the file system (destroy keeps both, and lists how to remove them)",
                                  keeps_data=True))
        elif eni_id in mount_targets:
            mt, fs = mount_targets[eni_id]
            holders.append(Holder(f"network interface {eni_id} of EFS mount target {mt} of file system {fs}",
                                  "the file system is not this environment's; if it should no longer be reachable "
                                  f"here: `{aws} efs delete-mount-target --mount-target-id {mt}` (the file system "
                                  "and its data stay)"))
        elif eni_id in by_eni:
            holders.append(_notebook_holder(aws, by_eni[eni_id]))
        else:
            holders.append(_eni_holder(aws, eni))
    holders += sagemaker_workloads(session, subnets, {group} if group else set(), aws, notebooks)
    if group:
        for rule_filter in ("ip-permission.group-id", "egress.ip-permission.group-id"):
            for other in _paged(ec2, "describe_security_groups", "SecurityGroups",
                                Filters=[{"Name": rule_filter, "Values": [group]}]):
                if other["GroupId"] == group:
                    continue
                holders.append(Holder(
                    f"security group {other['GroupId']} ({other.get('GroupName', '')}), whose rules refer to it",
                    f"remove those rules (`{aws} ec2 describe-security-groups --group-ids {other['GroupId']}`, "
                    f"then `ec2 revoke-security-group-ingress`/`revoke-security-group-egress`)"))
    if resource_type == VPC:
        for subnet in sorted(subnets - set(own)):
            holders.append(Holder(f"subnet {subnet}, not created by the stack",
                                  f"when nothing uses it: `{aws} ec2 delete-subnet --subnet-id {subnet}`"))
        for sg in _paged(ec2, "describe_security_groups", "SecurityGroups",
                         Filters=[{"Name": "vpc-id", "Values": [pid]}]):
            if sg.get("GroupName") != "default" and sg["GroupId"] not in own:
                holders.append(Holder(f"security group {sg['GroupId']} ({sg.get('GroupName', '')}), not created by the stack",
                                      f"when nothing uses it: `{aws} ec2 delete-security-group --group-id {sg['GroupId']}`"))
    return list(dict.fromkeys(holders))  # one line per holder, in the order found
