#!/usr/bin/env bash
# Installs what Cascade needs into .venv (idempotent). Used by both README commands.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
# The BPMN modeller and viewer bundles (web/static/dist/): npm ci from the committed lockfile when
# node_modules is missing or the lockfile changed, then the esbuild build (a few seconds).
if command -v npm >/dev/null && command -v node >/dev/null; then
  lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ ! -d node_modules ] || [ "$(cat node_modules/.cascade-lock.sha256 2>/dev/null)" != "$lock_sum" ]; then
    npm ci --no-audit --no-fund --loglevel=error
    echo "$lock_sum" > node_modules/.cascade-lock.sha256
  fi
  node frontend/build.mjs
else
  echo "setup: Node.js/npm not found: the BPMN modeller bundles (web/static/dist/) are not built" >&2
fi
