import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()

# No ID-number keys, no service: refuse to boot rather than answer 500 on every personal page.
from accounts.crypto import keyring  # noqa: E402

keyring()
