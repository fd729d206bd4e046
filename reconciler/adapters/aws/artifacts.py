"""Upload component artifacts to S3, skipping objects that already hold the same bytes.

The sha256 of the content is stored as object metadata (and as S3's own SHA-256 checksum), so
"already there" means "the same digest", not merely "the same key".
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from reconciler.adapters.aws.calling import AwsCaller
from reconciler.adapters.aws.clients import AwsClients
from reconciler.adapters.spec_files import LocalSpecTree
from reconciler.core.plan import ArtifactUpload
from reconciler.core.specs.local_files import ESCAPING_SYMLINK
from reconciler.errors import AwsNotFoundError, ReconcilerError

DIGEST_METADATA = "sha256"


class ArtifactUploadError(ReconcilerError):
    """A local artifact could not be uploaded (file changed or unreadable)."""


class ArtifactStore:
    def __init__(self, clients: AwsClients, caller: AwsCaller) -> None:
        self._clients = clients
        self._caller = caller

    @property
    def _s3(self) -> Any:
        # Created on first use (clients.py): a plan never calls S3.
        return self._clients.s3

    def existing_digest(self, bucket: str, key: str) -> str | None:
        try:
            head: dict[str, Any] = self._caller.call(
                self._s3, "head_object", Bucket=bucket, Key=key
            )
        except AwsNotFoundError:
            return None
        # Metadata travels as `x-amz-meta-*` headers, whose names are case-insensitive: S3
        # answers `sha256`, a server that rebuilds headers from WSGI answers `Sha256`.
        metadata = {str(k).lower(): v for k, v in (head.get("Metadata") or {}).items()}
        digest = metadata.get(DIGEST_METADATA)
        return str(digest) if digest else None

    def upload(self, artifact: ArtifactUpload, specs_root: Path) -> bool:
        """Put the artifact unless the same digest is there; return whether it was uploaded."""
        if self.existing_digest(artifact.bucket, artifact.key) == artifact.sha256:
            return False
        # The loader refused such a file already; checked again where the bytes leave the
        # machine, since a plan may be applied from a tree that changed after it was made.
        if not LocalSpecTree(specs_root).resolves_inside(artifact.local_path):
            raise ArtifactUploadError(f"{artifact.local_path} {ESCAPING_SYMLINK}: not uploaded")
        data = (specs_root / artifact.local_path).read_bytes()
        actual = hashlib.sha256(data).hexdigest()
        if actual != artifact.sha256:
            raise ArtifactUploadError(
                f"{artifact.local_path} changed since it was planned (sha256 {actual[:12]}… is not "
                f"{artifact.sha256[:12]}…); plan again"
            )
        # Bytes, not a file object: a retried attempt must send the whole body again, and a
        # stream would be left at its end by the failed attempt.
        self._caller.call(
            self._s3,
            "put_object",
            Bucket=artifact.bucket,
            Key=artifact.key,
            Body=data,
            Metadata={DIGEST_METADATA: artifact.sha256},
            ChecksumSHA256=base64.b64encode(bytes.fromhex(artifact.sha256)).decode(),
        )
        return True
