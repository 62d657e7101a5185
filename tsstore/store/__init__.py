"""Stores: the embedded SQLite store and the Cassandra store, behind one protocol (base.py)."""
