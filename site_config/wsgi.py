"""WSGI entry point, for gunicorn and other WSGI servers."""

import os

from django.core.wsgi import get_wsgi_application

from portfolio.images.gate import start_judge
from site_config.environment import refuse_to_serve_with_the_development_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings")

# A server signs sessions and CSRF tokens: never with the public development key.
refuse_to_serve_with_the_development_key()
application = get_wsgi_application()
# The upload gate's judge process imports Pillow and the gate while the server starts.
start_judge()
