"""WSGI entry point: `gunicorn wsgi:app`."""

from web import create_app, warm_up
from web.auth.guard import refuse_demo_passwords

app = create_app()
refuse_demo_passwords(app)  # a production server never serves the shared demo password
warm_up(app)
