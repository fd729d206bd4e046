"""GitSource against local repositories (file:// URLs and plain paths): clone, follow, fail."""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path

import pytest

from reconciler.adapters.sources import GitSource, SourceRevision, changed_since
from reconciler.errors import SourceError
from tests.integration.sources.repos import Upstream, git


def open_file_source(upstream: Upstream, cache_dir: Path, *, shallow: bool = True) -> GitSource:
    return GitSource(
        upstream.file_url(), "main", "deploy-specs", cache_dir=cache_dir, shallow=shallow
    )


def test_first_fetch_clones_the_branch_tip(upstream: Upstream, cache_dir: Path) -> None:
    source = open_file_source(upstream, cache_dir)
    assert source.last_good is None

    revision = source.fetch()

    head = upstream.head()
    assert revision.revision == head
    assert revision.specs_root == source.checkout_dir / "deploy-specs"
    assert (revision.specs_root / "groups" / "prod.yaml").read_text() == (
        "kind: Deployment\nname: prod\n"
    )
    assert revision.description == f"main@{head[:7]} (Add prod)"
    assert revision.committed_at == float(git(upstream.work, "log", "-1", "--format=%ct"))
    assert revision.content_id == git(upstream.work, "rev-parse", "HEAD:deploy-specs")
    assert source.last_good == revision


def test_shallow_clone_holds_one_commit(upstream: Upstream, cache_dir: Path) -> None:
    source = open_file_source(upstream, cache_dir)
    source.fetch()
    assert git(source.checkout_dir, "rev-list", "--count", "HEAD") == "1"
    assert git(source.checkout_dir, "rev-parse", "--is-shallow-repository") == "true"


def test_a_plain_path_remote_is_cloned_shallow_too(upstream: Upstream, cache_dir: Path) -> None:
    # `git clone --depth 1 /path` ignores the depth; fetching into an empty repository does not.
    source = GitSource(str(upstream.bare), cache_dir=cache_dir)
    assert source.fetch().revision == upstream.head()
    assert git(source.checkout_dir, "rev-list", "--count", "HEAD") == "1"


def test_full_clone_when_asked(upstream: Upstream, cache_dir: Path) -> None:
    source = open_file_source(upstream, cache_dir, shallow=False)
    source.fetch()
    assert git(source.checkout_dir, "rev-list", "--count", "HEAD") == "2"
    assert git(source.checkout_dir, "rev-parse", "--is-shallow-repository") == "false"


def test_a_new_commit_is_picked_up(upstream: Upstream, cache_dir: Path) -> None:
    source = open_file_source(upstream, cache_dir)
    first = source.fetch()
    assert not changed_since(first, source.fetch())

    sha = upstream.commit({"deploy-specs/groups/prod.yaml": "kind: Deployment\nname: p2\n"}, "Edit")
    second = source.fetch()

    assert second.revision == sha != first.revision
    assert changed_since(first, second)
    assert (second.specs_root / "groups" / "prod.yaml").read_text().endswith("name: p2\n")
    assert git(source.checkout_dir, "rev-list", "--count", "HEAD") == "1"


def test_a_commit_outside_the_specs_is_no_change(upstream: Upstream, cache_dir: Path) -> None:
    source = open_file_source(upstream, cache_dir)
    first = source.fetch()
    upstream.commit({"README.md": "fleet, documented\n"}, "Docs only")
    second = source.fetch()
    assert second.revision != first.revision
    assert second.content_id == first.content_id
    assert not changed_since(first, second)


def test_force_pushed_history_is_followed(upstream: Upstream, cache_dir: Path) -> None:
    source = open_file_source(upstream, cache_dir, shallow=False)
    before = source.fetch()
    (source.checkout_dir / "deploy-specs" / "stray.yaml").write_text("left behind\n")

    rewritten = upstream.rewrite_last_commit(
        {"deploy-specs/groups/dev.yaml": "kind: Deployment\nname: dev\n"}, "Rewritten"
    )
    after = source.fetch()

    assert after.revision == rewritten
    assert before.revision not in git(upstream.work, "rev-list", "HEAD").split()
    files = sorted(p.name for p in (after.specs_root / "groups").iterdir())
    assert files == ["dev.yaml"]  # the old commit's file is gone
    assert not (after.specs_root / "stray.yaml").exists()  # untracked files are cleaned
    assert git(source.checkout_dir, "rev-parse", "HEAD") == rewritten


def test_deleted_branch_keeps_the_last_good(upstream: Upstream, cache_dir: Path) -> None:
    source = open_file_source(upstream, cache_dir)
    good = source.fetch()
    upstream.delete_branch()

    with pytest.raises(SourceError, match=r"branch 'main' does not exist in .*fleet\.git") as err:
        source.fetch()

    assert err.value.temporary
    assert_last_good_intact(source, good)


def test_missing_specs_path_names_the_commit(upstream: Upstream, cache_dir: Path) -> None:
    source = open_file_source(upstream, cache_dir)
    good = source.fetch()
    sha = upstream.commit({"deploy-specs/groups/prod.yaml": None}, "Remove the specs")

    with pytest.raises(SourceError, match=rf"'deploy-specs' does not exist at commit {sha[:12]}"):
        source.fetch()

    assert_last_good_intact(source, good)


