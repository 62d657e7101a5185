"""The Graphite HTTP API (FastAPI), installed as tsstore.api; the application is built by
tsstore.api.app.create_app."""
