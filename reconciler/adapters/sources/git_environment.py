"""The environment every Git process of a source runs in: non-interactive, bounded, credentialed.

Why the environment and not `-c` options or the URL: the command line of a process is visible to
every user of the machine (`ps`), a URL with a password ends up in `.git/config` and in Git's
messages, and `.git/config` is a file on disk. The environment of our own child processes is
visible to us alone. Git reads configuration from `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/
`GIT_CONFIG_VALUE_n` (Git ≥ 2.31), so the credential helper below is configured there; it prints
the token from the environment when Git asks for it and ignores Git's "store"/"erase" requests,
and the empty `credential.helper` before it switches off every helper of the user's or system's
Git configuration, so a `credential.helper=store` can never write the token to
`~/.git-credentials`.

The token belongs to the configured remote's scheme, host and port, and to nothing else. Git
follows an HTTP redirect of its first request and then asks for credentials for wherever the
redirect pointed, so the helper is configured for that origin only
(`credential.<scheme>://<host:port>.helper`, matched by Git), and the helper itself answers only
when the `protocol` and `host` Git asks about are the remote's (a second lock on the same door).

Git also runs programs that a repository's own `.git/config` names: the `core.fsmonitor` command
(run by `status`, `diff`, `reset`, ...), hooks, and the clean/smudge filters `.gitattributes`
selects. Every command runs with `READING_SAFETY_CONFIG`, and commands that read a repository
the reconciler did not create (`commit_info.py`) also with `neutralized_filters`: configuration
from the environment wins over the repository's own.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from reconciler.adapters.sources.credentials import GitCredentials
from reconciler.adapters.sources.locations import Remote, is_http_url, is_ssh_url

_USERNAME_VAR = "RECONCILER_GIT_HELPER_USERNAME"
_PASSWORD_VAR = "RECONCILER_GIT_HELPER_PASSWORD"
_PROTOCOL_VAR = "RECONCILER_GIT_HELPER_PROTOCOL"
_HOST_VAR = "RECONCILER_GIT_HELPER_HOST"
# `!` makes Git run the helper through the shell; Git appends the action (get/store/erase) and
# writes what it asks about on stdin (`protocol=https`, `host=example.com:8443`, ...). The
# helper answers a `get` for the remote's own protocol and host only.
CREDENTIAL_HELPER = (
    '!f() { test "$1" = get || return 0; p=; h=; '
    'while IFS= read -r line; do case "$line" in '
    'protocol=*) p="${line#protocol=}";; host=*) h="${line#host=}";; esac; done; '
    f'test "$p" = "${_PROTOCOL_VAR}" && test "$h" = "${_HOST_VAR}" || return 0; '
    f'printf \'username=%s\\npassword=%s\\n\' "${_USERNAME_VAR}" "${_PASSWORD_VAR}"; }}; f'
)
_LOW_SPEED_LIMIT = 1000  # bytes per second; slower than this for too long aborts the transfer

# Off in every Git command: a repository's own configuration must not make Git run a program.
READING_SAFETY_CONFIG: tuple[tuple[str, str], ...] = (
    ("core.fsmonitor", "false"),
    ("core.hooksPath", "/dev/null"),
)

_log = logging.getLogger(__name__)
_warned_cleartext_hosts: set[str] = set()


@dataclass(frozen=True)
class GitAccess:
    """Environment variables for Git processes, and the secret they carry (for redaction)."""

    env: dict[str, str]
    secret: str | None = field(default=None, repr=False)


def git_access(
    remote: Remote,
    credentials: GitCredentials | None,
    *,
    known_hosts: Path,
    timeout: float,
    inherited: Mapping[str, str] | None = None,
) -> GitAccess:
    """The environment for Git commands talking to `remote` (reads the token file now)."""
    parent = os.environ if inherited is None else inherited
    env: dict[str, str] = {
        # Never wait for a person: no terminal prompt, no askpass program (an empty GIT_ASKPASS
        # makes Git skip core.askPass and SSH_ASKPASS too).
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "",
        "SSH_ASKPASS": "",
        # A transfer that stalls below the limit for this long is aborted by curl itself; the
        # process-level timeout is the backstop for everything else.
        "GIT_HTTP_LOW_SPEED_LIMIT": str(_LOW_SPEED_LIMIT),
        "GIT_HTTP_LOW_SPEED_TIME": str(max(1, int(min(timeout, 30)))),
    }
    config: list[tuple[str, str]] = [*READING_SAFETY_CONFIG, ("credential.helper", "")]
    secret: str | None = None
    if is_http_url(remote.url):
        token = credentials.read_token() if credentials is not None else None
        secret = token or remote.password
        if secret is not None:
            username = remote.username or (credentials.username if credentials else None)
            parts = urlsplit(remote.url)
            host = parts.netloc.rpartition("@")[2]
            env[_USERNAME_VAR] = username or "x-access-token"
            env[_PASSWORD_VAR] = secret
            env[_PROTOCOL_VAR] = parts.scheme
            env[_HOST_VAR] = host
            # A URL without a path: Git matches the helper for every path of this origin only.
            config.append((f"credential.{parts.scheme}://{host}.helper", CREDENTIAL_HELPER))
            _warn_if_cleartext(remote.url)
    elif is_ssh_url(remote.url):
        ssh_command = _ssh_command(credentials, known_hosts, timeout, parent)
        if ssh_command is not None:
            env["GIT_SSH_COMMAND"] = ssh_command
            env["GIT_SSH_VARIANT"] = "ssh"
    env.update(config_environment(config))
    return GitAccess(env=env, secret=secret)


def config_environment(config: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Environment variables that give Git these settings, above every configuration file."""
    env = {"GIT_CONFIG_COUNT": str(len(config))}
    for index, (key, value) in enumerate(config):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    return env


def neutralized_filters(drivers: Iterable[str]) -> list[tuple[str, str]]:
    """Settings that switch off the named filter drivers: an empty command is no command, and a
    filter that is not `required` may be skipped."""
    return [
        (f"filter.{driver}.{variable}", value)
        for driver in sorted(set(drivers))
        for variable, value in (
            ("clean", ""),
            ("smudge", ""),
            ("process", ""),
            ("required", "false"),
        )
    ]


def _ssh_command(
    credentials: GitCredentials | None, known_hosts: Path, timeout: float, parent: Mapping[str, str]
) -> str | None:
    key = credentials.check_ssh_key() if credentials is not None else None
    if key is None and (parent.get("GIT_SSH_COMMAND") or parent.get("GIT_SSH")):
        return None  # the user's own SSH setup, as configured
    connect_timeout = max(1, int(min(timeout, 30)))
    options = [
        "ssh",
        "-o", "BatchMode=yes",  # never prompt for a passphrase, a password or a host key
        "-o", f"ConnectTimeout={connect_timeout}",
        "-o", "ServerAliveInterval=15",
        "-o", "ServerAliveCountMax=4",
    ]  # fmt: skip
    if key is not None:
        options += [
            "-i", str(key),
            "-o", "IdentitiesOnly=yes",
            # A controller in a container has no known_hosts: trust a host on first use, then
            # insist on the same key (kept next to the cache).
            "-o", "StrictHostKeyChecking=accept-new",
            "-o", f"UserKnownHostsFile={known_hosts}",
        ]  # fmt: skip
    return " ".join(shlex.quote(option) for option in options)


def _warn_if_cleartext(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() != "http":
        return
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and host not in _warned_cleartext_hosts:
        _warned_cleartext_hosts.add(host)
        _log.warning("sending Git credentials over unencrypted http to %s; use https", host)
