#!/usr/bin/env bash
# Installs what CodeArena needs from Debian: bubblewrap, the five toolchains, libseccomp headers,
# Python's venv, npm (the web app's editor) and chromium (the browser tests). Idempotent: does nothing when everything is there. Needs root to install;
# without root it names what is missing and fails.
set -euo pipefail
. "$(dirname "$0")/lib/apt.sh"

missing=()
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need_file() { [ -e "$1" ] || missing+=("$2"); }

need_cmd bwrap bubblewrap
need_cmd gcc gcc
need_cmd g++ g++
need_cmd javac default-jdk-headless
need_cmd node nodejs
need_file /usr/bin/python3 python3
need_file /usr/include/seccomp.h libseccomp-dev
need_cmd make make
need_cmd npm npm            # the web app's CodeMirror, from npm with the lock file (scripts/build-web.sh)
need_cmd chromium chromium  # the browser tests (Playwright drives Debian's chromium)
python_bin="${PYTHON:-$(command -v python3.11 || command -v python3 || true)}"
if [ -z "$python_bin" ] || ! "$python_bin" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    missing+=(python3-venv)
fi

apt_install "codearena setup" "${missing[@]}"
