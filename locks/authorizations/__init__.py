"""The hot path: the payment core asks, for every payment, whether it passes the customer's locks.

request (decode) → context (account, caches) → script (one Redis round trip) → decision engine →
record (the durable row) → finish (hold, announced decline) → answers (the body). Degraded mode, the batch
and the reversal reuse those steps; views are lean Django views (no DRF, an import contract says so).
"""
