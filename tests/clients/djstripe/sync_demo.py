"""Run dj-stripe's own sync command for the models the sandbox serves; print what it stored.

Run with the dj-stripe virtual environment's Python. Prints one JSON document: the number of
rows dj-stripe holds per model, and the command's output.
"""

import io
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mirror.settings")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.core.management import call_command  # noqa: E402
from djstripe.settings import djstripe_settings  # noqa: E402

MODELS = sys.argv[1:]

call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
out, err = io.StringIO(), io.StringIO()
failed = None
try:
    call_command(
        "djstripe_sync_models",
        *MODELS,
        api_keys=[os.environ["STRIPE_SECRET_KEY"]],
        fail_on_error=True,
        stdout=out,
        stderr=err,
    )
except Exception as exc:  # the report carries it; the test says what failed
    failed = repr(exc)

config = apps.get_app_config("djstripe")
counts = {name: config.get_model(name).objects.count() for name in MODELS}
json.dump(
    {
        "api_version": djstripe_settings.STRIPE_API_VERSION,
        "counts": counts,
        "failed": failed,
        "stderr": err.getvalue(),
        "stdout": out.getvalue()[-4000:],
    },
    sys.stdout,
)
