"""Ingest: carbon listeners, the point parser, the WAL, the rollup aggregator and the pipeline that writes the store."""
