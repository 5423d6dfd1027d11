"""The payee risk list (融安e信): counterparty accounts known to fraud, kept as keyed hashes, mirrored to
Redis for the hot path, and checked by customers before they transfer."""
