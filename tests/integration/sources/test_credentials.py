"""GitCredentials from the environment and files, and the redaction of secrets."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from reconciler.adapters.sources import GitCredentials
from reconciler.adapters.sources.credentials import Redactor
from reconciler.adapters.sources.git_environment import CREDENTIAL_HELPER, git_access
from reconciler.adapters.sources.locations import parse_remote
from reconciler.errors import SourceError
from reconciler.settings import ReconcilerSettings


def _from_environment(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]
) -> GitCredentials | None:
    """What the controller builds (`reconciler run`) from these RECONCILER_GIT_* variables."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = ReconcilerSettings()
    return GitCredentials.given(
        token=settings.git_token.get_secret_value() if settings.git_token else None,
        token_file=settings.git_token_file,
        username=settings.git_username,
        ssh_key_file=settings.git_ssh_key_file,
    )


def test_nothing_set_means_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _from_environment(monkeypatch, {}) is None
    empty = {"RECONCILER_GIT_TOKEN": "", "RECONCILER_GIT_TOKEN_FILE": ""}
    assert _from_environment(monkeypatch, empty) is None


def test_token_from_the_environment_is_hidden_from_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    environment = {"RECONCILER_GIT_TOKEN": "ghp_secretvalue123", "RECONCILER_GIT_USERNAME": "bot"}
    credentials = _from_environment(monkeypatch, environment)
    assert credentials is not None
    assert credentials.read_token() == "ghp_secretvalue123"
    assert credentials.username == "bot"
    assert "ghp_secretvalue123" not in repr(credentials)
    assert "ghp_secretvalue123" not in repr(ReconcilerSettings())


def test_token_file_is_read_at_every_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("first-token\n")
    credentials = _from_environment(monkeypatch, {"RECONCILER_GIT_TOKEN_FILE": str(token_file)})
    assert credentials == GitCredentials(token_file=token_file)
    assert credentials.username == "x-access-token"
    assert credentials.read_token() == "first-token"
    token_file.write_text("second-token")
    assert credentials.read_token() == "second-token"


def test_ssh_key_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = tmp_path / "id_ed25519"
    key.write_text("key")
    credentials = _from_environment(monkeypatch, {"RECONCILER_GIT_SSH_KEY_FILE": str(key)})
    assert credentials is not None
    assert credentials.check_ssh_key() == key
    assert credentials.read_token() is None


def test_token_and_token_file_together_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = {"RECONCILER_GIT_TOKEN": "abcd", "RECONCILER_GIT_TOKEN_FILE": str(tmp_path)}
    with pytest.raises(ValueError, match="not both") as refused:
        _from_environment(monkeypatch, environment)
    assert "abcd" not in str(refused.value)


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


def test_redactor_hides_every_url_query_whole() -> None:
    redact = Redactor()
    text = (
        "fatal: unable to access 'https://host/x.git?access_token=abc/': 403; "
        "file://u:p@localhost/x?k=v#frag, ssh://host/x and https://host/y?a=1&b=2"
    )
    assert redact(text) == (
        "fatal: unable to access 'https://host/x.git?***': 403; "
        "file://***@localhost/x?***#frag, ssh://host/x and https://host/y?***"
    )


REMOTE = "https://git.example.com:8443/acme/fleet.git"


def _access_env(tmp_path: Path) -> dict[str, str]:
    access = git_access(
        parse_remote(REMOTE),
        GitCredentials(token="s3cr3t-token-for-the-remote", username="bot"),
        known_hosts=tmp_path / "known_hosts",
        timeout=10,
    )
    return {**os.environ, **access.env}


def _fill(env: dict[str, str], protocol: str, host: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "credential", "fill"], input=f"protocol={protocol}\nhost={host}\n\n",
        env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip


def test_git_gets_the_token_for_the_remote_s_origin_only(tmp_path: Path) -> None:
    env = _access_env(tmp_path)

    answer = _fill(env, "https", "git.example.com:8443")
    assert "password=s3cr3t-token-for-the-remote" in answer.stdout.splitlines()
    for protocol, host in [
        ("https", "evil.example.net"),  # another host (a redirect elsewhere)
        ("https", "git.example.com"),  # the same host on another port
        ("https", "git.example.com:8444"),
        ("http", "git.example.com:8443"),  # a downgrade to cleartext
        ("https", "git.example.com.evil.example.net:8443"),
    ]:
        refused = _fill(env, protocol, host)
        assert "s3cr3t-token-for-the-remote" not in refused.stdout + refused.stderr, host
        assert refused.returncode != 0, host  # no helper answered, and Git may not prompt


def test_the_helper_itself_checks_the_origin(tmp_path: Path) -> None:
    # The second lock: even if Git asked it about another host, the helper would not answer.
    env = _access_env(tmp_path)

    def helper(action: str, asked: str) -> str:
        script = CREDENTIAL_HELPER.removeprefix("!") + f" {action}"
        return subprocess.run(
            ["sh", "-c", script], input=asked, env=env, capture_output=True, text=True, timeout=10
        ).stdout

    assert "password=s3cr3t-token-for-the-remote" in helper(
        "get", "protocol=https\nhost=git.example.com:8443\npath=acme/fleet.git\n"
    )
    assert helper("get", "protocol=https\nhost=evil.example.net\n") == ""
    assert helper("get", "protocol=http\nhost=git.example.com:8443\n") == ""
    assert helper("get", "host=git.example.com:8443\n") == ""
    assert helper("store", "protocol=https\nhost=git.example.com:8443\n") == ""
