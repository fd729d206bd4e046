"""Validated field types shared by the spec models, each with an error message that says what is
expected and a JSON Schema that lets editors check the same thing.

Each check raises `ValueError` with a complete sentence; the loader shows it as is.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import semantic_version
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, WithJsonSchema
from pydantic.alias_generators import to_camel

from reconciler.core.specs.problems import quoted


class SpecModel(BaseModel):
    """Base of every spec model: camelCase keys as in the AWS API, unknown keys rejected, values
    taken as typed (strict: `"5"` is not an integer, `yes` is not a string), immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        extra="forbid",
        frozen=True,
        strict=True,
        validate_by_name=False,
        use_attribute_docstrings=True,  # field docstrings become descriptions in the JSON Schema
    )


API_VERSION = "greengrass-reconciler/v1"

# Greengrass itself: component names are 1-128 of these characters (aws-greengrass-component-
# common, ComponentRecipe.COMPONENT_NAME_PATTERN); we use the same rule for every metadata.name.
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_THING_GROUP = re.compile(r"^[A-Za-z0-9:_-]{1,128}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$")
_ACCOUNT = re.compile(r"^[0-9]{12}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_SEMVER = re.compile(
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$"
)
# What an artifact URI's path may hold as it is: RFC 3986 `pchar` without percent-escapes, and
# '/'. The nucleus parses artifact URIs (java.net.URI): '#' starts a fragment, '?' a query,
# '%xx' is decoded, and a space or '<>"{}|\^`[]' is no URI at all; each published recipe with
# one would name an object nobody can download.
_URI_PATH = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@/-]*")
_URI_PATH_CHARACTERS = "letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = : @"
_S3_URI = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.+)$")
_MAX_S3_KEY_LENGTH = 1024
# Characters that no single-line value sent to AWS may hold: C0 controls (tab and line breaks
# too), DEL and C1 controls.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MAX_VERSION_PART = 999_999  # Greengrass rejects larger major/minor/patch numbers
_MAX_VERSION_LENGTH = 64
_MAX_POINTER_LENGTH = 256  # ComponentConfigurationPath in the API


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(
            f"{quoted(value)} is not a valid name (expected 1-128 letters, digits, '.', '_' "
            "or '-', as in com.example.Camera or camera-prod)"
        )
    return value


def check_component_name(value: str) -> str:
    """`value` if Greengrass accepts it as a component name; ValueError saying why otherwise."""
    return _name(value)


def _number_as_text(value: Any) -> Any:
    # YAML reads an unquoted 2.1 as a number; show it as the version the user meant to write.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def check_semver(value: str) -> str:
    """A Greengrass component version: strict semantic version MAJOR.MINOR.PATCH[-pre][+build]."""
    try:
        version = semantic_version.Version(value)
    except ValueError:
        raise ValueError(
            f"{quoted(value)} is not a valid semantic version "
            "(expected MAJOR.MINOR.PATCH, e.g. 2.1.0)"
        ) from None
    if not _SEMVER.fullmatch(value):  # the library accepts a trailing line break
        raise ValueError(
            f"{quoted(value)} is not a valid semantic version (expected MAJOR.MINOR.PATCH, e.g. "
            "2.1.0, and nothing after it)"
        )
    if len(value) > _MAX_VERSION_LENGTH:
        raise ValueError(f"{quoted(value)} is longer than {_MAX_VERSION_LENGTH} characters")
    if max(version.major, version.minor, version.patch) > _MAX_VERSION_PART:
        raise ValueError(f"{quoted(value)}: Greengrass allows at most 6 digits per version number")
    return value


def check_json_pointer(value: str) -> str:
    """An RFC 6901 JSON pointer: "" (the whole document) or "/"-separated tokens, "~" escaped."""
    if value and not value.startswith("/"):
        raise ValueError(
            f"{quoted(value)} is not a JSON pointer (RFC 6901): it must start with '/', "
            f"e.g. '/{value}'"
        )
    if re.search(r"~(?![01])", value):
        raise ValueError(
            f"{quoted(value)} is not a JSON pointer (RFC 6901): '~' must be written '~0' and '/' "
            "inside a key '~1'"
        )
    if len(value) > _MAX_POINTER_LENGTH:
        raise ValueError(f"{quoted(value)} is longer than {_MAX_POINTER_LENGTH} characters")
    return value


def _secret_pointer(value: str) -> str:
    check_json_pointer(value)
    if not value:
        raise ValueError("'' would hide the whole configuration; point at the secret value itself")
    return value


def _thing_group(value: str) -> str:
    if not _THING_GROUP.fullmatch(value):
        raise ValueError(
            f"{quoted(value)} is not a valid thing group name (expected 1-128 letters, digits, "
            "':', '_' or '-'; give the name, not the ARN)"
        )
    return value


def _thing(value: str) -> str:
    # AWS IoT thing names follow the thing group names' rule ([a-zA-Z0-9:_-]+, 1-128).
    if not _THING_GROUP.fullmatch(value):
        raise ValueError(
            f"{quoted(value)} is not a valid thing name (expected 1-128 letters, digits, "
            "':', '_' or '-'; give the core device's thing name, not its ARN)"
        )
    return value


def _region(value: str) -> str:
    if not _REGION.fullmatch(value):
        raise ValueError(f"{quoted(value)} is not an AWS region (expected e.g. us-east-1)")
    return value


def _account(value: str) -> str:
    if not _ACCOUNT.fullmatch(value):
        raise ValueError(f"{quoted(value)} is not an AWS account id (expected 12 digits, quoted)")
    return value


