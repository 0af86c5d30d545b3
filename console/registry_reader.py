"""What the console asks the Schema Registry, over its Confluent REST API.

Plain HTTP rather than `confluent_kafka`'s client: the console needs the verbose answer of a
compatibility check (each incompatibility with its path) and a subject's mode, which that
client does not return.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from console.errors import NotFoundError, RegistryRefusedError, RegistryUnavailableError

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
# Confluent's codes for "no such subject" and "no such version".
_MISSING = {40401, 40402}


@dataclass(frozen=True)
class SubjectSummary:
    name: str
    compatibility: str
    mode: str
    versions: list[int]


@dataclass(frozen=True)
class SchemaVersion:
    subject: str
    version: int
    id: int
    schema_type: str
    schema: str


@dataclass(frozen=True)
class CompatibilityVerdict:
    compatible: bool
    messages: list[str]


@dataclass(frozen=True)
class Registration:
    id: int
    version: int | None


class RegistryReader:
    def __init__(
        self,
        url: str,
        *,
        auth: tuple[str, str] | None = None,
        ca_file: Path | None = None,
        timeout: float = 5.0,
    ) -> None:
        self._url = url.rstrip("/")
        self._session = requests.Session()
        self._session.auth = auth
        # Given with each request: a session's own `verify` loses to REQUESTS_CA_BUNDLE.
        self._verify: str | bool = str(ca_file) if ca_file is not None else True
        self._session.headers["Accept"] = CONTENT_TYPE
        self._timeout = timeout

    def subjects(self) -> list[SubjectSummary]:
        """Every live subject with its level, mode and versions (GET /subjects, then
        /config, /mode and /versions of each, side by side)."""
        names: list[str] = self._get("/subjects")
        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(self.summary, sorted(names)))

    def versions(self, subject: str) -> list[SchemaVersion]:
        """Each live version of ``subject``, oldest first."""
        numbers: list[int] = self._get(f"/subjects/{_segment(subject)}/versions")
        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(lambda number: self.version(subject, number), numbers))

    def version(self, subject: str, version: int | str) -> SchemaVersion:
        """GET /subjects/{subject}/versions/{version}."""
        body = self._get(f"/subjects/{_segment(subject)}/versions/{version}")
        return SchemaVersion(
            subject=body["subject"],
            version=int(body["version"]),
            id=int(body["id"]),
            schema_type=body.get("schemaType", "AVRO"),
            schema=body["schema"],
        )

    def check(self, subject: str, schema: str) -> CompatibilityVerdict:
        """POST /compatibility/subjects/{subject}/versions/latest?verbose=true: the candidate
        against the subject's level; changes nothing."""
        body = self._post(
            f"/compatibility/subjects/{_segment(subject)}/versions/latest",
            {"schema": schema},
            params={"verbose": "true"},
        )
        return CompatibilityVerdict(
            compatible=bool(body.get("is_compatible")), messages=list(body.get("messages", []))
        )

    def register(self, subject: str, schema: str) -> Registration:
        """POST /subjects/{subject}/versions."""
        body = self._post(f"/subjects/{_segment(subject)}/versions", {"schema": schema})
        version = body.get("version")
        return Registration(id=int(body["id"]), version=int(version) if version else None)

    def summary(self, subject: str) -> SubjectSummary:
        """The subject's level, mode and live versions (none for a subject not yet made)."""
        path = _segment(subject)
        level = self._get(f"/config/{path}", params={"defaultToGlobal": "true"})
        mode = self._get(f"/mode/{path}", params={"defaultToGlobal": "true"})
        try:
            versions: list[int] = self._get(f"/subjects/{path}/versions")
        except NotFoundError:
            versions = []  # a subject yet to get its first version
        return SubjectSummary(
            name=subject,
            compatibility=level.get("compatibilityLevel", "?"),
            mode=mode.get("mode", "?"),
            versions=versions,
        )

    def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return self._answer(
            lambda: self._session.get(
                self._url + path, params=params, timeout=self._timeout, verify=self._verify
            )
        )

    def _post(self, path: str, body: dict[str, Any], params: dict[str, str] | None = None) -> Any:
        return self._answer(
            lambda: self._session.post(
                self._url + path,
                json=body,
                params=params,
                headers={"Content-Type": CONTENT_TYPE},
                timeout=self._timeout,
                verify=self._verify,
            )
        )

    def _answer(self, send: Any) -> Any:
        try:
            response = send()
        except requests.RequestException as error:
            raise RegistryUnavailableError(
                f"the registry at {self._url} does not answer ({type(error).__name__})"
            ) from error
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.ok and body is not None:
            return body
        code = body.get("error_code") if isinstance(body, dict) else None
        message = body.get("message") if isinstance(body, dict) else None
        text = str(message or f"HTTP {response.status_code}")
        if code in _MISSING:
            raise NotFoundError(text)
        raise RegistryRefusedError(response.status_code, code, text)


def _segment(subject: str) -> str:
    """A subject as one path segment: Confluent's routes take `/` and `%` encoded."""
    return quote(subject, safe="")
