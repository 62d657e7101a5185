"""The Graphite HTTP API (FastAPI), installed as tsstore.api."""
from tsstore.api.app import AppContext, create_app

__all__ = ["AppContext", "create_app"]
