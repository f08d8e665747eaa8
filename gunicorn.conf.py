"""gunicorn's settings for Cascade, read by `gunicorn wsgi:app` from this directory (command-line options win:
`gunicorn -w 4 wsgi:app`). Measured with `bench.run --scenario throughput` and `--scenario http`
(docs/performance.md, "over a real server").

- `gthread` workers keep a client's connection open between its requests (HTTP keep-alive; the `sync` worker
  closes it after every answer), so a busy client, or a reverse proxy with upstream keep-alive, does not pay a
  TCP connect, accept and close per request on either side, and an idle kept-alive connection holds no thread.
- Four threads per worker: while one request waits on PostgreSQL another runs, and concurrent commits share
  their WAL flushes (with 2 workers × 4 threads, PostgreSQL's CPU per completion fell; 2 threads measured no better
  than `sync`). The application is thread-safe (one database session per request; the engine's caches take
  locks; a warm workflow is owned by one step at a time). Each thread may hold one pooled connection
  (SQLAlchemy's default pool: 5, plus 10 overflow).
- Workers: `WEB_CONCURRENCY`, else one per core; all of them share the machine with PostgreSQL.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
worker_class = "gthread"
threads = 4
# seconds an idle client connection stays open (gunicorn's default: 2); behind a reverse proxy that keeps upstream
# connections alive, set the proxy's idle timeout below this, or it may send a request on a connection being closed
keepalive = 5
