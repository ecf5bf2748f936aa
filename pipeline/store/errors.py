from pipeline.errors import UserError


class StoreError(UserError):
    """A database problem, with a one-line message that says how to fix it."""
