"""The customer's lock rules: the settings document, changing it (tighten at once, loosen with proof),
presets, travel windows, and compiling the rows into the policy the hot path reads, published to Redis."""
