"""The audit against a drifted estate on the emulator (two accounts, two environments).

One estate (test_audit_estate.py) holds, for every detective control, at least one
non-compliant resource beside compliant twins. The audit runs once, over an accounts file
(two fake accounts reached with sts:AssumeRole), and every test here reads its findings:

- test_control_verdicts[ID]: a compliant twin PASSES and a non-compliant resource FAILS;
- test_drift_fails_exactly[ID]: the FAIL findings of the control are exactly the drift;
- the audit is efficient (one list call per resource type and account-region, five S3 calls
  per bucket), changes nothing (read-only calls only), and errors only where account B
  publishes no environment for the controls that need one.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict

import pytest
import yaml

from test_audit_estate import ACCOUNT_A, ACCOUNT_B, REGION, build

pytestmark = pytest.mark.emulator


@pytest.fixture(scope="module")
def audited(emulator, tmp_path_factory):
    """Build the estate, then audit both accounts once, as `audit --accounts FILE --stats` does.

    The audit is called as a function, with the target the CLI would build; the CLI's own
    path (options, exit codes, --accounts) is tested in test_audit_cli.py.
    """
    from secure_mlops.audit.accounts import load_accounts
    from secure_mlops.audit.audit import run_audit
    from secure_mlops.audit.sessions import assume_role_session
    from secure_mlops.controls import load_catalog
    from secure_mlops.findings import exit_code, make_document
    from secure_mlops.provision.emulator import server
    from secure_mlops.target import Target, emulator_session

    saved = dict(os.environ)
    try:
        emulator.reset()
        session_a = emulator_session(emulator.endpoint, REGION)
        session_b = assume_role_session(session_a, f"arn:aws:iam::{ACCOUNT_B}:role/estate-builder", REGION)
        expected = build(session_a, session_b)
        accounts = tmp_path_factory.mktemp("audit") / "accounts.yml"
        accounts.write_text(yaml.safe_dump({"accounts": [
            {"account_id": ACCOUNT_A, "name": "team-a", "role": f"arn:aws:iam::{ACCOUNT_A}:role/audit",
             "regions": [REGION]},
            {"account_id": ACCOUNT_B, "name": "team-b", "role": f"arn:aws:iam::{ACCOUNT_B}:role/audit",
             "regions": [REGION]},
        ]}))
        target = Target(kind="emulator", session=session_a, region=REGION, account=server.ACCOUNT_ID,
                        endpoint_url=emulator.endpoint, reason="tests")
        controls = load_catalog().with_mode("detective")
        result = run_audit(target, controls, accounts=load_accounts(accounts))
        doc = make_document(result.findings, "audit", target=result.target,
                            evaluated_controls=[c.id for c in controls])
        doc = json.loads(json.dumps(doc, default=str))
        doc["stats"] = result.stats.to_dict()
        yield {"expected": expected, "exit_code": exit_code(result.findings, "low"), "doc": doc}
    finally:
        os.environ.clear()
        os.environ.update(saved)
        emulator.reset()  # leave the worker's emulator empty for the next module


def _by(doc, status):
    out = defaultdict(set)
    for f in doc["findings"]:
        if f["status"] == status:
            out[(f["account"], f["control_id"])].add(f["resource_id"])
    return out


def _detective_ids():
    from secure_mlops.controls import load_catalog

    return [c.id for c in load_catalog().with_mode("detective")]


def test_the_audit_ran_and_exited_1(audited, tmp_path):
    from secure_mlops.findings import load_documents

    assert audited["exit_code"] == 1  # drift at every severity
    # the document is valid against the findings schema the report reads
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(audited["doc"]))
    docs = load_documents([path])
    assert docs[0]["kind"] == "audit"
    assert set(docs[0]["evaluated_controls"]) == set(_detective_ids())


@pytest.mark.parametrize("control_id", _detective_ids())
def test_control_verdicts(audited, control_id):
    """A compliant twin PASSES and a non-compliant resource FAILS, with evidence."""
    exp = audited["expected"]
    fails, passes = _by(audited["doc"], "FAIL"), _by(audited["doc"], "PASS")
    bad = {(acct, rid) for (acct, c), ids in exp.fail.items() if c == control_id for rid in ids}
    good = {(acct, rid) for (acct, c), ids in exp.passes.items() if c == control_id for rid in ids}
    assert bad, f"the estate has no non-compliant resource for {control_id}"
    assert good, f"the estate has no compliant resource for {control_id}"
    for acct, rid in bad:
        assert rid in fails[(acct, control_id)], f"{control_id}: {rid} in {acct} should FAIL"
    for acct, rid in good:
        assert rid in passes[(acct, control_id)], f"{control_id}: {rid} in {acct} should PASS"
    for f in audited["doc"]["findings"]:
        if f["control_id"] == control_id and f["status"] in ("PASS", "FAIL"):
            assert f["evidence"], f"{control_id} {f['resource_id']}: no evidence"
            assert f["account"] and f["region"] == REGION


@pytest.mark.parametrize("control_id", _detective_ids())
def test_drift_fails_exactly(audited, control_id):
    """No more and no fewer FAIL findings than the drift created, in both accounts."""
    exp = audited["expected"]
    fails = _by(audited["doc"], "FAIL")
    for acct in (ACCOUNT_A, ACCOUNT_B):
        got = fails.get((acct, control_id), set())
        want = exp.fail.get((acct, control_id), set())
        assert got == want, f"{control_id} in {acct}: FAIL {sorted(got)}, expected {sorted(want)}"


def test_endpoint_configurations_are_judged_by_their_own_stage_tag(audited):
    """SM-EPC-02 (review item 5): a configuration tagged stage=prod is judged in an account without
    environment context; one tagged staging is not judged, though its environment is prod."""
    epc02 = {(f["account"], f["resource_id"]): f for f in audited["doc"]["findings"] if f["control_id"] == "SM-EPC-02"}
    assert epc02[(ACCOUNT_B, "b-prod-one-instance")]["status"] == "FAIL"
    assert epc02[(ACCOUNT_B, "b-prod-two-instances")]["status"] == "PASS"
    assert epc02[(ACCOUNT_B, "b-prod-one-instance")]["evidence"]["Tags.stage"] == "prod"
    assert (ACCOUNT_A, "epc-staging-one-instance") not in epc02
    assert "environment env-a (prod)" in epc02[(ACCOUNT_A, "epc-one-instance")]["message"]


def test_fail_messages_are_one_plain_sentence_naming_the_resource(audited):
    """Review item 22: no double negation, no raw expression, no 'Required:' tail."""
    from secure_mlops.audit.verdicts import subject

    fails = [f for f in audited["doc"]["findings"] if f["status"] == "FAIL"]
    assert len({f["control_id"] for f in fails}) >= 45
    for f in fails:
        m = f["message"]
        assert m.startswith(subject(f["resource_type"], f["resource_id"]) + " "), m
        assert f["resource_id"].split("/")[0] in m, m
        assert m.endswith(".") and m.count(". ") == 0 or "statement" in m, m
        for bad in (" — ", "not true", "Required:", "||", "[?", "`", "min(", " | "):
            assert bad not in m, (bad, m)


def test_evidence_keys_are_attribute_names(audited):
    from secure_mlops.audit.rules import ATTRIBUTE

    for f in audited["doc"]["findings"]:
        for key in f["evidence"] or {}:
            assert ATTRIBUTE.match(key), (f["control_id"], key)
    net01 = next(f for f in audited["doc"]["findings"] if f["control_id"] == "NET-01" and f["status"] == "FAIL")
    assert net01["evidence"] == {"FlowLogs": []}


def test_errors_only_where_account_b_lacks_context(audited):
    errors = [f for f in audited["doc"]["findings"] if f["status"] == "ERROR"]
    assert errors  # account B publishes no environment: controls that need it cannot judge
    for f in errors:
        assert f["account"] == ACCOUNT_B and "needs the environment" in f["message"], f


def test_one_listing_per_resource_type_and_account_region(audited):
    stats = audited["doc"]["stats"]["api_calls"]
    lists = {op: n for op, n in stats.items() if op.split(":")[1].startswith(("List", "DescribeVpcs",
                                                                               "DescribeSecurityGroups",
                                                                               "DescribeTrails", "DescribeLogGroups",
                                                                               "DescribeRepositories",
                                                                               "GetAccountAuthorizationDetails",
                                                                               "DescribeRouteTables",
                                                                               "DescribeVpcEndpoints"))}
    # two account-regions; nothing in this estate needs a second page
    for op, n in lists.items():
        if op in ("kms:ListAliases", "sagemaker:ListTags"):  # ListTags: per profile
            continue
        assert n <= 2, f"{op} was called {n} times for 2 account-regions"


def test_five_calls_per_bucket(audited):
    calls = audited["doc"]["stats"]["api_calls"]
    buckets = {f["resource_id"] for f in audited["doc"]["findings"] if f["control_id"] == "S3-01"}
    per_bucket = [op for op in calls if op.startswith("s3:Get")]
    assert sorted(per_bucket) == sorted(["s3:GetBucketEncryption", "s3:GetPublicAccessBlock", "s3:GetBucketPolicy",
                                         "s3:GetBucketVersioning", "s3:GetBucketLogging"])
    for op in per_bucket:
        assert calls[op] == len(buckets), f"{op}: {calls[op]} calls for {len(buckets)} buckets"


def test_the_audit_changes_nothing(audited):
    """Only read operations: List*, Describe*, Get*, plus sts:AssumeRole to reach the accounts."""
    for op in audited["doc"]["stats"]["api_calls"]:
        name = op.split(":")[1]
        assert name.startswith(("List", "Describe", "Get")) or op == "sts:AssumeRole", op
