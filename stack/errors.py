"""Errors the local stack reports to the person running it."""


class StackError(Exception):
    """A service could not be started, checked or stopped; the message says what to do."""
