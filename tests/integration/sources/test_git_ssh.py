"""GitSource over SSH, with a stand-in `ssh` program first on PATH (as Git's own tests do).

The stand-in records the options Git passed it and runs the remote command (`git-upload-pack
'<path>'`) locally, so the transport is real Git over a real pipe; only the network hop is
missing.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from reconciler.adapters.sources import GitCredentials, GitSource
from reconciler.errors import SourceError
from tests.integration.sources.repos import Upstream

FAKE_SSH = """#!/bin/sh
printf '%s\\n' "$@" > "{log}"
for last; do :; done
exec sh -c "$last"
"""


@pytest.fixture
def fake_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake `ssh` on PATH; returns the file its arguments are written to."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "ssh-arguments"
    program = bin_dir / "ssh"
    program.write_text(FAKE_SSH.format(log=log))
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}")
    return log


def test_clone_over_ssh_with_a_key_file(
    fake_ssh: Path, upstream: Upstream, tmp_path: Path, cache_dir: Path
) -> None:
    key = tmp_path / "deploy key"  # a space, to prove the command is quoted for the shell
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nnot a real key\n")
    source = GitSource(
        f"ssh://git@git.example.com{upstream.bare}",
        cache_dir=cache_dir,
        credentials=GitCredentials(ssh_key_file=key),
    )

    assert source.fetch().revision == upstream.head()

    arguments = fake_ssh.read_text().splitlines()
    assert arguments[arguments.index("-i") + 1] == str(key)
    for option in (
        "BatchMode=yes",
        "IdentitiesOnly=yes",
        "StrictHostKeyChecking=accept-new",
        f"UserKnownHostsFile={cache_dir.resolve() / 'known_hosts'}",
    ):
        assert option in arguments
    assert "git@git.example.com" in arguments
    assert shlex.split(arguments[-1]) == ["git-upload-pack", str(upstream.bare)]


def test_scp_like_address(fake_ssh: Path, upstream: Upstream, cache_dir: Path) -> None:
    source = GitSource(f"git@git.example.com:{upstream.bare}", cache_dir=cache_dir)
    assert source.fetch().revision == upstream.head()
    arguments = fake_ssh.read_text().splitlines()
    assert "BatchMode=yes" in arguments  # never prompts, even without a key of ours
    assert "-i" not in arguments


def test_unreadable_ssh_key_is_reported(
    upstream: Upstream, tmp_path: Path, cache_dir: Path
) -> None:
    source = GitSource(
        f"ssh://git@git.example.com{upstream.bare}",
        cache_dir=cache_dir,
        credentials=GitCredentials(ssh_key_file=tmp_path / "missing-key"),
    )
    with pytest.raises(SourceError, match=r"cannot read the SSH key file .*missing-key"):
        source.fetch()
