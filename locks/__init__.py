"""Account safety locks (账户安全锁) and everything that enforces them: the lock rules, the pure decision core,
the payment core's authorization hot path, cooling-off holds and the payee risk list. See
docs/architecture.md for the rooms and the direction of their imports."""
