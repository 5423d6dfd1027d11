"""Trusted contacts: a person whose confirmation loosening a customer's protection needs as well."""
