"""What surrounds the specs must not leak secrets or run code: the Git checkout they live in, the
remote and the URL they come from, the names in their configuration, the machine's Git.

One test per class of defect, each through the product's public interfaces (the CLI in process
and as child processes, a real controller process, Git's HTTP protocol on loopback):

- a symlink among the specs into the checkout's `.git` (where CI keeps the job's token);
- a Git remote that redirects to another host, which must not receive the token;
- a token in the source URL's query, or a password in a `file://` URL, in logs and `/status`;
- key names below a `secretPaths` entry in plans;
- the enclosing repository's `core.fsmonitor`, hooks and filters, which `plan` must not run;
- a machine without `git`: `--help` and `validate` work, the others say what is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.adapters.sources import GitCredentials, GitSource
from reconciler.cli import main
from reconciler.errors import SourceError
from tests.conftest import AwsTestContext
from tests.integration.sources.git_http_server import GitHttpServer
from tests.integration.sources.repos import git
from tests.reliability.controllers import ControllerProcess
from tests.reliability.figures import Figures
from tests.reliability.fleet import mutating
from tests.reliability.gitrepo import HTTP_TOKEN, HTTP_USER, SPECS_DIR, FleetRepo
from tests.reliability.processes import ROOT

CI_TOKEN = "ghs_ciJobTokenInTheCheckoutsGitConfig42"
ARTIFACT = "components/com.acme.ImageUploader/artifacts/upload_results.py"
PROD = "groups/camera-prod.yaml"


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_an_artifact_symlinked_into_git_is_refused_and_nothing_is_uploaded(
    seeded: AwsTestContext, specs: Path
) -> None:
    # The specs root is a CI checkout; its `.git/config` holds the job's token (as
    # actions/checkout leaves it), and a pull request made the artifact a symlink to it.
    git(specs, "init", "--quiet")
    git(specs, "config", "http.https://github.com/.extraheader", f"AUTHORIZATION: basic {CI_TOKEN}")
    (specs / ARTIFACT).unlink()
    (specs / ARTIFACT).symlink_to("../../../.git/config")

    outputs = {
        "validate": _cli("validate", str(specs)),
        "plan": _cli("plan", "--specs", str(specs), "--format", "json"),
        "apply": _cli("apply", "--specs", str(specs), "--auto-approve"),
    }

    for name, (exit_code, output) in outputs.items():
        assert exit_code == 1, (name, output)
        assert f"{ARTIFACT}' is a symlink" in output and "to a hidden or Git file" in output, name
        assert CI_TOKEN not in output, name
        assert "Traceback" not in output, name
    assert mutating(seeded, 0) == []  # no upload, no component version, no deployment


def test_the_git_token_does_not_follow_a_redirect_to_another_host(
    seeded: AwsTestContext, specs: Path, tmp_path: Path
) -> None:
    repo = FleetRepo.create(tmp_path / "fleet", specs)
    root = repo.upstream.server_root
    with (
        GitHttpServer(root, {HTTP_USER: HTTP_TOKEN}) as remote,
        GitHttpServer(root, {HTTP_USER: HTTP_TOKEN}, host="127.0.0.2") as elsewhere,
    ):
        remote.redirect_to = f"http://{elsewhere.host}:{elsewhere.port}"
        url = remote.url(repo.upstream.bare.name)
        source = GitSource(
            url,
            path=SPECS_DIR,
            cache_dir=tmp_path / "cache",
            credentials=GitCredentials(token=HTTP_TOKEN, username=HTTP_USER),
            timeout=20,
        )
        with pytest.raises(SourceError) as raised:
            source.fetch()

    assert elsewhere.requests, "the redirect was not followed: the test proves nothing"
    assert [r for r in elsewhere.requests if r.password is not None] == []
    assert "requires credentials" in str(raised.value) and HTTP_TOKEN not in str(raised.value)
    assert mutating(seeded, 0) == []


def test_source_url_secrets_appear_in_no_log_and_no_status(
    seeded: AwsTestContext, specs: Path, tmp_path: Path, figures: Figures
) -> None:
    repo = FleetRepo.create(tmp_path / "fleet", specs)
    query_token = "glpat-sourceUrlQueryToken0123456789"
    file_password = "fileUrlPassw0rdNeverShown"
    outputs: dict[str, str] = {}
    with repo.over_http() as (http_url, _):
        # A token in the query: Git cannot fetch with it (it appends its paths after the
        # query), so the controller reports the failure, in its log and in /status.
        failing = ControllerProcess(
            tmp_path / "query", f"{http_url}?private_token={query_token}",
            env={"RECONCILER_LOCK": "none", "RECONCILER_LOG_LEVEL": "DEBUG"},
        )  # fmt: skip
        try:
            failing.wait_for(
                lambda: failing.status()["lastError"] is not None, "the failed fetch", 60
            )
            outputs["/status, query token"] = json.dumps(failing.status())
        finally:
            failing.stop()
        outputs["log, query token"] = failing.text()
    # A password in a file:// URL: the fetch works, the password is shown nowhere.
    working = ControllerProcess(
        tmp_path / "file", f"file://fleet-ci:{file_password}@{repo.upstream.bare}",
        env={"RECONCILER_LOCK": "none", "RECONCILER_LOG_LEVEL": "DEBUG"},
    )  # fmt: skip
    try:
        working.wait_for(lambda: working.status()["cycles"] >= 1, "the first cycle", 90)
        outputs["/status, file URL"] = json.dumps(working.status())
        repo.upstream.bare.rename(repo.upstream.bare.with_name("gone.git"))  # now it fails
        working.wait_for(lambda: working.status()["lastError"] is not None, "a failure", 60)
        outputs["/status, file URL gone"] = json.dumps(working.status())
    finally:
        working.stop()
    outputs["log, file URL"] = working.text()

    assert "private_token=***" not in outputs["/status, query token"]  # hidden whole
    assert "?***" in outputs["/status, query token"]
    leaks = [
        (name, secret)
        for name, text in outputs.items()
        for secret in (query_token, file_password)
        if secret in text
    ]
    assert leaks == []
    figures.add("outputs_searched", len(outputs))
    figures.add("secrets_leaked", len(leaks))


def test_names_below_a_secret_path_appear_in_no_plan(
    seeded: AwsTestContext, specs: Path, figures: Figures
) -> None:
    # The prod group's credentials become a map keyed by secret names (key ids).
    names = ("KEYID-a1b2c3-prod", "KEYID-d4e5f6-prod")
    prod = specs / PROD
    text = prod.read_text(encoding="utf-8")
    text = text.replace(
        "          clientId: camera-fleet-prod\n",
        f"          clientId: camera-fleet-prod\n          {names[0]}: first-value\n",
    )
    text = text.replace("        - /credentials/clientId\n", "        - /credentials\n")
    prod.write_text(text, encoding="utf-8")
    assert _cli("apply", "--specs", str(specs), "--auto-approve")[0] == 0
    prod.write_text(text.replace(names[0], names[1]), encoding="utf-8")  # a key renamed

    outputs = {
        f"plan {output_format}": _cli(
            "plan", "--specs", str(specs), "--format", output_format, "--show-unchanged"
        )[1]
        for output_format in ("text", "json", "markdown")
    }
    outputs["apply"] = _cli("apply", "--specs", str(specs), "--auto-approve")[1]

    assert "/credentials/<redacted>" in outputs["plan text"]  # the change is still shown
    leaks = [(name, key) for name, text in outputs.items() for key in names if key in text]
    assert leaks == []
    figures.add("outputs_searched", len(outputs))
    figures.add("secrets_leaked", len(leaks))


def test_plan_runs_no_program_of_the_enclosing_repository(
    seeded: AwsTestContext, specs: Path, tmp_path: Path
) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    specs.rename(checkout / SPECS_DIR)
    specs = checkout / SPECS_DIR
    marker = tmp_path / "ran.txt"
    program = tmp_path / "program"
    program.write_text(f"#!/bin/sh\necho \"$0 $*\" >> '{marker}'\ncat\n", encoding="utf-8")
    program.chmod(0o755)
    (checkout / ".gitattributes").write_text("*.yaml filter=trap\n", encoding="utf-8")
    git(checkout, "init", "--quiet")
    git(checkout, "add", ".")
    git(checkout, "commit", "--quiet", "-m", "Specs")
    git(checkout, "config", "core.fsmonitor", str(program))
    git(checkout, "config", "filter.trap.clean", str(program))
    hook = checkout / ".git" / "hooks" / "post-index-change"
    hook.write_text(program.read_text(), encoding="utf-8")
    hook.chmod(0o755)
    time.sleep(1.1)
    os.utime(specs / PROD)  # a new timestamp: Git would look at (and filter) the content

    plan = tmp_path / "plan.json"
    code, output = _cli("plan", "--specs", str(specs), "--format", "json", "--out", str(plan))

    assert code == 2, output
    assert json.loads(plan.read_text())["commit"] == git(checkout, "rev-parse", "HEAD")
    assert not marker.exists(), marker.read_text()


def _without_git(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m reconciler ARGS` with a PATH on which there is no `git`."""
    empty = tmp_path / "no-git-bin"
    empty.mkdir(exist_ok=True)
    env = {**os.environ, "PATH": str(empty), "RECONCILER_LOCK": "none"}
    env.pop("GIT_PYTHON_GIT_EXECUTABLE", None)
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_without_git_only_the_commands_that_need_it_fail_and_they_say_why(
    seeded: AwsTestContext, specs: Path, tmp_path: Path
) -> None:
    repo = FleetRepo.create(tmp_path / "fleet", specs)
    missing = "the `git` program was not found; install Git"

    runs = {
        "--help": _without_git(tmp_path, "--help"),
        "plan --help": _without_git(tmp_path, "plan", "--help"),
        "validate": _without_git(tmp_path, "validate", str(specs)),
        "plan": _without_git(tmp_path, "plan", "--specs", str(specs)),
        "run --once": _without_git(
            tmp_path, "run", "--once", "--source", repo.url, "--cache-dir", str(tmp_path / "c")
        ),
        "demo": _without_git(tmp_path, "demo", "--workdir", str(tmp_path / "demo")),
    }

    for name, done in runs.items():
        assert "Traceback" not in done.stdout + done.stderr, (name, done.stderr)
    assert runs["--help"].returncode == 0 and "validate" in runs["--help"].stdout
    assert runs["plan --help"].returncode == 0
    assert runs["validate"].returncode == 0, runs["validate"].stderr
    # plan needs Git only to name the commit: it says so and plans.
    assert runs["plan"].returncode == 2, runs["plan"].stderr
    assert missing in runs["plan"].stderr and "--commit" in runs["plan"].stderr
    for name in ("run --once", "demo"):
        assert runs[name].returncode == 1, (name, runs[name].stderr)
        assert runs[name].stderr.strip().splitlines()[-1].startswith(f"Error: {missing}"), name
    assert mutating(seeded, 0) == []
