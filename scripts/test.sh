#!/usr/bin/env bash
# Sets up .venv with everything the tests need (the base install, the neural tier, the test tools) and runs the
# test suite; arguments go to pytest. In CI (CI=true, as root on Debian) a missing Chromium is installed, so
# the browser test of /docs runs there; elsewhere that one test skips when no Chromium is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup_venv.sh
INSTALL_NOTE="several minutes: torch and transformers" setup_venv "neural,dev"
if [ "${CI:-}" = "true" ] && ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 \
   && [ "$(id -u)" = "0" ]; then
  echo "Installing Chromium for the /docs browser test ..." >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } \
    >/dev/null || echo "warning: Chromium could not be installed; the browser test will skip" >&2
fi
.venv/bin/python -m pytest -q "$@"
