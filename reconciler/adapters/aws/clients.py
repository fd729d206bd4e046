"""Create boto3 clients with the standard credential chain and the settings of this process.

Endpoints follow boto3's own rules, so `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_<SERVICE>`) points
every client at a local emulator without any code path of our own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config


@dataclass(frozen=True)
class ClientSettings:
    region: str
    endpoint_url: str | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_pool_connections: int = 32


class AwsClients:
    """A boto3 session and its clients, shared across threads (clients are). Each client is
    created on first use: creating one loads its service model (a tenth of a second or more),
    and a plan calls two or three of the services the product knows."""

    def __init__(self, settings: ClientSettings, session: boto3.session.Session | None = None):
        self.settings = settings
        self.session = session or boto3.session.Session(region_name=settings.region)
        self._config = Config(
            region_name=settings.region,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            max_pool_connections=settings.max_pool_connections,
            # One retry loop for the whole product lives in AwsCaller (botocore's would hide
            # attempts from it and ignore the service's Retry-After); it asks botocore's own
            # standard-mode checkers which failures are transient (errors.py).
            retries={"mode": "standard", "total_max_attempts": 1},
            user_agent_extra="greengrass-reconciler",
        )
        self._clients: dict[str, Any] = {}
        # A boto3 session is not thread-safe; the first use of a client may come from a worker.
        self._creating = threading.Lock()

    def client(self, service: str) -> Any:
        found = self._clients.get(service)
        if found is not None:
            return found
        with self._creating:
            if service not in self._clients:
                kwargs: dict[str, Any] = {"config": self._config}
                if self.settings.endpoint_url:
                    kwargs["endpoint_url"] = self.settings.endpoint_url
                self._clients[service] = self.session.client(service, **kwargs)  # type: ignore[call-overload]
            return self._clients[service]

    @property
    def greengrass(self) -> Any:
        return self.client("greengrassv2")

    @property
    def s3(self) -> Any:
        return self.client("s3")

    @property
    def iot(self) -> Any:
        return self.client("iot")

    @property
    def sts(self) -> Any:
        return self.client("sts")

    @property
    def cloudwatch(self) -> Any:
        return self.client("cloudwatch")
