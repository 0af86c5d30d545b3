"""Optional HTTP basic auth: users with a read-only or read-write role, passwords hashed.

The users file has one `name:role:hash` line per user (role `read-only` or `read-write`,
hash from `python -m registry.cli hash-password`); `#` starts a comment.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import request
from werkzeug.security import check_password_hash

from registry.errors import BadCredentialsError, MissingCredentialsError, ReadOnlyUserError

ROLES = ("read-only", "read-write")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# POSTs that only read: a lookup and the compatibility checks change nothing.
_READING_ENDPOINTS = frozenset(
    {"subjects.lookup", "compatibility.against_all", "compatibility.against_one"}
)


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str


def load_users(path: Path) -> dict[str, User]:
    users: dict[str, User] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":", 2)
        if len(parts) != 3 or parts[1] not in ROLES:
            raise ValueError(f"{path}:{number}: expected name:read-only|read-write:hash")
        users[parts[0]] = User(name=parts[0], role=parts[1], password_hash=parts[2])
    return users


@dataclass
class BasicAuth:
    users: dict[str, User]
    # Digests of credentials already verified: password hashing is slow on purpose, and
    # clients send the same header on every request.
    _verified: set[tuple[str, str]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def authorize(self) -> None:
        """Before every request: 401 without valid credentials, 403 for a write by a reader."""
        credentials = request.authorization
        if credentials is None or credentials.type != "basic":
            raise MissingCredentialsError()
        name, password = credentials.username or "", credentials.password or ""
        user = self.users.get(name)
        if user is None or not self._verify(user, password):
            raise BadCredentialsError()
        reads = request.method in _SAFE_METHODS or request.endpoint in _READING_ENDPOINTS
        if user.role == "read-only" and not reads:
            raise ReadOnlyUserError()

    def _verify(self, user: User, password: str) -> bool:
        digest = hashlib.sha256(f"{user.password_hash}\0{password}".encode()).hexdigest()
        key = (user.name, digest)
        if key in self._verified:
            return True
        if not check_password_hash(user.password_hash, password):
            return False
        with self._lock:
            self._verified.add(key)
        return True
