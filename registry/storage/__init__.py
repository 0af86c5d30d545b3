"""Storage of the registry behind a small interface; SQLAlchemy implements it."""

from registry.storage.base import (
    DeferredWriteClash,
    RegistryStore,
    StoreReader,
    StoreTransaction,
)
from registry.storage.store import SqlRegistryStore, open_store

__all__ = [
    "DeferredWriteClash",
    "RegistryStore",
    "SqlRegistryStore",
    "StoreReader",
    "StoreTransaction",
    "open_store",
]
