#!/usr/bin/env bash
# The web app's third-party browser code (CodeMirror 5: the editor and its highlighting modes;
# markdown-it: problem statements, rendered with raw HTML off),
# installed from npm with the lock file and copied into the package's static/vendor, which the
# platform serves itself: the page loads nothing from any other host. Idempotent.
set -euo pipefail
web="$(cd "$(dirname "$0")/.." && pwd)/src/codearena/platform_app/web"
vendor="$web/static/vendor"
if [ -f "$vendor/markdown-it/markdown-it.min.js" ] && [ "$vendor/.installed" -nt "$web/package-lock.json" ]; then
    exit 0
fi
command -v npm >/dev/null || { echo "build-web: npm is needed (apt-get install npm)" >&2; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp "$web/package.json" "$web/package-lock.json" "$work/"
(cd "$work" && npm ci --silent --no-audit --no-fund --ignore-scripts >/dev/null)
cm="$work/node_modules/codemirror"
rm -rf "$vendor" && mkdir -p "$vendor/codemirror/mode" "$vendor/codemirror/addon"
cp "$cm/lib/codemirror.js" "$cm/lib/codemirror.css" "$cm/LICENSE" "$vendor/codemirror/"
for mode in python javascript clike; do
    mkdir -p "$vendor/codemirror/mode/$mode" && cp "$cm/mode/$mode/$mode.js" "$vendor/codemirror/mode/$mode/"
done
cp "$cm/addon/edit/matchbrackets.js" "$vendor/codemirror/addon/"
mkdir -p "$vendor/markdown-it"
cp "$work/node_modules/markdown-it/dist/markdown-it.min.js" "$work/node_modules/markdown-it/LICENSE" "$vendor/markdown-it/"
touch "$vendor/.installed"
