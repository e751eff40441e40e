"""The smallest Django project dj-stripe syncs into: its models in SQLite, pointed at a sandbox.

Everything comes from the environment the test gives it: the server (`STRIPE_API_BASE`, which
dj-stripe's own STRIPE_API_HOST setting hands to stripe-python as `stripe.api_base`), the test
key, and the database file.
"""

import os

SECRET_KEY = "django-insecure-mirror-test-only"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "djstripe",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["MIRROR_DATABASE"],
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Tables straight from the models: replaying dj-stripe's ~100 migrations on SQLite takes a minute.
MIGRATION_MODULES = {"djstripe": None}

STRIPE_API_HOST = os.environ["STRIPE_API_BASE"]
STRIPE_TEST_SECRET_KEY = os.environ["STRIPE_SECRET_KEY"]
STRIPE_LIVE_MODE = False
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_WEBHOOK_VALIDATION = "retrieve_event"