def _account_as_text(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            f'the account id must be quoted ("{value:012d}"): as a number YAML drops leading zeros'
        )
    return value


def _bucket(value: str) -> str:
    if not _BUCKET.fullmatch(value) or ".." in value:
        raise ValueError(
            f"{quoted(value)} is not a valid S3 bucket name (3-63 lowercase letters, digits, '.' "
            "or '-', starting and ending with a letter or digit)"
        )
    return value


def _prefix(value: str) -> str:
    if value.startswith("/") or (value and not value.endswith("/")):
        raise ValueError(
            f"{quoted(value)}: a key prefix must not start with '/' and must end with '/' "
            "(or be empty)"
        )
    if not _URI_PATH.fullmatch(value):
        raise ValueError(
            f"{quoted(value)}: a key prefix becomes part of artifact URIs; use only "
            f"{_URI_PATH_CHARACTERS} and '/'"
        )
    return value


def check_s3_uri(value: str) -> str:
    match = _S3_URI.fullmatch(value)
    if match is None:
        raise ValueError(f"{quoted(value)} is not an S3 URI (expected s3://bucket/key)")
    key = match.group(2)
    if not _URI_PATH.fullmatch(key):
        raise ValueError(
            f"{quoted(value)}: devices could not download this object (an artifact URI's key "
            f"may hold only {_URI_PATH_CHARACTERS} and '/')"
        )
    if len(key) > _MAX_S3_KEY_LENGTH:
        raise ValueError(f"{quoted(value)}: an S3 key is at most {_MAX_S3_KEY_LENGTH} characters")
    return value


def check_artifact_file_name(value: str) -> str:
    """A local artifact's file name, which `apply` makes the last part of its S3 URI."""
    if not value or "/" in value or not _URI_PATH.fullmatch(value):
        raise ValueError(
            f"the file name {quoted(value)} would make an artifact URI devices cannot download; "
            f"rename the file using only {_URI_PATH_CHARACTERS}"
        )
    return value


def check_single_line(value: str) -> str:
    """`value` unless it holds a line break, a tab or another control character."""
    found = _CONTROL.search(value)
    if found is not None:
        raise ValueError(
            f"{quoted(value)} holds the control character U+{ord(found.group()):04X} "
            "(a line break, tab or the like); AWS takes a single line of text here"
        )
    return value


def _file_glob(value: str) -> str:
    if not value or "/" in value:
        raise ValueError(
            f"{quoted(value)}: 'match' is a glob over an artifact's file name (e.g. '*x86_64*'); "
            "it cannot be empty or contain '/'"
        )
    return value


def _tag_key(value: str) -> str:
    check_single_line(value)
    if not 1 <= len(value) <= 128:
        raise ValueError(f"tag key {quoted(value)} must be 1-128 characters long")
    if value.lower().startswith("aws:"):
        raise ValueError(f"tag key {quoted(value)}: the 'aws:' prefix is reserved by AWS")
    return value


def _tag_value(value: str) -> str:
    check_single_line(value)
    if len(value) > 256:
        raise ValueError(f"tag value {quoted(value)} is longer than 256 characters")
    return value


def _local_path(value: str) -> str:
    if not value:
        raise ValueError("the path is empty (expected a file path relative to this document)")
    return value


def _string(pattern: str | None = None, description: str | None = None, **extra: Any) -> Any:
    schema: dict[str, Any] = {"type": "string", **extra}
    if pattern is not None:
        schema["pattern"] = pattern
    if description is not None:
        schema["description"] = description
    return WithJsonSchema(schema)


Name = Annotated[str, AfterValidator(_name), _string(_NAME.pattern)]
ComponentName = Annotated[
    str, AfterValidator(_name), _string(_NAME.pattern, "A Greengrass component name")
]
SemVer = Annotated[
    str,
    BeforeValidator(_number_as_text),
    AfterValidator(check_semver),
    _string(_SEMVER.pattern, "A semantic version MAJOR.MINOR.PATCH"),
]
JsonPointer = Annotated[
    str, AfterValidator(check_json_pointer), _string(r"^(/([^~]|~[01])*)*$", maxLength=256)
]
SecretPointer = Annotated[
    str, AfterValidator(_secret_pointer), _string(r"^(/([^~]|~[01])*)+$", maxLength=256)
]
ThingGroupName = Annotated[
    str, AfterValidator(_thing_group), _string(_THING_GROUP.pattern, "The thing group's name")
]
ThingName = Annotated[
    str, AfterValidator(_thing), _string(_THING_GROUP.pattern, "A core device's thing name")
]
Region = Annotated[str, AfterValidator(_region), _string(_REGION.pattern)]
AccountId = Annotated[
    str, BeforeValidator(_account_as_text), AfterValidator(_account), _string(_ACCOUNT.pattern)
]
BucketName = Annotated[str, AfterValidator(_bucket), _string(_BUCKET.pattern)]
KeyPrefix = Annotated[str, AfterValidator(_prefix), _string(r"^(|[^/].*/)$")]
S3Uri = Annotated[str, AfterValidator(check_s3_uri), _string(r"^s3://[^/]+/.+$")]
FileGlob = Annotated[str, AfterValidator(_file_glob), _string(r"^[^/]+$")]
TagKey = Annotated[str, AfterValidator(_tag_key), _string(minLength=1, maxLength=128)]
TagValue = Annotated[str, AfterValidator(_tag_value), _string(maxLength=256)]
SingleLine = Annotated[str, AfterValidator(check_single_line)]
LocalPath = Annotated[
    str,
    AfterValidator(_local_path),
    _string(description="A file path relative to this document, inside the specs root"),
]
