"""A persistent cache of immutable facts read from AWS (see `store.FactCache`)."""

from reconciler.adapters.cache.store import FactCache

__all__ = ["FactCache"]
