"""The security log (安全日志): append-only, one hash chain per customer, below every app that writes to it.

Sign-in, devices and one-time passwords (accounts), lock changes, declines and holds (locks) and agents'
acts all write here, through the one constructor in `securitycenter.securitylog.record`.
"""
