"""How the audit scales, and how it compares with Prowler on the same emulator (a script, not a test).

For each N (default 100, 1,000, 5,000) it starts a fresh embedded emulator, seeds N resources
spread like the estate Prowler was measured on (30 % buckets, 30 % KMS keys, 20 % security
groups, 20 % SageMaker notebooks, training jobs and models), then runs, each in its own
process:

- ``secure-mlops audit --stats`` (every detective control), and
- Prowler's checks for the same services (``--services sagemaker s3 kms ec2 cloudtrail vpc``,
  the command line of ../shared/reference/tooling-facts.md), from its own venv,

and prints wall time, requests (counted by the emulator, and by the audit's own hook, per
operation), and peak memory, with the ratios. Prowler is installed with
``python3 -m venv /work/prowler-venv && /work/prowler-venv/bin/pip install prowler==5.46.0``.

    .venv/bin/python benchmarks/audit_scale.py                 # N = 100, 1000, 5000; Prowler at 1000
    .venv/bin/python benchmarks/audit_scale.py --sizes 1000 --prowler-at all
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROWLER = Path(os.environ.get("PROWLER_BIN", "/work/prowler-venv/bin/prowler"))
REGION = "us-east-1"
SHARE = {"bucket": 0.30, "key": 0.30, "security_group": 0.20, "notebook": 0.07, "training_job": 0.07, "model": 0.06}


def seed(session, n: int) -> dict[str, int]:
    """Create n resources (see SHARE); half of them deliberately non-compliant."""
    counts = {kind: int(round(n * share)) for kind, share in SHARE.items()}
    counts["bucket"] += n - sum(counts.values())
    s3, kms, ec2, sm, iam = (session.client(x) for x in ("s3", "kms", "ec2", "sagemaker", "iam"))
    role = iam.create_role(RoleName="bench-sagemaker", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    key0 = kms.create_key()["KeyMetadata"]["Arn"]

    def bucket(i):
        name = f"bench-{i:05d}"
        s3.create_bucket(Bucket=name)
        if i % 2:
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key0}}]})

    def key(i):
        k = kms.create_key()["KeyMetadata"]["KeyId"]
        if i % 2:
            kms.enable_key_rotation(KeyId=k)

    def security_group(i):
        g = ec2.create_security_group(GroupName=f"bench-{i}", Description="bench", VpcId=vpc)["GroupId"]
        cidr = "0.0.0.0/0" if i % 2 else "10.0.0.0/16"
        ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": cidr}]}])
        return g

    sgs = []

    def notebook(i):
        kw = {"SubnetId": subnet, "SecurityGroupIds": [sgs[0]], "DirectInternetAccess": "Disabled"} if i % 2 else {}
        sm.create_notebook_instance(NotebookInstanceName=f"bench-{i}", InstanceType="ml.t3.medium", RoleArn=role, **kw)

    def training_job(i):
        sm.create_training_job(
            TrainingJobName=f"bench-{i}", RoleArn=role,
            AlgorithmSpecification={"TrainingImage": f"123456789012.dkr.ecr.{REGION}.amazonaws.com/x:1",
                                    "TrainingInputMode": "File"},
            OutputDataConfig={"S3OutputPath": "s3://bench-00000/o"},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            StoppingCondition={"MaxRuntimeInSeconds": 60}, EnableNetworkIsolation=bool(i % 2))

    def model(i):
        sm.create_model(ModelName=f"bench-{i}", ExecutionRoleArn=role,
                        PrimaryContainer={"Image": f"123456789012.dkr.ecr.{REGION}.amazonaws.com/x:1"},
                        EnableNetworkIsolation=bool(i % 2))

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(bucket, range(counts["bucket"])))
        list(pool.map(key, range(counts["key"])))
        sgs.extend(pool.map(security_group, range(counts["security_group"])))
        list(pool.map(notebook, range(counts["notebook"])))
        list(pool.map(training_job, range(counts["training_job"])))
        list(pool.map(model, range(counts["model"])))
    return counts


def server_requests(log: Path) -> int:
    """Requests the emulator has answered so far (its access log)."""
    if not log.exists():
        return 0
    pattern = re.compile(rb'"(?:\x1b\[[0-9;]*m)*(GET|POST|PUT|HEAD|DELETE) [^"]*" \d{3}')
    with open(log, "rb") as fh:
        return sum(1 for line in fh if pattern.search(line))


def measured(cmd: list[str], env: dict[str, str], log: Path) -> dict:
    """Run a command in its own process: wall time, peak memory, requests the emulator saw."""
    before = server_requests(log)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    # the peak RSS of the largest child so far: runs are ordered so each measures itself
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"wall_s": wall, "peak_mb": peak_mb, "requests": server_requests(log) - before,
            "returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}


def run_in_child(fn_name: str, *args) -> dict:
    """Each measurement in a fresh child, so RUSAGE_CHILDREN's peak is that run's."""
    out = subprocess.run([sys.executable, __file__, "--child", fn_name, json.dumps(args)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{fn_name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def child_audit(endpoint: str, log: str, work: str) -> dict:
    env = _aws_env(endpoint)
    env["SECURE_MLOPS_HOME"] = work  # no emulator recorded there: the target is the endpoint itself
    doc_path = Path(work) / "audit.json"
    r = measured([str(ROOT / ".venv/bin/secure-mlops"), "audit", "--stats", "--format", "json",
                  "-o", str(doc_path)], env, Path(log))
    doc = json.loads(doc_path.read_text())
    r["stats"] = doc["stats"]
    r["findings"] = len(doc["findings"])
    for k in ("stdout", "stderr"):
        r.pop(k)
    return r


def child_prowler(endpoint: str, log: str, work: str) -> dict:
    env = _aws_env(endpoint)
    out_dir = Path(work) / "prowler"
    cmd = [str(PROWLER), "aws", "--services", "sagemaker", "s3", "kms", "ec2", "cloudtrail", "vpc",
           "--scan-unused-services", "--region", REGION, "--aws-retries-max-attempts", "1",
           "--output-formats", "json-ocsf", "csv", "--output-directory", str(out_dir), "--no-banner",
           "--log-level", "ERROR", "--log-file", str(Path(work) / "prowler.log")]
    r = measured(cmd, env, Path(log))
    r["ok"] = r["returncode"] in (0, 3)  # 3: it found failures
    r["error"] = "" if r["ok"] else (r["stderr"] or r["stdout"])[-500:]
    for k in ("stdout", "stderr"):
        r.pop(k)
    return r


def _aws_env(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION, "AWS_ENDPOINT_URL": endpoint, "AWS_MAX_ATTEMPTS": "1"})
    return env


def one_size(n: int, with_prowler: bool) -> dict:
    home = Path(tempfile.mkdtemp(prefix=f"audit-bench-{n}-"))
    os.environ["SECURE_MLOPS_HOME"] = str(home)
    from secure_mlops.provision.emulator import server
    from secure_mlops.target import emulator_session

    emu, _ = server.start()
    try:
        session = emulator_session(emu.endpoint, REGION)
        t = time.perf_counter()
        counts = seed(session, n)
        seeded_s = time.perf_counter() - t
        log = home / "emulator.log"
        work = tempfile.mkdtemp(prefix="audit-bench-run-")
        ours = run_in_child("child_audit", emu.endpoint, str(log), work)
        theirs = run_in_child("child_prowler", emu.endpoint, str(log), work) if with_prowler else None
        return {"n": n, "counts": counts, "seed_s": seeded_s, "audit": ours, "prowler": theirs}
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def report(results: list[dict]) -> None:
    print("\n== secure-mlops audit (every detective control) ==")
    print(f"{'N':>6} {'wall s':>8} {'audit s':>8} {'req (emu)':>10} {'req (hook)':>10} {'peak MB':>8} "
          f"{'s per 1k':>9} {'findings':>9}")
    for r in results:
        a = r["audit"]
        print(f"{r['n']:>6} {a['wall_s']:>8.1f} {a['stats']['wall_seconds']:>8.1f} {a['requests']:>10} "
              f"{a['stats']['api_calls_total']:>10} {a['peak_mb']:>8.0f} {1000 * a['wall_s'] / r['n']:>9.1f} "
              f"{a['findings']:>9}")
    for r in results:
        print(f"\nAPI calls per operation, N={r['n']} (seeded: {r['counts']}):")
        for op, count in sorted(r["audit"]["stats"]["api_calls"].items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"  {op:<55} {count:>6}")
    if len(results) > 1:
        first, last = results[0], results[-1]
        grow = (last["audit"]["stats"]["wall_seconds"] / first["audit"]["stats"]["wall_seconds"])
        print(f"\nlinearity: N x{last['n'] / first['n']:.0f} -> audit time x{grow:.1f}")
    with_p = [r for r in results if r["prowler"]]
    if with_p:
        print("\n== Prowler 5.46.0 (sagemaker s3 kms ec2 cloudtrail vpc) on the same emulator ==")
        print(f"{'N':>6} {'wall s':>8} {'req (emu)':>10} {'peak MB':>8} {'ok':>4}   ratio (Prowler / audit): "
              f"time, requests, memory")
        for r in with_p:
            p, a = r["prowler"], r["audit"]
            print(f"{r['n']:>6} {p['wall_s']:>8.1f} {p['requests']:>10} {p['peak_mb']:>8.0f} {str(p['ok']):>4}   "
                  f"{p['wall_s'] / a['wall_s']:.1f}x, {p['requests'] / max(1, a['requests']):.1f}x, "
                  f"{p['peak_mb'] / max(1, a['peak_mb']):.1f}x")
            if not p["ok"]:
                print(f"   prowler failed: {p['error']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--prowler-at", default="1000", help="sizes to run Prowler at: comma list, 'all' or 'none'")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        fn = globals()[args.child[0]]
        print(json.dumps(fn(*json.loads(args.child[1]))))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    prowler_at = set(sizes) if args.prowler_at == "all" else (
        set() if args.prowler_at == "none" else {int(s) for s in args.prowler_at.split(",")})
    if prowler_at and not PROWLER.exists():
        print(f"Prowler not found at {PROWLER}: install it in its own venv (see the docstring); "
              "running without it", file=sys.stderr)
        prowler_at = set()
    results = []
    for n in sizes:
        print(f"N={n}: seeding and auditing...", file=sys.stderr, flush=True)
        results.append(one_size(n, n in prowler_at))
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
