"""The customer's profile: language and time zone. A time zone is part of every compiled policy (time windows
are local times), so changing it goes through the locks' loosening comparison: while time locks are set it
loosens, and needs a one-time password."""
