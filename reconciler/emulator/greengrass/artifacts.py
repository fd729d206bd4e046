"""Component artifacts: check that the service could read them, digest them, sign URLs to them.

Like the service, the emulator reads each `s3://` artifact when a component version is created:
the object must exist and its bucket must be in the component's region. It records a SHA-256
digest of each object (the service computes digests itself) and reports every unreadable URI,
with the reason, so that the creation can be refused (see `unreadable_artifacts_error`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import botocore.session
from botocore.config import Config

from reconciler.emulator.greengrass.exceptions import ValidationError
from reconciler.emulator.greengrass.recipes import Recipe
from reconciler.emulator.moto_world import MotoWorld
from reconciler.emulator.protocol.validation import FieldProblem

# The service's words, as quoted in aws/aws-cli#6261 and
# aws-samples/aws-iot-greengrass-v2-deploy-nvidia-deepstream#4.
UNREADABLE = "Specified artifact resource cannot be accessed"
# Schemes the service accepts without reading an object: container images and AWS-internal ones.
UNCHECKED_SCHEMES = ("docker:", "greengrass:")


@dataclass
class ArtifactReport:
    errors: dict[str, str] = field(default_factory=dict)  # URI -> why it cannot be read
    digests: dict[str, str] = field(default_factory=dict)


def inspect_artifacts(recipe: Recipe, region: str, world: MotoWorld) -> ArtifactReport:
    report = ArtifactReport()
    for uri in recipe.artifact_uris():
        if uri.startswith(UNCHECKED_SCHEMES):
            continue
        location = split_s3_uri(uri)
        if location is None:
            report.errors[uri] = "only s3:// (and docker:) artifact URIs can be read"
            continue
        bucket, key = location
        bucket_region = world.bucket_region(bucket)
        if bucket_region is None:
            report.errors[uri] = f"the S3 bucket {bucket} does not exist"
            continue
        if bucket_region != region:
            report.errors[uri] = (
                f"the S3 bucket {bucket} is in {bucket_region}, but artifacts must be in the "
                f"component's region {region}"
            )
            continue
        found = world.s3_object(bucket, key)
        if found is None:
            report.errors[uri] = f"the S3 object {uri} does not exist"
            continue
        report.digests[uri] = found.sha256_base64()
    return report


def unreadable_artifacts_error(errors: dict[str, str]) -> ValidationError:
    """The ValidationException CreateComponentVersion answers when artifacts cannot be read.

    The message is the service's, word for word; `fields` (the service's are not known) names
    each URI with the reason the emulator found, so that a user can see what to fix.
    """
    listed = ", ".join(f"{uri} = {UNREADABLE}" for uri in errors)
    return ValidationError(
        f"Invalid Input: Encountered following errors in Artifacts: {{{listed}}}",
        fields=[FieldProblem(uri, f"{UNREADABLE}: {why}") for uri, why in errors.items()],
    )


def split_s3_uri(uri: str) -> tuple[str, str] | None:
    if not uri.startswith("s3://"):
        return None
    bucket, _, key = uri[len("s3://") :].partition("/")
    return (bucket, key) if bucket and key else None


def find_artifact(recipe: Recipe, artifact_name: str) -> str | None:
    """The URI of the artifact a client names: by file name, object key or URI without scheme."""
    for uri in recipe.artifact_uris():
        without_scheme = uri.split("://", 1)[-1]
        key = without_scheme.partition("/")[2]
        if artifact_name in (uri, without_scheme, key, uri.rsplit("/", 1)[-1]):
            return uri
    return None


_signing_lock = threading.Lock()


def presigned_get_url(endpoint_url: str, region: str, bucket: str, key: str) -> str:
    """A SigV4 pre-signed GET URL for the emulated S3 object, valid for an hour."""
    with _signing_lock:  # botocore clients are thread-safe once built; building is not
        client = _s3_client(endpoint_url, region)
    url: str = client.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=3600
    )
    return url


@lru_cache(maxsize=16)
def _s3_client(endpoint_url: str, region: str) -> Any:
    session = botocore.session.get_session()
    return session.create_client(
        "s3",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id="emulator",
        aws_secret_access_key="emulator",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
