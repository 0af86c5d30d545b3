"""Compatibility configuration and mode, per subject and registry-wide (Confluent's rules)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contract.compatibility import CompatibilityLevel
from registry.errors import (
    ImportWithSubjectsError,
    InvalidCompatibilityLevelError,
    MalformedRequestError,
    ReadOnlyModeError,
    SubjectCompatibilityNotConfiguredError,
    SubjectModeNotConfiguredError,
    SubjectNotFoundError,
)
from registry.model import GLOBAL_SCOPE, Mode, RegistryConfig, ScopeSettings, check_subject
from registry.storage import RegistryStore, StoreReader

# Keys of a config body that are not the level; kept and returned as sent.
_LEVEL_KEYS = ("compatibility", "compatibilityLevel")


def scope_of(subject: str | None) -> str:
    return GLOBAL_SCOPE if subject is None else subject


@dataclass(frozen=True)
class SubjectRules:
    """What decides a registration under a subject: its effective level, normalize and mode."""

    # The subject's level, else the registry's, else the server default.
    level: CompatibilityLevel
    normalize: bool
    mode: Mode


def subject_rules(tx: StoreReader, subject: str, default: CompatibilityLevel) -> SubjectRules:
    """The subject's rules, from one read of the configs and modes concerned."""
    return rules_of(tx.scope_settings(subject=subject), subject, default)


def rules_of(settings: ScopeSettings, subject: str, default: CompatibilityLevel) -> SubjectRules:
    """The rules that the settings stored for ``subject`` and the registry make."""
    ordered = _ordered(settings.configs, subject)
    return SubjectRules(
        level=_level(ordered, default),
        normalize=_normalize(ordered),
        mode=_mode(settings.modes.get(GLOBAL_SCOPE), settings.modes.get(subject)),
    )


def effective_normalize(tx: StoreReader, subject: str) -> bool:
    return _normalize(_ordered(tx.scope_settings(subject=subject).configs, subject))


def effective_mode(tx: StoreReader, subject: str | None) -> Mode:
    """The subject's mode, else the registry's; a registry-wide READONLY_OVERRIDE wins."""
    registry_mode = tx.get_mode(scope=GLOBAL_SCOPE)
    subject_mode = tx.get_mode(scope=subject) if subject is not None else None
    return _mode(registry_mode, subject_mode)


def _ordered(configs: dict[str, RegistryConfig], subject: str) -> list[RegistryConfig]:
    """The subject's config and the registry's, in that order of precedence."""
    found = (configs.get(scope) for scope in (subject, GLOBAL_SCOPE))
    return [config for config in found if config is not None]


def _level(configs: list[RegistryConfig], default: CompatibilityLevel) -> CompatibilityLevel:
    for config in configs:
        if config.compatibility is not None:
            return CompatibilityLevel(config.compatibility)
    return default


def _normalize(configs: list[RegistryConfig]) -> bool:
    for config in configs:
        if "normalize" in config.extra:
            return config.normalize
    return False


def _mode(registry_mode: Mode | None, subject_mode: Mode | None) -> Mode:
    if registry_mode is Mode.READONLY_OVERRIDE:
        return registry_mode
    return subject_mode or registry_mode or Mode.READWRITE


def refuse_if_read_only(tx: StoreReader, subject: str | None) -> None:
    if effective_mode(tx, subject).read_only:
        raise ReadOnlyModeError(subject)


