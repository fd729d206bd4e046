"""Credentials for Git remotes, and the redaction that keeps them out of every message.

A token is read from its file at every fetch (so a rotated secret mounted from Kubernetes or
written by a CI step is picked up without a restart) and handed to Git only through the
environment of the Git process (see `git_environment.py`): never on a command line, never in
`.git/config`, never in a URL that Git could print.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.errors import SourceError

DEFAULT_USERNAME = "x-access-token"  # what GitHub expects with an app or fine-grained token

REDACTED = "***"
# `scheme://user:secret@host` (and `scheme://secret@host`) as Git and curl print them.
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s'\"]+@")
# The query of a URL (`?access_token=...`): services put tokens there; none of it is shown.
_URL_QUERY = re.compile(r"(?P<before>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s?#'\"]*)\?[^\s#'\"]*")


@dataclass(frozen=True)
class GitCredentials:
    """How to authenticate to a Git remote.

    `token_file` (or an in-memory `token`, e.g. from `RECONCILER_GIT_TOKEN`) is used for HTTP(S)
    remotes with `username`; `ssh_key_file` for SSH remotes. The token never appears in `repr()`.
    """

    token_file: Path | None = None
    username: str = DEFAULT_USERNAME
    ssh_key_file: Path | None = None
    token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.token_file is not None and self.token is not None:
            raise ValueError("give a Git token either inline or as a file, not both")

    @classmethod
    def given(
        cls,
        *,
        token: str | None = None,
        token_file: Path | None = None,
        username: str | None = None,
        ssh_key_file: Path | None = None,
    ) -> GitCredentials | None:
        """Credentials from the settings `git_token` or `git_token_file`, `git_username` and
        `git_ssh_key_file` (RECONCILER_GIT_*); None when none is given.

        Raises ValueError, naming the variables and never the token, when both a token and a
        token file are given.
        """
        token, username = token or None, username or None
        if token is None and token_file is None and ssh_key_file is None:
            return None
        if token is not None and token_file is not None:
            raise ValueError(
                "set either RECONCILER_GIT_TOKEN or RECONCILER_GIT_TOKEN_FILE, not both"
            )
        return cls(
            token_file=token_file,
            username=username or DEFAULT_USERNAME,
            ssh_key_file=ssh_key_file,
            token=token,
        )

    @property
    def has_token(self) -> bool:
        return self.token is not None or self.token_file is not None

    def read_token(self) -> str | None:
        """The token as of now (the file is read again each time); None without one.

        Raises `SourceError` when the token file cannot be read or is empty.
        """
        if self.token is not None:
            return self.token.strip() or None
        if self.token_file is None:
            return None
        try:
            token = self.token_file.read_text(encoding="utf-8").strip()
        except OSError as err:
            raise SourceError(
                f"cannot read the Git token file {self.token_file}: {err.strerror or err}"
            ) from None
        if not token:
            raise SourceError(f"the Git token file {self.token_file} is empty")
        return token

    def check_ssh_key(self) -> Path | None:
        """The SSH key file, checked to be readable; raises `SourceError` when it is not."""
        if self.ssh_key_file is None:
            return None
        if not os.access(self.ssh_key_file, os.R_OK) or not self.ssh_key_file.is_file():
            raise SourceError(f"cannot read the SSH key file {self.ssh_key_file}")
        return self.ssh_key_file


class Redactor:
    """Removes secrets from text that leaves the source: error messages, log lines, and the
    remote's URL wherever it is shown (its user info and its query are hidden whole)."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        # Very short strings would blank out ordinary words; no real token is that short.
        self._secrets.update(s for s in secrets if s and len(s) >= 4)

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        text = _URL_USERINFO.sub(rf"\g<scheme>{REDACTED}@", text)
        return _URL_QUERY.sub(rf"\g<before>?{REDACTED}", text)
