"""The demo's gate step gates what provision gates, and names files relative to the current directory.

Review item 8: the demo's gate.json covered the three stack templates only (provision also gates
the rendered MLOps project templates) and recorded absolute install paths (.../site-packages/...).
"""

from __future__ import annotations

import json
from pathlib import Path

from secure_mlops.findings import Status


def test_the_demo_gates_what_provision_gates_with_relative_paths(config_file, tmp_path, monkeypatch):
    from secure_mlops.demo import gate_as_provision
    from secure_mlops.guardrails import gate as gate_module
    from secure_mlops.provision.config import load_config
    from secure_mlops.provision.gating import gate_templates
    from secure_mlops.provision.stacks import plan_stacks
    from secure_mlops.reports import render_gate

    cfg = load_config(config_file)
    monkeypatch.chdir(tmp_path)
    result = gate_as_provision(cfg, config_file, Path("secure-mlops-demo/templates"))
    doc = json.loads(render_gate(result, "json"))

    # what provision's own gate is handed, for the same configuration
    seen: list[list[Path]] = []
    real = gate_module.run_gate

    def spy(paths, **kwargs):
        seen.append([Path(p) for p in paths])
        return real(paths, **kwargs)

    monkeypatch.setattr(gate_module, "run_gate", spy)
    specs = plan_stacks(cfg)
    assert gate_templates(specs, None, {s.name: dict(s.parameters) for s in specs}, config_file).ok
    (provisioned,) = seen
    assert sorted(p.name for p in provisioned) == sorted(Path(f).name for f in doc["target"]["files"])
    assert doc["target"]["files"] == [
        "secure-mlops-demo/templates/artifacts.yaml", "secure-mlops-demo/templates/core.yaml",
        "secure-mlops-demo/templates/env.yaml",
        "secure-mlops-demo/templates/ds-team-dev-env/model-build-train.yaml",
        "secure-mlops-demo/templates/ds-team-dev-env/model-deploy.yaml"]

    # every finding names a file under the current directory that the user can open
    files = {f["file"] for f in doc["findings"]}
    assert files == set(doc["target"]["files"])
    for name in files:
        assert not Path(name).is_absolute() and ".." not in Path(name).parts and (tmp_path / name).is_file()
    # the rendered project templates were judged (their buckets, repositories and pipelines), and pass
    project = [f for f in result.findings if f.file.endswith("model-deploy.yaml")]
    assert {"S3-01", "ART-03"} <= {f.control_id for f in project}
    assert all(f.status is Status.PASS for f in result.findings), \
        [(f.control_id, f.file, f.message) for f in result.findings if f.status is not Status.PASS]
