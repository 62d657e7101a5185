"""HTTP errors with messages that name the problem."""
from __future__ import annotations


class BadRequest(Exception):
    """Answered as HTTP 400 with the message as the body."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
