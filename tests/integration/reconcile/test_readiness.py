"""What /readyz answers, as docs/controller-endpoints.md states it: the leader is ready once a
first sync has succeeded; a follower, which writes nothing, is ready without one."""

from __future__ import annotations

from pathlib import Path

from reconciler.adapters.leases.election import LeaderElector
from reconciler.adapters.leases.file import FileLease
from reconciler.adapters.sources.factory import open_source
from reconciler.engine.running import Controller
from reconciler.settings import ReconcilerSettings


def _controller(specs: Path, tmp_path: Path, elector: LeaderElector | None) -> Controller:
    settings = ReconcilerSettings(lock="none", cache_dir=tmp_path / "cache")
    source = open_source(
        str(specs), path=".", prefer="directory", cache_dir=tmp_path / "cache" / "sources"
    )
    return Controller(settings=settings, source=source, elector=elector, serve_http=False)


def test_the_leader_is_not_ready_before_a_first_sync(specs: Path, tmp_path: Path) -> None:
    leader = _controller(specs, tmp_path, elector=None)  # no lock: this replica leads
    assert leader.is_leader()
    assert not leader.ready()  # ready after the sync: test_controller_service.py


def test_a_follower_is_ready_without_any_sync(specs: Path, tmp_path: Path) -> None:
    lease = FileLease(tmp_path / "leader.lock", "replica-b", 30.0)
    follower = _controller(specs, tmp_path, elector=LeaderElector(lease))  # never started
    assert not follower.is_leader()
    assert not follower.status.snapshot()["ready"]
    assert follower.ready()
