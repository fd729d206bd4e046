"""The fleet file: simulated core devices, generated groups of them, failure rules and timing.

    groups: [CameraFleetProd, CameraFleetCanary]      # optional; when given, the only groups
    devices:
      - name: cam-lab-1
        groups: [CameraFleetProd]
        platform: {os: linux, architecture: aarch64}
        offline: [{from: 0s, to: 120s}]               # relative to when the fleet is loaded
    generate:
      - {group: CameraFleetProd, count: 100, namePrefix: cam-prod-, alsoIn: {CameraFleetCanary: 5}}
    failures:
      - {component: variant.DLR.ImageClassification.ModelStore, version: 2.1.10,
         devices: 20%, phase: install}
    timing: {applySeconds: 0.5, jitterSeconds: 0.5}

Parsed with the project's located YAML reader, so every problem names the file, line and field.
A fleet with any problem is refused as a whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import semantic_version

from reconciler.core.specs.located import Node
from reconciler.core.specs.parsing import parse_file
from reconciler.core.specs.problems import InvalidSpecsError, SpecProblem
from reconciler.core.specs.tree import SpecLimits

PHASES = ("install", "run", "configuration")
THING_NAME = re.compile(r"^[a-zA-Z0-9:_-]{1,128}$")
_DURATION = re.compile(r"^(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|m|h)?$")
_UNITS = {None: 1.0, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
DEFAULT_PLATFORM = ("linux", "amd64")


class FleetFileError(ValueError):
    """The fleet document is invalid; `problems` lists each as `file:line: field: message`."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line, p.field))
        lines = [p.render() for p in self.problems]
        count = len(lines)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} in the fleet file:\n" + "\n".join(lines)
        )


@dataclass(frozen=True)
class OfflineWindow:
    start: float  # seconds after the fleet was loaded
    end: float


@dataclass(frozen=True)
class DeviceSpec:
    name: str
    groups: tuple[str, ...]
    os: str = DEFAULT_PLATFORM[0]
    architecture: str = DEFAULT_PLATFORM[1]
    offline: tuple[OfflineWindow, ...] = ()


@dataclass(frozen=True)
class DeviceSelector:
    """Which devices a failure rule hits: a share of the fleet, a count, or names."""

    share: float | None = None  # 0..1
    count: int | None = None
    names: tuple[str, ...] | None = None


@dataclass(frozen=True)
class FailureRule:
    component: str
    version: str  # an exact version or an npm-style range, as written
    devices: DeviceSelector
    phase: str

    def matches(self, component: str, version: str) -> bool:
        if component != self.component:
            return False
        if self.version == version:
            return True
        try:
            spec = semantic_version.NpmSpec(self.version)
            return bool(spec.match(semantic_version.Version(version)))
        except ValueError:
            return False


@dataclass(frozen=True)
class Timing:
    apply_seconds: float = 0.5
    jitter_seconds: float = 0.5


@dataclass(frozen=True)
class FleetDocument:
    devices: tuple[DeviceSpec, ...] = ()
    failures: tuple[FailureRule, ...] = ()
    timing: Timing = field(default_factory=Timing)
    groups: tuple[str, ...] = ()  # every group named, declared ones first


def load_fleet_file(path: str, data: bytes) -> FleetDocument:
    """Parse and validate a fleet file; raise `FleetFileError` naming every problem."""
    try:
        root = parse_file(path, data, SpecLimits())
    except InvalidSpecsError as error:
        raise FleetFileError(list(error.problems)) from None
    return _Reader(path).document(root)


