"""AWS CodeBuild: build projects of the MLOps project templates (role, KMS key, VPC, privileges)."""

from __future__ import annotations

from . import reader


@reader("AWS::CodeBuild::Project")
def project(r):
    got = r.client("codebuild").batch_get_projects(names=[r.physical_id])
    if not got.get("projects"):
        r.mismatch("(resource)", r.physical_id, "not found by codebuild:BatchGetProjects", "missing")
        return
    p = got["projects"][0]
    r.attributes.update(Arn=p["arn"])
    r.compare("Name", p["name"])
    r.compare("ServiceRole", p.get("serviceRole"), kind="arn-or-name")
    r.compare("EncryptionKey", p.get("encryptionKey"), kind="kms")
    vpc = p.get("vpcConfig") or {}
    r.compare("VpcConfig.VpcId", vpc.get("vpcId"))
    r.compare("VpcConfig.Subnets", vpc.get("subnets"), kind="set")
    r.compare("VpcConfig.SecurityGroupIds", vpc.get("securityGroupIds"), kind="set")
    env = p.get("environment") or {}
    r.compare("Environment.Image", env.get("image"))
    r.compare("Environment.PrivilegedMode", env.get("privilegedMode", False), default=False)
    r.compare("Environment.EnvironmentVariables[*]",
              [f"{v['name']}={v.get('value')}" for v in env.get("environmentVariables", [])], kind="set",
              declared=[f"{v.get('Name')}={v.get('Value')}"
                        for v in r.declared("Environment.EnvironmentVariables", default=[])])
    r.compare("TimeoutInMinutes", p.get("timeoutInMinutes"))
    r.compare_tags([{"Key": t["key"], "Value": t["value"]} for t in p.get("tags", [])])
