"""The WSGI entry point: ``app = create_app()`` for gunicorn, waitress or flask."""

from slaengine.logs import configure_logging
from web import create_app

configure_logging()
app = create_app()
