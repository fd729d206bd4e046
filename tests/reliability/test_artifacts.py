"""Artifacts already uploaded are not uploaded again (what a re-run after a crash relies on)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from reconciler.adapters.aws.artifacts import ArtifactUploadError
from reconciler.core.plan import ArtifactUpload
from reconciler.engine.runtime import build_runtime
from reconciler.settings import ReconcilerSettings
from tests.conftest import AwsTestContext


def test_an_artifact_already_in_the_bucket_is_not_uploaded_again(
    seeded: AwsTestContext, specs: Path
) -> None:
    # S3 answers user metadata keys in lower case; the emulator, like moto's server, answers
    # them capitalized (`Sha256`). Header names are case-insensitive, so both must count.
    relative = "components/com.acme.ImageUploader/artifacts/upload_results.py"
    data = (specs / relative).read_bytes()
    artifact = ArtifactUpload(
        local_path=relative,
        bucket="acme-greengrass-artifacts",
        key="greengrass-reconciler/com.acme.ImageUploader/1.0.0/upload_results.py",
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )
    runtime = build_runtime(ReconcilerSettings(), region=seeded.region, account=seeded.account_id)
    assert runtime.artifacts.upload(artifact, specs) is True
    assert runtime.artifacts.upload(artifact, specs) is False
    assert [r.operation for r in seeded.admin.requests() if r.mutating] == ["PutObject"]


def test_an_artifact_that_resolves_into_git_is_never_uploaded(
    seeded: AwsTestContext, specs: Path
) -> None:
    # A plan made before the file became a symlink into the checkout's `.git` (or handed over
    # from elsewhere): the store checks the file again where its bytes would leave the machine.
    token = "ghs_ciJobTokenInGitConfigForTheStore01"
    (specs / ".git").mkdir()
    (specs / ".git" / "config").write_text(f"[http]\n\textraheader = basic {token}\n")
    relative = "components/com.acme.ImageUploader/artifacts/upload_results.py"
    data = (specs / ".git" / "config").read_bytes()
    (specs / relative).unlink()
    (specs / relative).symlink_to("../../../.git/config")
    artifact = ArtifactUpload(
        local_path=relative,
        bucket="acme-greengrass-artifacts",
        key="greengrass-reconciler/com.acme.ImageUploader/1.0.0/upload_results.py",
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )
    runtime = build_runtime(ReconcilerSettings(), region=seeded.region, account=seeded.account_id)

    with pytest.raises(ArtifactUploadError, match="to a hidden or Git file") as raised:
        runtime.artifacts.upload(artifact, specs)

    assert token not in str(raised.value)
    assert [r.operation for r in seeded.admin.requests() if r.mutating] == []
