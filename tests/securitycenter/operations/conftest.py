# The hot path's fixtures (a payment-core key, an account, fresh process caches), for the metrics tests.
from tests.locks.authorizations.conftest import _fresh_process_caches, account, service  # noqa: F401
