#!/usr/bin/env bash
# Sets up a virtual environment (if missing) with the pinned requirements and starts the service.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
exec .venv/bin/uvicorn app:app --host "${HOST:-0.0.0.0}" --port "${PORT:-8000}"
