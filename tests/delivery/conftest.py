"""Fixtures of the delivery tests: the autouse key-encryption key of ``tests/delivery/helpers.py``."""

from tests.delivery.helpers import webhook_secrets_key  # noqa: F401 - an autouse fixture
