"""Where the gate state of each Rollout lives: JSON files in the controller's cache dir.

The wave a Rollout reached, when a gate's bake started and why a rollout halted must survive a
restart: a controller that forgot a halt would deploy the failed change to the canary again,
one that forgot a bake would start it over. Only the controller (the lease holder) writes it;
a write replaces the file atomically (a temporary file renamed over it), so a reader never sees
half a file. A file that cannot be read is an error, never "no rollout in progress".

Operators' approvals (`reconciler approve`, `POST /approve`) go to a second file, which only
they write and the controller only reads, so that neither overwrites the other's news. An
approval names the change it approves: a newer change needs a new one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from reconciler.core.waves import RolloutRecord
from reconciler.errors import ReconcilerError

FILE_NAME = "rollout-waves.json"
APPROVALS_FILE_NAME = "rollout-approvals.json"


class RolloutWaveStoreError(ReconcilerError):
    """The gate state file cannot be read or written."""


class ApprovalError(ReconcilerError):
    """Nothing to approve: no such Rollout or wave in progress; the message says why."""


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
        _write(self.path, document)


class ApprovalStore:
    """Operators' approvals of waves, by Rollout: wave -> the change approved."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / APPROVALS_FILE_NAME

    def load(self) -> dict[str, dict[str, str]]:
        return {
            rollout: {wave: str(entry["change"]) for wave, entry in waves.items()}
            for rollout, waves in self._document().items()
        }

    def approve(self, rollout: str, wave: str, change: str, *, at: datetime) -> None:
        document = self._document()
        document.setdefault(rollout, {})[wave] = {"change": change, "at": at.isoformat()}
        _write(self.path, {"approvals": document})

    def _document(self) -> dict[str, dict[str, dict[str, Any]]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise RolloutWaveStoreError(f"cannot read {self.path}: {error.strerror}") from error
        try:
            approvals = json.loads(text)["approvals"]
            return {
                str(rollout): {
                    str(wave): {"change": str(entry["change"]), "at": entry.get("at")}
                    for wave, entry in waves.items()
                }
                for rollout, waves in approvals.items()
            }
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise RolloutWaveStoreError(
                f"{self.path} is not a rollout approvals file ({error}); fix or delete it "
                "(deleting it forgets the approvals given)"
            ) from error


def approve_wave(
    records: RolloutWaveStore, approvals: ApprovalStore, rollout: str, wave: str, *, at: datetime
) -> RolloutRecord:
    """Approve `wave` of `rollout` for the change it is rolling out now; that record."""
    known = records.load()
    record = known.get(rollout)
    if record is None:
        names = ", ".join(sorted(known)) or "none"
        raise ApprovalError(
            f"no change of rollout {rollout!r} is recorded (rollouts recorded: {names})"
        )
    if wave not in record.waves:
        raise ApprovalError(
            f"rollout {rollout!r} has no wave {wave!r} (waves: {', '.join(record.waves)})"
        )
    if record.halted_reason is not None:
        raise ApprovalError(
            f"rollout {rollout!r} is halted ({record.halted_reason}): only a newer commit "
            "restarts it"
        )
    approvals.approve(rollout, wave, record.change, at=at)
    return record


def _write(path: Path, document: Mapping[str, Any]) -> None:
    """Replace `path` with `document` atomically (a temporary file renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=2, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        Path(temporary).replace(path)
    except OSError as error:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise RolloutWaveStoreError(f"cannot write {path}: {error.strerror}") from error
