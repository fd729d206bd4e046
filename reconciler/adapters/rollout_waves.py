"""Where the gate state of each Rollout lives: one JSON file in the controller's cache dir.

The wave a Rollout reached, when a gate's bake started and why a rollout halted must survive a
restart: a controller that forgot a halt would deploy the failed change to the canary again,
one that forgot a bake would start it over. Only the controller (the lease holder) writes it;
a write replaces the file atomically (a temporary file renamed over it), so a reader never sees
half a file. A file that cannot be read is an error, never "no rollout in progress".
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from reconciler.core.waves import RolloutRecord
from reconciler.errors import ReconcilerError

FILE_NAME = "rollout-waves.json"


class RolloutWaveStoreError(ReconcilerError):
    """The gate state file cannot be read or written."""


class RolloutWaveStore:
    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / FILE_NAME

    def load(self) -> dict[str, RolloutRecord]:
        """The recorded state of every Rollout by name (none recorded: empty)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise RolloutWaveStoreError(f"cannot read {self.path}: {error.strerror}") from error
        try:
            rollouts = json.loads(text)["rollouts"]
            return {str(name): RolloutRecord.from_json(entry) for name, entry in rollouts.items()}
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise RolloutWaveStoreError(
                f"{self.path} is not a rollout gate state file ({error}); fix or delete it "
                "(deleting it restarts every Rollout's waves and forgets its halts)"
            ) from error

    def save(self, records: Mapping[str, RolloutRecord]) -> None:
        """Replace the recorded state with `records`."""
        document = {"rollouts": {name: r.to_json() for name, r in sorted(records.items())}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".rollout-waves-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(document, out, indent=2, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            Path(temporary).replace(self.path)
        except OSError as error:
            with contextlib.suppress(OSError):
                Path(temporary).unlink()
            raise RolloutWaveStoreError(f"cannot write {self.path}: {error.strerror}") from error
