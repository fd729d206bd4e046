"""Which requests belong to Greengrass v2, and the router derived from its botocore model.

moto's Greengrass *v1* backend claims the same host and signing name (`greengrass`), so the
gateway must decide by path: everything under `/greengrass/v2/`, and the tagging operations on
Greengrass ARNs (`/tags/arn:aws:greengrass:...`, which clients percent-encode).
"""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import unquote

import botocore.session
from botocore.model import ServiceModel

from reconciler.emulator.protocol.routing import Router
from reconciler.emulator.protocol.shapes import ShapeCompiler

SERVICE_NAME = "greengrassv2"
_V2_PREFIX = "/greengrass/v2/"
_TAGS_ON_GREENGRASS = re.compile(r"^/tags/arn:[^:/]*:greengrass:", re.IGNORECASE)


def is_greengrass_v2(path: str) -> bool:
    """Whether a (decoded or still percent-encoded) request path is a Greengrass v2 call."""
    if path.startswith(_V2_PREFIX) or path == _V2_PREFIX.rstrip("/"):
        return True
    return path.startswith("/tags/") and _TAGS_ON_GREENGRASS.match(unquote(path)) is not None


@cache
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model(SERVICE_NAME)


@cache
def router() -> Router:
    return Router(service_model())


@cache
def shapes() -> ShapeCompiler:
    return ShapeCompiler()
