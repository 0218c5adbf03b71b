#!/usr/bin/env bash
# Set up (idempotent) and run the whole test suite. This is the README's test command
# and what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m pytest -n auto "$@"
