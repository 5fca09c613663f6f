#!/usr/bin/env bash
# Clients the tests drive unchanged that come from npm (Piston's piston-client), installed from
# the lock file into tests/piston/node_modules (not committed). Idempotent.
set -euo pipefail
dir="$(cd "$(dirname "$0")/.." && pwd)/tests/piston"
if [ -d "$dir/node_modules/piston-client" ] && [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
    exit 0
fi
command -v npm >/dev/null || { echo "install-test-clients: npm is needed (apt-get install npm)" >&2; exit 1; }
(cd "$dir" && npm ci --silent --no-audit --no-fund --ignore-scripts >/dev/null)
