"""The index: Graphite globs over the path tree and tag names and tag queries."""