class ConfigService:
    """GET/PUT/DELETE /config and /mode."""

    def __init__(self, store: RegistryStore, *, default_level: CompatibilityLevel) -> None:
        self.store = store
        self.default_level = default_level

    def get_config(self, subject: str | None, *, default_to_global: bool) -> dict[str, Any]:
        with self.store.read() as tx:
            if subject is None:
                return self._render(tx.get_config(scope=GLOBAL_SCOPE))
            own = tx.get_config(scope=subject)
            if not default_to_global:
                if own is None:
                    raise SubjectCompatibilityNotConfiguredError(subject)
                return self._render(own, fallback=tx.get_config(scope=GLOBAL_SCOPE))
            merged = tx.get_config(scope=GLOBAL_SCOPE) or RegistryConfig()
            if own is not None:
                merged = RegistryConfig(
                    compatibility=own.compatibility or merged.compatibility,
                    extra={**merged.extra, **own.extra},
                )
            return self._render(merged)

    def put_config(self, subject: str | None, body: object) -> dict[str, Any]:
        update = _parse_config_body(body)
        if subject is not None:
            check_subject(subject)
        scope = scope_of(subject)
        with self.store.transaction() as tx:
            refuse_if_read_only(tx, subject)
            current = tx.get_config(scope=scope) or RegistryConfig()
            merged = RegistryConfig(
                compatibility=update.compatibility or current.compatibility,
                extra={**current.extra, **update.extra},
            )
            tx.put_config(scope=scope, config=merged)
        return merged.to_json()

    def delete_config(self, subject: str | None) -> dict[str, Any]:
        scope = scope_of(subject)
        with self.store.transaction() as tx:
            refuse_if_read_only(tx, subject)
            current = tx.get_config(scope=scope)
            if current is None and subject is not None:
                raise SubjectNotFoundError(subject)
            tx.delete_config(scope=scope)
            return self._render(current)

    def _render(
        self, config: RegistryConfig | None, *, fallback: RegistryConfig | None = None
    ) -> dict[str, Any]:
        """Config as GET shows it: the level under `compatibilityLevel`, always present."""
        level = (config.compatibility if config else None) or (
            fallback.compatibility if fallback else None
        )
        extra = config.extra if config else {}
        return {**extra, "compatibilityLevel": level or self.default_level.value}

    def get_mode(self, subject: str | None, *, default_to_global: bool) -> dict[str, str]:
        with self.store.read() as tx:
            if subject is None:
                return {"mode": (tx.get_mode(scope=GLOBAL_SCOPE) or Mode.READWRITE).value}
            own = tx.get_mode(scope=subject)
            if own is None and not default_to_global:
                raise SubjectModeNotConfiguredError(subject)
            return {"mode": (own or effective_mode(tx, subject)).value}

    def put_mode(self, subject: str | None, body: object, *, force: bool) -> dict[str, str]:
        if not isinstance(body, dict):
            raise MalformedRequestError("The request body must be a JSON object with a mode")
        mode = Mode.parse(body.get("mode"))
        if subject is not None:
            check_subject(subject)
        with self.store.transaction() as tx:
            if mode is Mode.IMPORT and not force and _has_live_versions(tx, subject):
                raise ImportWithSubjectsError()
            tx.put_mode(scope=scope_of(subject), mode=mode)
        return {"mode": mode.value}

    def delete_mode(self, subject: str | None) -> dict[str, str]:
        with self.store.transaction() as tx:
            current = tx.get_mode(scope=scope_of(subject))
            if current is None and subject is not None:
                raise SubjectNotFoundError(subject)
            tx.delete_mode(scope=scope_of(subject))
        return {"mode": (current or Mode.READWRITE).value}


def _has_live_versions(tx: StoreReader, subject: str | None) -> bool:
    if subject is None:
        return bool(tx.all_versions(include_deleted=False))
    return tx.latest_version(subject=subject, include_deleted=False) is not None


def _parse_config_body(body: object) -> RegistryConfig:
    if not isinstance(body, dict):
        raise InvalidCompatibilityLevelError()
    level_text = next((body[key] for key in _LEVEL_KEYS if body.get(key) is not None), None)
    level: str | None = None
    if level_text is not None:
        if not isinstance(level_text, str):
            raise InvalidCompatibilityLevelError()
        try:
            level = CompatibilityLevel.parse(level_text).value
        except ValueError:
            raise InvalidCompatibilityLevelError() from None
    extra = {key: value for key, value in body.items() if key not in _LEVEL_KEYS}
    if "normalize" in extra and not isinstance(extra["normalize"], bool):
        raise InvalidCompatibilityLevelError()
    return RegistryConfig(compatibility=level, extra=extra)
