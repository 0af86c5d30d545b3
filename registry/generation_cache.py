"""Answers worked out from the store, kept while nothing in the store changes.

The store's generation moves on with every write, anywhere; an answer is kept only under
the generation read before the reads that produced it, so it is never older than the data
its generation stands for.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import LRUCache

from registry.storage import RegistryStore

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class GenerationCache(Generic[K, V]):
    def __init__(self, store: RegistryStore, *, maxsize: int) -> None:
        self._store = store
        # cachetools caches are not thread-safe; gunicorn's threads share this one.
        self._lock = threading.Lock()
        self._values: LRUCache[K, V] = LRUCache(maxsize)
        self._generation = -1

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """The value kept for ``key`` in the current generation, else ``compute()``'s."""
        generation = self._store.generation()
        with self._lock:
            if generation != self._generation:
                self._values.clear()
                self._generation = generation
            elif key in self._values:
                return self._values[key]
        value = compute()
        with self._lock:
            if generation == self._generation:
                self._values[key] = value
        return value
