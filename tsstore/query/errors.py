"""Errors of the query layer: every render function and the engine raise these, so no
function needs to import the engine."""


class QueryError(ValueError):
    """A bad target or argument: answered with HTTP 400 and this message."""
