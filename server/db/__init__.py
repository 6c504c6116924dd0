"""Connections (one writer, many readers) and migrations."""

from server.db.database import Database

__all__ = ["Database"]
