"""An account can be asked to change its password: at its next login when the password no longer meets
the rule, or when the admin says so. Until it is changed, every page leads to the change-password page.
Existing accounts are not asked (their passwords are checked as they next log in)."""


def up(run, dialect):
    run("ALTER TABLE app_user ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE")
