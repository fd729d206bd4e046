"""No-op plans kept between processes (see `reconciler.core.planning.remembered`).

The plans of one account, region and reconciler instance are one entry of the fact cache (kind
`plans`): a new process reads them in one file read, where one file per thing group would cost
10,000 opens. The entry is checksummed and written atomically like every fact; a damaged one is
discarded by `FactCache` and the process plans every group, as it would without it.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

import reconciler
from reconciler.adapters.cache.store import FactCache

KIND = "plans"


class KeptPlans:
    """The records of the no-op plans of one account, region and instance."""

    def __init__(self, facts: FactCache, *, region: str, account: str, instance: str) -> None:
        self._facts = facts
        self._key = f"{region}/{account}/{instance}"

    def load(self) -> dict[str, object]:
        """The kept records by their keys; empty when there are none (or they do not verify)."""
        value = self._facts.get(KIND, self._key)
        records = value.get("records") if isinstance(value, dict) else None
        return records if isinstance(records, dict) else {}

    def save(self, records: Mapping[str, object]) -> None:
        self._facts.put(KIND, self._key, {"records": dict(records)})
        self._facts.trim()


@functools.cache
def code_digest() -> str:
    """A digest of the code whose results are kept: the reconciler's pure core (its sources, as
    installed) and what it is built on (Python, pydantic, which models the specs). A kept plan
    made by other code is never found: an upgrade plans everything once."""
    digest = hashlib.sha256(f"{reconciler.__version__}\0{sys.version_info[:2]}".encode())
    for name in ("pydantic", "pyyaml"):
        try:
            digest.update(f"\0{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"\0{name}=?".encode())
    core = Path(reconciler.__file__).parent / "core"
    for path in sorted(core.rglob("*.py")):
        digest.update(b"\0" + path.relative_to(core).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()
