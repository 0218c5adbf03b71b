"""The emulator process: start, reuse, reset, env, stop."""

import subprocess
import sys

import pytest


@pytest.mark.emulator
def test_emulator_answers_and_resets(aws, emulator):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="reset-me")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["reset-me"]
    emulator.reset()
    assert s3.list_buckets()["Buckets"] == []


@pytest.mark.emulator
def test_start_reuses_running_server(emulator):
    from secure_mlops.provision.emulator import server

    again, started = server.start()
    assert not started and again.endpoint == emulator.endpoint


@pytest.mark.emulator
def test_local_env_prints_exports(emulator):
    out = subprocess.run([sys.executable, "-m", "secure_mlops.cli", "local", "env"],
                         capture_output=True, text=True, check=True).stdout
    lines = dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines())
    assert lines["AWS_ENDPOINT_URL"] == emulator.endpoint
    assert set(lines) == {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"}
