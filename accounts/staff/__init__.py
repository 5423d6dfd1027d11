"""Bank staff: creating them, their roles, their authenticators, and the staff admin site."""
