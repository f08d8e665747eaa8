"""WSGI entry point: `gunicorn wsgi:app`."""

from web import create_app, warm_up

app = create_app()
warm_up(app)
