"""A version per account, carried in its session cookies: logging out (or a new password) bumps it,
so a copied cookie stops working at once."""


def up(run, dialect):
    run("ALTER TABLE app_user ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0")
