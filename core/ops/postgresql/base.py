"""Django's PostgreSQL backend, with a request's turn taken before a connection is borrowed from the pool.

``ENGINE: "core.ops.postgresql"`` (set by the settings when the pool is on).
Everything else is Django's own backend; see :mod:`core.ops.limiter` for why a
request waits for its slot here and not when it arrives.
"""

from __future__ import annotations

from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLDatabaseWrapper

from core.ops.limiter import wait_for_slot


class DatabaseWrapper(PostgreSQLDatabaseWrapper):
    def get_new_connection(self, conn_params):
        if self.pool:
            wait_for_slot()
        return super().get_new_connection(conn_params)
