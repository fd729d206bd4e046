"""GitCredentials from the environment and files, and the redaction of secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.adapters.sources import GitCredentials
from reconciler.adapters.sources.credentials import Redactor
from reconciler.errors import SourceError


def test_nothing_set_means_no_credentials() -> None:
    assert GitCredentials.from_env({}) is None


def test_token_from_the_environment_is_hidden_from_repr() -> None:
    credentials = GitCredentials.from_env(
        {"RECONCILER_GIT_TOKEN": "ghp_secretvalue123", "RECONCILER_GIT_USERNAME": "bot"}
    )
    assert credentials is not None
    assert credentials.read_token() == "ghp_secretvalue123"
    assert credentials.username == "bot"
    assert "ghp_secretvalue123" not in repr(credentials)


def test_token_file_is_read_at_every_use(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("first-token\n")
    credentials = GitCredentials.from_env({"RECONCILER_GIT_TOKEN_FILE": str(token_file)})
    assert credentials == GitCredentials(token_file=token_file)
    assert credentials.username == "x-access-token"
    assert credentials.read_token() == "first-token"
    token_file.write_text("second-token")
    assert credentials.read_token() == "second-token"


def test_ssh_key_from_the_environment(tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    key.write_text("key")
    credentials = GitCredentials.from_env({"RECONCILER_GIT_SSH_KEY_FILE": str(key)})
    assert credentials is not None
    assert credentials.check_ssh_key() == key
    assert credentials.read_token() is None


def test_token_and_token_file_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not both"):
        GitCredentials.from_env(
            {"RECONCILER_GIT_TOKEN": "abcd", "RECONCILER_GIT_TOKEN_FILE": str(tmp_path / "t")}
        )


def test_unreadable_or_empty_token_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"cannot read the Git token file .*missing"):
        GitCredentials(token_file=tmp_path / "missing").read_token()
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(SourceError, match=r"token file .*empty is empty"):
        GitCredentials(token_file=empty).read_token()


def test_redactor_removes_secrets_and_url_passwords() -> None:
    redact = Redactor(["s3cr3t-token", None, "ab"])
    text = "fatal: https://user:other-pass@host/x.git and s3cr3t-token; ab stays"
    assert redact(text) == "fatal: https://***@host/x.git and ***; ab stays"
