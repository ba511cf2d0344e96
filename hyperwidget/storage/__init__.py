"""Persistence of sweeps: a SQLite file of plain data."""

from hyperwidget.storage._sqlite import SqliteStorage

__all__ = ["SqliteStorage"]
