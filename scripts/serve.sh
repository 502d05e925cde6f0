#!/usr/bin/env bash
# Sets up .venv with the base install (the embedded Kiwi tier; see README for the neural tier) and starts the
# service. HOST (default 127.0.0.1, this machine only; HOST=0.0.0.0 listens on every interface) and PORT
# (default 8000) say where it listens.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup_venv.sh
INSTALL_NOTE="about 2 minutes and 330 MB" setup_venv ""
echo "Starting on http://${HOST:-127.0.0.1}:${PORT:-8000} (docs at /docs; the models take a few seconds to load) ..." >&2
exec .venv/bin/uvicorn app:app --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