def load_failure_rules(path: str, data: bytes, devices: list[str]) -> tuple[FailureRule, ...]:
    """Failure rules alone, `{"failures": [...]}`, checked against the fleet's `devices`."""
    try:
        root = parse_file(path, data, SpecLimits())
    except InvalidSpecsError as error:
        raise FleetFileError(list(error.problems)) from None
    reader = _Reader(path)
    entries = reader.mapping(root, ("failures",)) if root is not None else {}
    names = dict.fromkeys(devices, True)
    rules = [
        reader.failure(item, len(devices), names) for item in reader.items(entries.get("failures"))
    ]
    if reader.problems:
        raise FleetFileError(reader.problems)
    return tuple(rule for rule in rules if rule is not None)


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[SpecProblem] = []

    def problem(self, node: Node, message: str, *extra: str | int) -> None:
        self.problems.append(SpecProblem.on(node, message, *extra))

    def document(self, root: Node | None) -> FleetDocument:
        if root is None:
            return FleetDocument()
        entries = self.mapping(root, ("groups", "devices", "generate", "failures", "timing"))
        declared = self.names(entries.get("groups"), "group")
        devices: list[DeviceSpec] = []
        named: list[tuple[Node, str]] = []  # (where, group) for every group reference
        for item in self.items(entries.get("devices")):
            device = self.device(item, named)
            if device is not None:
                devices.append(device)
        for item in self.items(entries.get("generate")):
            devices.extend(self.generated(item, named))
        seen: dict[str, bool] = {}
        for device in devices:
            if device.name in seen:
                self.problems.append(
                    SpecProblem(self.file, 0, "devices", f"device {device.name} is defined twice")
                )
            seen[device.name] = True
        if declared is not None:
            for where, group in named:
                if group not in declared:
                    self.problem(where, f"group {group} is not declared in `groups:` {declared}")
        failures = tuple(
            rule
            for rule in (
                self.failure(item, len(devices), seen)
                for item in self.items(entries.get("failures"))
            )
            if rule is not None
        )
        timing = self.timing(entries.get("timing"))
        if self.problems:
            raise FleetFileError(self.problems)
        groups = list(declared or [])
        for _, group in named:
            if group not in groups:
                groups.append(group)
        return FleetDocument(tuple(devices), failures, timing, tuple(groups))

    # -- parts --------------------------------------------------------------------------------

    def device(self, node: Node, named: list[tuple[Node, str]]) -> DeviceSpec | None:
        entries = self.mapping(node, ("name", "groups", "platform", "offline"))
        name = self.thing_name(entries.get("name"), node, "name")
        groups = self.group_list(entries.get("groups"), named)
        os, architecture = self.platform(entries.get("platform"))
        offline = self.offline(entries.get("offline"))
        if name is None:
            return None
        return DeviceSpec(name, groups, os, architecture, offline)

    def generated(self, node: Node, named: list[tuple[Node, str]]) -> list[DeviceSpec]:
        keys = ("group", "count", "namePrefix", "alsoIn", "platform", "offline")
        entries = self.mapping(node, keys)
        group_node = entries.get("group")
        group = self.thing_name(group_node, node, "group")
        if group is not None and group_node is not None:
            named.append((group_node, group))
        count = self.integer(entries.get("count"), node, "count", minimum=1)
        prefix = self.string(entries.get("namePrefix"), node, "namePrefix")
        also: dict[str, int] = {}
        also_node = entries.get("alsoIn")
        if also_node is not None:
            for other, value in (also_node.mapping() or {}).items():
                named.append((value, other))
                number = self.integer(value, also_node, other, minimum=0)
                if number is not None and count is not None and number > count:
                    self.problem(value, f"{number} is more than the {count} devices generated")
                also[other] = number or 0
            if also_node.mapping() is None:
                self.problem(also_node, "must map group names to device counts")
        os, architecture = self.platform(entries.get("platform"))
        offline = self.offline(entries.get("offline"))
        if group is None or count is None or prefix is None:
            return []
        width = len(str(count))
        return [
            DeviceSpec(
                f"{prefix}{index:0{width}d}",
                (group, *(g for g, n in also.items() if index <= n)),
                os,
                architecture,
                offline,
            )
            for index in range(1, count + 1)
        ]

    def failure(self, node: Node, devices: int, names: dict[str, bool]) -> FailureRule | None:
        entries = self.mapping(node, ("component", "version", "devices", "phase"))
        component = self.string(entries.get("component"), node, "component")
        version = self.string(entries.get("version"), node, "version", scalar_ok=True)
        if version is not None and entries.get("version") is not None:
            try:
                semantic_version.NpmSpec(version)
            except ValueError:
                self.problem(entries["version"], f"{version!r} is neither a version nor a range")
        phase = self.string(entries.get("phase"), node, "phase")
        if phase is not None and phase not in PHASES:
            self.problem(entries["phase"], f"phase must be one of {list(PHASES)}, not {phase!r}")
        selector = self.selector(entries.get("devices"), node, devices, names)
        if None in (component, version, phase, selector):
            return None
        assert component and version and phase and selector
        return FailureRule(component, version, selector, phase)

    def selector(
        self, node: Node | None, parent: Node, devices: int, names: dict[str, bool]
    ) -> DeviceSelector | None:
        if node is None:
            self.problem(parent, "is required", "devices")
            return None
        value = node.value
        if isinstance(value, list):
            listed = tuple(str(item.value) for item in value)
            for item in value:
                if item.value not in names:
                    self.problem(item, f"no device is named {item.value!r}")
            return DeviceSelector(names=listed)
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 0 or value > devices:
                self.problem(node, f"{value} devices, but the fleet has {devices}")
            return DeviceSelector(count=value)
        if isinstance(value, str) and value.endswith("%"):
            try:
                share = float(value[:-1])
            except ValueError:
                share = -1.0
            if not 0 <= share <= 100:
                self.problem(node, f"{value} is not a share between 0% and 100%")
                return None
            return DeviceSelector(share=share / 100.0)
        self.problem(node, "must be a share (20%), a count (5) or a list of device names")
        return None

    def timing(self, node: Node | None) -> Timing:
        if node is None:
            return Timing()
        entries = self.mapping(node, ("applySeconds", "jitterSeconds"))
        apply = self.number(entries.get("applySeconds"), 0.5)
        jitter = self.number(entries.get("jitterSeconds"), 0.5)
        return Timing(apply, jitter)

    def platform(self, node: Node | None) -> tuple[str, str]:
        if node is None:
            return DEFAULT_PLATFORM
        entries = self.mapping(node, ("os", "architecture"))
        os = self.string(entries.get("os"), node, "os", optional=True) or DEFAULT_PLATFORM[0]
        arch = self.string(entries.get("architecture"), node, "architecture", optional=True)
        return os, arch or DEFAULT_PLATFORM[1]

    def offline(self, node: Node | None) -> tuple[OfflineWindow, ...]:
        windows: list[OfflineWindow] = []
        for item in self.items(node):
            entries = self.mapping(item, ("from", "to"))
            start = self.duration(entries.get("from"), item, "from")
            end = self.duration(entries.get("to"), item, "to")
            if start is not None and end is not None:
                if end <= start:
                    self.problem(item, f"`to` ({end:g}s) must come after `from` ({start:g}s)")
                windows.append(OfflineWindow(start, end))
        return tuple(windows)

    # -- scalars and collections --------------------------------------------------------------

    def mapping(self, node: Node, known: tuple[str, ...]) -> dict[str, Node]:
        entries = node.mapping()
        if entries is None:
            self.problem(node, "must be a mapping")
            return {}
        for key, value in entries.items():
            if key not in known:
                self.problem(value, f"unknown key {key!r}; known keys: {list(known)}")
        return entries

    def items(self, node: Node | None) -> list[Node]:
        if node is None or node.value is None:
            return []
        if not isinstance(node.value, list):
            self.problem(node, "must be a list")
            return []
        return node.value

    def names(self, node: Node | None, what: str) -> list[str] | None:
        if node is None:
            return None
        result = []
        for item in self.items(node):
            if isinstance(item.value, str) and THING_NAME.match(item.value):
                result.append(item.value)
            else:
                self.problem(item, f"{item.value!r} is not a valid {what} name")
        return result

    def group_list(self, node: Node | None, named: list[tuple[Node, str]]) -> tuple[str, ...]:
        groups = []
        for item in self.items(node):
            if isinstance(item.value, str) and THING_NAME.match(item.value):
                groups.append(item.value)
                named.append((item, item.value))
            else:
                self.problem(item, f"{item.value!r} is not a valid thing group name")
        return tuple(groups)

    def thing_name(self, node: Node | None, parent: Node, key: str) -> str | None:
        text = self.string(node, parent, key)
        if text is not None and node is not None and not THING_NAME.match(text):
            self.problem(node, f"{text!r} is not a valid IoT thing name ([a-zA-Z0-9:_-], 1-128)")
            return None
        return text

    def string(
        self,
        node: Node | None,
        parent: Node,
        key: str,
        *,
        optional: bool = False,
        scalar_ok: bool = False,
    ) -> str | None:
        if node is None:
            if not optional:
                self.problem(parent, "is required", key)
            return None
        value = node.value
        if scalar_ok and isinstance(value, int | float) and not isinstance(value, bool):
            value = node.raw or str(value)
        if not isinstance(value, str) or not value:
            self.problem(node, "must be a non-empty string")
            return None
        return value

    def integer(self, node: Node | None, parent: Node, key: str, *, minimum: int) -> int | None:
        if node is None:
            self.problem(parent, "is required", key)
            return None
        if not isinstance(node.value, int) or isinstance(node.value, bool):
            self.problem(node, "must be an integer")
            return None
        if node.value < minimum:
            self.problem(node, f"must be at least {minimum}")
            return None
        return node.value

    def number(self, node: Node | None, default: float) -> float:
        if node is None:
            return default
        value = node.value
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            self.problem(node, "must be a non-negative number of seconds")
            return default
        return float(value)

    def duration(self, node: Node | None, parent: Node, key: str) -> float | None:
        if node is None:
            self.problem(parent, "is required", key)
            return None
        value = node.value
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return float(value)
        found = _DURATION.match(value.strip()) if isinstance(value, str) else None
        if found is None:
            self.problem(node, f"{value!r} is not a duration (120, 120s, 2m, 1h, 500ms)")
            return None
        return float(found["number"]) * _UNITS[found["unit"]]
