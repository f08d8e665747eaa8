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
# Documents' PDF files are made by LibreOffice headless; Liberation Serif 2 stands in for Times New Roman with every
# Vietnamese letter; pdffonts checks their embedding in the tests. Installed from Debian when running as root.
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  missing=()
  command -v soffice >/dev/null || missing+=(libreoffice-writer-nogui)
  dpkg -s fonts-liberation2 >/dev/null 2>&1 || missing+=(fonts-liberation2)
  command -v pdffonts >/dev/null || missing+=(poppler-utils)
  if [ ${#missing[@]} -gt 0 ] && apt-cache policy "${missing[@]}" | grep -q "Candidate: [0-9]"; then
    apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
  fi
elif ! command -v soffice >/dev/null; then
  echo "setup: LibreOffice (soffice) not found: documents are offered as Word only (apt-get install libreoffice-writer-nogui fonts-liberation2)" >&2
fi
