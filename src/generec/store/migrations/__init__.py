"""Alembic migration scripts for the GeneRec store, run programmatically by :mod:`generec.store.schema`."""
