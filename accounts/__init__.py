"""Customers, their accounts and cards, devices, sign-in and tokens, service clients and API keys, one-time
passwords, and notifications to customers."""
