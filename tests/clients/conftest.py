"""Clients not written for the sandbox: every body the sandbox answers them is held to the oracle too."""

from tests.sandbox.conftest import every_response_has_stripes_shape  # noqa: F401 - autouse
