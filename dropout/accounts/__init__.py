"""Accounts: users, roles, passwords and logins."""
