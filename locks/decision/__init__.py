"""The pure decision core: compiled policy, transaction and usage in, a decision with reasons out.

No Django, no ORM, no I/O and no clock here (an import-linter contract keeps it so): the engine, the
loosening comparison and the reason codes are plain functions over plain data, property-tested and
benchmarked on their own.
"""
