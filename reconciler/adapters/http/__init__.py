"""The controller's HTTP endpoints: probes, metrics, status and the Git push webhook.

docs/controller-endpoints.md describes every route, the webhook set-up and every metric.
"""

from reconciler.adapters.http.app import ControllerApp
from reconciler.adapters.http.probes import Probes
from reconciler.adapters.http.push_events import PushEvent
from reconciler.adapters.http.server import ControllerHttpServer, HttpServerError
from reconciler.adapters.http.webhook import (
    DEFAULT_MAX_BODY_BYTES,
    WebhookConfigError,
    WebhookHandler,
    read_secret_file,
)

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "ControllerApp",
    "ControllerHttpServer",
    "HttpServerError",
    "Probes",
    "PushEvent",
    "WebhookConfigError",
    "WebhookHandler",
    "read_secret_file",
]
