#!/usr/bin/env bash
# Sets up Cascade, migrates and seeds a SQLite database, then serves the app on http://127.0.0.1:5000
# with the timer/message worker beside it. The demo replays 2022 (the year of Plan 811): its clock starts
# at 29/07/2022 08:00 Vietnam time unless CASCADE_CLOCK_START says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export FLASK_APP=wsgi.py CASCADE_DEV=${CASCADE_DEV:-1}
export CASCADE_CLOCK_START=${CASCADE_CLOCK_START:-2022-07-29T08:00:00+07:00}
# one secret for every server process of this run (each worker would otherwise sign sessions with its own)
CASCADE_SECRET_KEY=${CASCADE_SECRET_KEY:-$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(32))')}
export CASCADE_SECRET_KEY
.venv/bin/flask db upgrade
.venv/bin/flask seed
.venv/bin/flask worker &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT
echo "Cascade: http://127.0.0.1:${PORT:-5000}  (demo logins in README.md, password cascade-demo)"
# the production server and its settings (gunicorn.conf.py: gthread workers with keep-alive, one per core)
.venv/bin/gunicorn -b "127.0.0.1:${PORT:-5000}" wsgi:app
