class StoreError(Exception):
    """A database problem, with a one-line message that says how to fix it."""
