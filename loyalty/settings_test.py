"""Settings of the test suite, and only of it: pytest loads this module (pyproject.toml,
`--ds`); manage.py, WSGI, ASGI and gunicorn load loyalty.settings, where DEBUG off is always
production. Nothing here can be switched on in production by an environment variable.

The production settings are imported as they are, then the suite's differences are set
explicitly: plain HTTP from Django's test client, the apps' static files without
collectstatic, the test client's host name.
"""

import os

# The production settings refuse to load without a secret key; the suite's key is given to
# that import alone, not to the processes the tests start.
_TEST_SECRET_KEY = "tests-only-secret-key-never-used-outside-the-test-suite"
_KEY_WAS_SET = "DJANGO_SECRET_KEY" in os.environ
os.environ.setdefault("DJANGO_SECRET_KEY", _TEST_SECRET_KEY)
try:
    from loyalty.settings import *  # noqa: F403
    from loyalty.settings import ALLOWED_HOSTS, STORAGES
finally:
    if not _KEY_WAS_SET:
        del os.environ["DJANGO_SECRET_KEY"]

PRODUCTION = False
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]

# Django's test client speaks plain HTTP.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_HSTS_PRELOAD = False

# The apps' static files as they are, without collectstatic.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
