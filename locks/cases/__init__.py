"""Cases (incidents, review cases, hold call-backs, fake-call reports): open, list, close.

The one way to open or close a `locks.models.Case`: `case_open` and `case_close` in `services`; reads in
`selectors`. The agents' call-back queue and the customer's "this wasn't me" both stand on these.
"""
