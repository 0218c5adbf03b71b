"""AWS CodePipeline: pipelines of the MLOps project templates (role, artifact store key, stages)."""

from __future__ import annotations

from . import reader


def _actions(stages: list, cfn: bool) -> list[str]:
    """Each action as "stage/action: category/owner/provider" (what runs, in which stage)."""
    out = []
    for stage in stages or []:
        for action in stage.get("Actions" if cfn else "actions", []):
            kind = action.get("ActionTypeId" if cfn else "actionTypeId") or {}
            keys = ("Category", "Owner", "Provider") if cfn else ("category", "owner", "provider")
            name = stage.get("Name" if cfn else "name")
            out.append(f"{name}/{action.get('Name' if cfn else 'name')}: " + "/".join(str(kind.get(k)) for k in keys))
    return out


@reader("AWS::CodePipeline::Pipeline")
def pipeline(r):
    cp = r.client("codepipeline")
    got = cp.get_pipeline(name=r.physical_id)["pipeline"]
    r.attributes.update(Version=str(got.get("version")))
    r.compare("Name", got["name"])
    r.compare("RoleArn", got.get("roleArn"))
    store = got.get("artifactStore") or {}
    r.compare("ArtifactStore.Type", store.get("type"))
    r.compare("ArtifactStore.Location", store.get("location"))
    key = store.get("encryptionKey") or {}
    r.compare("ArtifactStore.EncryptionKey.Id", key.get("id"), kind="kms")
    r.compare("ArtifactStore.EncryptionKey.Type", key.get("type"))
    with r.section("Stages"):
        r.compare("Stages[*].Actions[*]", _actions(got.get("stages"), cfn=False), kind="set",
                  declared=_actions(r.declared("Stages", default=[]), cfn=True))
