"""Usernames the tests sent, so the session can prove no log line repeats one."""

from __future__ import annotations

SENT_USERNAMES: set[str] = set()


def remember(username: str) -> str:
    # Short names ("jtr") could occur in a log by chance: only distinctive ones are checked.
    if len(username) >= 8:
        SENT_USERNAMES.add(username)
    return username