def test_specs_path_that_is_a_file(upstream: Upstream, cache_dir: Path) -> None:
    source = GitSource(upstream.file_url(), path="README.md", cache_dir=cache_dir)
    with pytest.raises(SourceError, match=r"'README\.md' is a file, not a directory"):
        source.fetch()
    assert source.last_good is None
    assert not source.checkout_dir.exists()  # a failed first clone leaves nothing behind


def test_specs_path_dot_is_the_repository_root(upstream: Upstream, cache_dir: Path) -> None:
    revision = GitSource(upstream.file_url(), path=".", cache_dir=cache_dir).fetch()
    assert revision.specs_root.name != "deploy-specs"
    assert (revision.specs_root / "README.md").is_file()
    assert revision.content_id == git(upstream.work, "rev-parse", "HEAD^{tree}")


def test_unreachable_remote_on_first_fetch(tmp_path: Path, cache_dir: Path) -> None:
    source = GitSource((tmp_path / "nothing.git").as_uri(), cache_dir=cache_dir)
    with pytest.raises(SourceError, match=r"cannot fetch file://.*nothing\.git"):
        source.fetch()
    assert source.last_good is None


def test_remote_that_went_away_keeps_the_last_good(upstream: Upstream, cache_dir: Path) -> None:
    source = open_file_source(upstream, cache_dir)
    good = source.fetch()
    moved = upstream.bare.rename(upstream.bare.with_name("moved.git"))

    with pytest.raises(SourceError, match="cannot fetch"):
        source.fetch()
    assert_last_good_intact(source, good)

    moved.rename(upstream.bare)
    sha = upstream.commit({"deploy-specs/more.yaml": "kind: Deployment\n"}, "Back")
    assert source.fetch().revision == sha


@pytest.mark.parametrize(
    "damage",
    ["garbage HEAD", "objects deleted", "stale index.lock", "interrupted clone", "other remote"],
)
def test_a_broken_cache_is_cloned_again(
    upstream: Upstream, cache_dir: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    source = open_file_source(upstream, cache_dir)
    source.fetch()
    checkout = source.checkout_dir
    if damage == "garbage HEAD":
        (checkout / ".git" / "HEAD").write_text("not a ref\n")
    elif damage == "objects deleted":
        for pack in (checkout / ".git" / "objects").rglob("*"):
            if pack.is_file():
                pack.chmod(0o644)
                pack.unlink()
    elif damage == "stale index.lock":
        (checkout / ".git" / "index.lock").write_text("")
    elif damage == "interrupted clone":
        partial = checkout.with_name(checkout.name + ".partial")
        partial.mkdir()
        (partial / "half").write_text("")
        (checkout / ".git").rename(checkout / "not-git")
    else:
        git(checkout, "remote", "set-url", "origin", "/elsewhere.git")
    sha = upstream.commit({"deploy-specs/groups/new.yaml": "kind: Deployment\n"}, "After damage")

    with caplog.at_level(logging.WARNING):
        revision = source.fetch()

    assert "is unusable" in caplog.text and "cloning again" in caplog.text
    assert revision.revision == sha
    assert (revision.specs_root / "groups" / "new.yaml").is_file()
    assert git(checkout, "status", "--porcelain") == ""
    assert sorted(p.name for p in cache_dir.iterdir()) == sorted(
        [checkout.name, checkout.name + ".lock"]
    )


def test_a_second_source_on_the_same_cache_reuses_the_checkout(
    upstream: Upstream, cache_dir: Path
) -> None:
    first = open_file_source(upstream, cache_dir).fetch()
    marker = first.specs_root.parent / ".git" / "reused-marker"
    marker.write_text("")
    again = open_file_source(upstream, cache_dir).fetch()
    assert again == first
    assert marker.exists()  # fetched into, not cloned again


def test_invalid_branch_and_path_are_refused(upstream: Upstream, cache_dir: Path) -> None:
    for branch in ["-upload-pack=evil", "a..b", "with space", "ends/", ""]:
        with pytest.raises(ValueError, match="not a valid Git branch name"):
            GitSource(upstream.file_url(), branch, cache_dir=cache_dir)
    for path in ["/etc", "../outside", "a/../../b"]:
        with pytest.raises(ValueError, match="specs path"):
            GitSource(upstream.file_url(), path=path, cache_dir=cache_dir)


def test_a_branch_with_slashes(upstream: Upstream, cache_dir: Path) -> None:
    git(upstream.work, "push", "--quiet", "origin", "HEAD:refs/heads/release/2024")
    revision = GitSource(upstream.file_url(), "release/2024", cache_dir=cache_dir).fetch()
    assert revision.revision == upstream.head()
    assert revision.description.startswith("release/2024@")


def assert_last_good_intact(source: GitSource, good: SourceRevision) -> None:
    assert source.last_good == good
    assert git(source.checkout_dir, "rev-parse", "HEAD") == good.revision
    assert (good.specs_root / "groups" / "prod.yaml").is_file()
    assert git(source.checkout_dir, "status", "--porcelain") == ""


def test_a_cache_locked_by_another_process_is_reported(upstream: Upstream, cache_dir: Path) -> None:
    source = GitSource(upstream.file_url(), cache_dir=cache_dir, timeout=0.5)
    source.fetch()
    lock_file = source.checkout_dir.with_name(source.checkout_dir.name + ".lock")
    with lock_file.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as another reconciler process fetching right now
        with pytest.raises(SourceError, match=r"in use by another process"):
            source.fetch()
    assert source.fetch().revision == upstream.head()
