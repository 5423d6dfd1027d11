"""95588 agents working with a caller: look-up, service sessions, the customer view, remote freezes and their
four-eyes lifting, and the calls the bank makes ("is the bank really calling me?").

Services here take the staff user and check its role themselves (`accounts.roles.staff_require`), so the
DRF views and a server-rendered console can both call them.
"""
