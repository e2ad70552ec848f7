"""Errors a user can cause and fix: the CLI prints their message as one line and exits 1."""


class UserError(Exception):
    """Raised with a message that names what was wrong and, where it helps, what to do."""
