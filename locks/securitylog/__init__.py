"""The customer's security log (安全日志): their entries as sentences, and "this wasn't me" on any of them.

The entries themselves are `securitycenter.securitylog` rows; this room reads the customer's chain
(`selectors`), renders each entry for people in the active language (`entries`) and turns a report into
tightening actions (`notme`).
"""
