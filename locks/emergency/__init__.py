"""Emergency handling (应急处理): one tap, no one-time password, only tightening.

`emergency_apply` in `services` runs one of the scenarios in `scenarios` for a customer. The customer's app
and the 95588 agents call the same service; only the actor (and so the log) differs.
"""
