# The staff and payment-core fixtures of the agents' tests.
from tests.locks.agents.conftest import agent, auditor, other_agent, payment_core, supervisor  # noqa: F401
