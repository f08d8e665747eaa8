#!/usr/bin/env bash
# Sets up Cascade and runs the whole test suite: SQLite and PostgreSQL (started if it is down), the
# browser tests in Debian's Chromium (installed if missing), and ruff.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
fi
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 || true
fi
.venv/bin/ruff check .
.venv/bin/python -m pytest -q "$@"
