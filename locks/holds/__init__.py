"""Cooling-off holds (冷静期): a large or first-time transfer waits before the money leaves, so the customer,
the family or the bank can stop it. The state machine, its webhooks to the payment core, beat work, API."""
