"""Graphite render functions, one module per Graphite group; see registry.py."""
