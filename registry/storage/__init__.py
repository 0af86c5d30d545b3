"""Storage of the registry behind a small interface; SQLAlchemy implements it."""

from registry.storage.base import RegistryStore, StoreTransaction
from registry.storage.sql import SqlRegistryStore, open_store

__all__ = ["RegistryStore", "SqlRegistryStore", "StoreTransaction", "open_store"]
