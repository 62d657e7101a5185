"""The query side: time grammar, target grammar, series, fetch, functions."""
