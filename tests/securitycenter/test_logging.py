"""The service's logging: each line once."""

import io
import logging
import logging.config

import pytest
from django.conf import settings
from django.utils.log import DEFAULT_LOGGING


@pytest.fixture
def configured_logging(monkeypatch):
    """Django's own configuration and then the project's, as runserver does, writing to a buffer."""
    stderr = io.StringIO()
    monkeypatch.setattr("sys.stderr", stderr)
    logging.config.dictConfig(DEFAULT_LOGGING)
    logging.config.dictConfig(settings.LOGGING)
    yield stderr
    # Leave pytest's own capture in place for the tests after this one.
    logging.config.dictConfig({"version": 1, "disable_existing_loggers": False, "root": {"handlers": []}})


@pytest.mark.parametrize("debug", [True, False])
def test_a_4xx_is_printed_once(configured_logging, settings, debug):
    settings.DEBUG = debug
    logging.getLogger("django.request").warning("Not Found: %s", "/api/v1/nothing", extra={"status_code": 404})
    assert configured_logging.getvalue().count("Not Found: /api/v1/nothing") == 1
