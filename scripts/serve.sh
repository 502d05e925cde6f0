#!/usr/bin/env bash
# Sets up .venv with the base install (the embedded Kiwi tier; see README for the neural tier) and starts the
# service. HOST (default 127.0.0.1, this machine only; HOST=0.0.0.0 listens on every interface) and PORT
# (default 8000) say where it listens.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup_venv.sh
INSTALL_NOTE="about 300 MB, under a minute from a near package index" setup_venv ""
exec .venv/bin/uvicorn app:app --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
