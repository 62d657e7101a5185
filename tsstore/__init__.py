"""tsstore: a Graphite-compatible metrics store."""

__version__ = "0.1.0"
# What /version answers: graphite-web's release line, so Grafana enables tags and /functions.
GRAPHITE_VERSION = "1.1.10"
