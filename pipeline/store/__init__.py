"""The only code that talks to DuckDB: connections, migrations, reads, idempotent writes, views."""

from pipeline.store.connection import connect, database_size, extension_path, load_extension, registered, set_memory, transaction
from pipeline.store.errors import StoreError

__all__ = ["connect", "database_size", "extension_path", "load_extension", "registered", "set_memory", "transaction", "StoreError"]
