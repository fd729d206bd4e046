"""A lease kept as one S3 object, for replicas outside Kubernetes (ECS, VMs, several hosts).

S3 conditional writes are the compare-and-swap: the first holder creates the object with
`If-None-Match: *` (fails if it exists), and every later write, whether renewing our own hold or
taking over an expired one, carries `If-Match: <ETag we read>` (fails if anyone wrote since).
A failed condition (412 PreconditionFailed, or 409 when S3 saw two conditional writes at once)
means another replica won; it is an answer, not an error.

The object's ETag changes on every write because the body carries the renewal time in
microseconds, so a stale ETag can never match a newer object with the same content.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from botocore.model import OperationModel

from reconciler.adapters.aws.calling import AwsCaller
from reconciler.adapters.aws.clients import AwsClients
from reconciler.adapters.aws.errors import translate
from reconciler.adapters.leases.base import (
    DEFAULT_GRACE_SECONDS,
    LeaseError,
    LeaseRecord,
    new_record,
    record_from_document,
    record_to_document,
)
from reconciler.errors import AwsApiError, AwsClientError, AwsConflictError, AwsNotFoundError

_LOST_CONDITION_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
_DENIED_CODES = frozenset({"AccessDenied", "Forbidden", "403"})


class S3Lease:
    """A lease in `s3://bucket/key`. Calls go through `caller` (rate limit, retries, stats).

    Give the lease a caller whose retries end well within `duration / 3` (a couple of attempts
    with short backoff): a renewal that retries for longer than the lease lasts is useless.
    """

    def __init__(
        self,
        *,
        clients: AwsClients,
        caller: AwsCaller,
        bucket: str,
        key: str,
        identity: str,
        duration: float,
        grace: float = DEFAULT_GRACE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if duration <= 0:
            raise ValueError("a lease duration must be positive")
        self._clients = clients
        self._caller = caller
        self.bucket = bucket
        self.key = key
        self.identity = identity
        self.duration = duration
        self.grace = grace
        self._clock = clock
        # The ETag of our own latest write: renewing needs no read while we still hold it.
        self._etag: str | None = None
        self._record: LeaseRecord | None = None

    def try_acquire(self) -> bool:
        record, etag = self._read()
        now = self._clock()
        if record is not None and not record.free_for(self.identity, now=now, grace=self.grace):
            self._forget()
            return False
        if etag is None:
            taken = new_record(self.identity, now=now, duration=self.duration)
            return self._write(taken, IfNoneMatch="*")
        base = record or LeaseRecord("", 0.0, self.duration, 0.0)
        taken = base.taken_by(self.identity, now=now, duration=self.duration)
        return self._write(taken, IfMatch=etag)

    def renew(self) -> bool:
        if (
            self._record is not None
            and self._etag is not None
            and self._write(self._record.renewed(now=self._clock()), IfMatch=self._etag)
        ):
            return True
        # No cached ETag, or it went stale. A renewal whose answer was lost in transit also
        # leaves a stale ETag behind although the object still names us: as long as it does,
        # nobody has taken the lease, so renew from what is stored.
        record, etag = self._read()
        if record is None or etag is None or record.holder != self.identity:
            self._forget()
            return False
        return self._write(record.renewed(now=self._clock()), IfMatch=etag)

    def release(self) -> None:
        if self._record is None or self._etag is None:
            return
        # If someone took the lease meanwhile the condition fails, which is what we want.
        self._write(self._record.released(now=self._clock()), IfMatch=self._etag)
        self._forget()

    def holder(self) -> LeaseRecord | None:
        """The record in the object now (for status pages and tests); None when there is none."""
        return self._read()[0]

    def _read(self) -> tuple[LeaseRecord | None, str | None]:
        try:
            response = self._caller.call(
                self._clients.s3, "get_object", Bucket=self.bucket, Key=self.key
            )
        except AwsNotFoundError as error:
            if error.code == "NoSuchBucket":
                raise LeaseError(
                    f"the lease bucket {self.bucket!r} does not exist; create it (or fix the "
                    "bucket setting) before starting the controller",
                    temporary=False,
                ) from error
            return None, None
        except AwsClientError as error:
            raise self._explained(error) from error
        body = _read_body(
            response, self._clients.s3.meta.service_model.operation_model("GetObject")
        )
        try:
            document: object = json.loads(body)
        except ValueError:
            document = None
        return record_from_document(document), str(response["ETag"])

    def _write(self, record: LeaseRecord, **condition: str) -> bool:
        body = json.dumps(record_to_document(record)).encode()
        try:
            response = self._caller.call(
                self._clients.s3,
                "put_object",
                Bucket=self.bucket,
                Key=self.key,
                Body=body,
                ContentType="application/json",
                **condition,
            )
        except (AwsConflictError, AwsNotFoundError) as error:
            # 409: a concurrent conditional write won; 404: the object vanished under If-Match.
            self._forget()
            if isinstance(error, AwsNotFoundError) and error.code == "NoSuchBucket":
                raise
            return False
        except AwsApiError as error:
            if error.code in _LOST_CONDITION_CODES:
                self._forget()
                return False
            if isinstance(error, AwsClientError):
                raise self._explained(error) from error
            raise
        if record.holder == self.identity:
            self._record, self._etag = record, str(response["ETag"])
        return True

    def _explained(self, error: AwsClientError) -> AwsClientError | LeaseError:
        if error.code in _DENIED_CODES:
            return LeaseError(
                f"access to the lease object s3://{self.bucket}/{self.key} was denied: grant "
                f"the controller's role s3:GetObject and s3:PutObject on it ({error})",
                temporary=False,
            )
        return error

    def _forget(self) -> None:
        self._record = None
        self._etag = None


def _read_body(response: dict[str, Any], model: OperationModel) -> bytes:
    # The body streams after the call returned: its failures need translating here too.
    stream = response["Body"]
    try:
        data: bytes = stream.read()
    except Exception as raw:
        raise translate(raw, "get_object", model) from raw
    finally:
        stream.close()
    return data
