"""Which requests belong to Greengrass v2, and the router derived from its botocore model.

moto's Greengrass *v1* backend claims the same host and signing name (`greengrass`), so the
gateway must decide by path: everything under `/greengrass/v2/`, and the tagging operations
(`/tags/{resourceArn}`, ARN percent-encoded by clients) unless the ARN is a v1 one
(`arn:aws:greengrass:REGION:ACCOUNT:/greengrass/...`). A `/tags/` call on some other ARN
belongs to v2 when it is signed for `greengrass` (v2 then rejects the ARN, like the service).
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
_V1_ARN = re.compile(r"^/tags/arn:[^:/]*:greengrass:[^:]*:[^:]*:/greengrass/", re.IGNORECASE)


def is_greengrass_v2(path: str, signing_service: str | None = None) -> bool:
    """Whether a (decoded or still percent-encoded) request path is a Greengrass v2 call."""
    if path.startswith(_V2_PREFIX) or path == _V2_PREFIX.rstrip("/"):
        return True
    if not path.startswith("/tags/"):
        return False
    decoded = unquote(path)
    if _V1_ARN.match(decoded):
        return False
    return _TAGS_ON_GREENGRASS.match(decoded) is not None or signing_service == "greengrass"


@cache
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model(SERVICE_NAME)


@cache
def router() -> Router:
    return Router(service_model())


@cache
def shapes() -> ShapeCompiler:
    return ShapeCompiler()
