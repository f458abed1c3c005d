#!/usr/bin/env bash
# Installs what the integration tests need beyond the Debian packages from deps.sh:
# MQTT.js (npm package `mqtt`, pinned in tests/interop/package.json + package-lock.json).
# Idempotent: does nothing when tests/interop/node_modules/mqtt is already there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
interop="$root/tests/interop"
if ! command -v npm >/dev/null; then
  echo "test-deps: npm not found (run scripts/deps.sh); MQTT.js tests will be skipped" >&2
  exit 0
fi
if [ -f "$interop/node_modules/mqtt/package.json" ]; then
  exit 0
fi
echo "test-deps: installing MQTT.js into tests/interop/node_modules"
cd "$interop"
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi
