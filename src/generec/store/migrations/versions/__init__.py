"""Schema revisions, oldest first. Alembic skips this file; it makes the folder an installable package."""
