#!/usr/bin/env bash
# The peer for the judging benchmarks: the DMOJ judge (4.1.0, from PyPI) in its own virtualenv,
# .venv-dmoj, apart from CodeArena's (its dependencies are its own). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-dmoj
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import dmoj' 2>/dev/null; then
    exit 0
fi
python_bin="${PYTHON:-$(command -v python3.11 || command -v python3)}"
"$python_bin" -m venv "$venv"
"$venv/bin/pip" install --quiet dmoj==4.1.0
