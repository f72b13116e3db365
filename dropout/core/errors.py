"""Domain operations: transactions, scope checks and audit, shared by pages, CLI and jobs."""


class ValidationError(Exception):
    """Bad input: `errors` maps a field name to a message in the user's language."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = dict(errors)


class PermissionDenied(Exception):
    """The acting user's role may not do this."""
