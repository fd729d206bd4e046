#!/usr/bin/env bash
# Build the Dockerfile as written and run the image against the local AWS emulator.
#
#   bash tests/container/run.sh          (as root; called by .ci/run after the test suite)
#
# There is no Docker engine on our machines: Debian's buildah and podman build and run the
# Dockerfile offline (recipe: shared/container-build-offline.md). This script
#   1. installs the Debian packages it needs when they are missing (apt-get, as root),
#   2. writes containers/storage configuration into a work dir (default
#      /var/tmp/reconciler-container, override with RECONCILER_CONTAINER_WORKDIR),
#   3. builds, once, a stand-in for the Dockerfile's base image (python:3.11-slim) with
#      debootstrap and imports it with podman; later runs reuse it from the work dir,
#   4. builds the image from the Dockerfile (`buildah bud --pull-never`),
#   5. runs tests/container/smoke.py: emulator on the host, a Git repo of the sample specs,
#      the container as its own non-root user on the host network, and the checks.
# Everything started here is removed on success and on failure (the work dir's image store is
# kept as a cache). Nothing is ever skipped: a missing prerequisite that cannot be installed is a
# failure with its reason.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="${RECONCILER_CONTAINER_WORKDIR:-/var/tmp/reconciler-container}"
IMAGE="localhost/greengrass-reconciler:container-test"
SUITE="bookworm"  # the Debian release the stand-in base image is made of
PACKAGES=(buildah podman debootstrap runc conmon catatonit slirp4netns uidmap
          containernetworking-plugins netavark aardvark-dns fuse-overlayfs)
HOST_CA_BUNDLE="/etc/ssl/certs/ca-certificates.crt"
VENV_PYTHON="${RECONCILER_VENV:-$ROOT/.venv}/bin/python"

START=$SECONDS
die() { echo "container test FAILED: $*" >&2; exit 1; }
step() { printf '[container %4ds] %s\n' "$((SECONDS - START))" "$*"; }

# ------------------------------------------------------------------ cleanup (always)
RUN_DIR=""
CONTAINER_NAME="reconciler-container-test-$$"
cleanup() {
    local rc=$?
    local summary="container: 0 passed, 1 failed"  # failed before the checks could run
    # smoke.py removes what it started itself; this is the backstop when it was killed.
    if command -v podman >/dev/null 2>&1 && [[ -n "${CONTAINERS_CONF:-}" ]]; then
        podman rm --force --volumes --ignore "$CONTAINER_NAME" >/dev/null 2>&1 || true
    fi
    if [[ -n "$RUN_DIR" && -s "$RUN_DIR/summary" ]]; then
        summary="$(cat "$RUN_DIR/summary")"
    fi
    if [[ -n "$RUN_DIR" && -d "$RUN_DIR" ]]; then
        if [[ -s "$RUN_DIR/emulator.pid" ]]; then
            kill "$(cat "$RUN_DIR/emulator.pid")" 2>/dev/null || true
        fi
        rm -rf -- "$RUN_DIR"
    fi
    if [[ $rc -eq 0 ]]; then
        step "passed in $((SECONDS - START)) s"
    else
        echo "container test FAILED (exit $rc) after $((SECONDS - START)) s" >&2
    fi
    # The closing line CI reads, e.g. "container: 6 passed, 0 failed".
    echo "$summary"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ 1. prerequisites
[[ -x "$VENV_PYTHON" ]] || die "no project virtualenv at $VENV_PYTHON: run 'python3 dev.py test' first"
"$VENV_PYTHON" -c 'import moto, reconciler' 2>/dev/null \
    || die "$VENV_PYTHON lacks the project or its emulator extra: pip install -e '.[dev]'"
[[ -r "$HOST_CA_BUNDLE" ]] || die "no CA bundle at $HOST_CA_BUNDLE (pip inside the build needs it)"

missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if ((${#missing[@]})); then
    [[ $EUID -eq 0 ]] || die "missing Debian packages (${missing[*]}) and not root to install them"
    command -v apt-get >/dev/null || die "missing packages (${missing[*]}) and no apt-get"
    step "installing ${missing[*]}"
    apt-get update -qq || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        >/dev/null || die "apt-get install ${missing[*]} failed"
fi
[[ $EUID -eq 0 ]] || die "buildah/podman need root here (rootless is not configured): run as root"

# ------------------------------------------------------------------ 2. configuration
mkdir -p "$WORK/conf" "$WORK/storage" "$WORK/run"
cat >"$WORK/conf/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$WORK/storage"
runroot = "$WORK/run"
CONF
# runc, not crun: crun refuses this host's hybrid cgroup layout. The default ulimits exceed the
# host's hard limits. Events go to a file: there is no journald.
cat >"$WORK/conf/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
export CONTAINERS_STORAGE_CONF="$WORK/conf/storage.conf"
export CONTAINERS_CONF="$WORK/conf/containers.conf"

# ------------------------------------------------------------------ 3. the stand-in base image
base="$(sed -n 's/^ARG PYTHON_IMAGE=//p' "$ROOT/Dockerfile" | head -n1)"
[[ -n "$base" ]] || die "the Dockerfile declares no 'ARG PYTHON_IMAGE=' default"
[[ "$base" == */* ]] || base="docker.io/library/$base"

debian_mirror() {
    # The mirror apt already uses (deb822 .sources files or one-line sources.list entries).
    local uri
    uri="$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' \
        | grep -v security | head -n1 || true)"
    [[ -n "$uri" ]] || uri="$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
        | awk '{print $2}' | grep -v security | head -n1 || true)"
    echo "${uri:-http://deb.debian.org/debian}"
}

if podman image exists "$base"; then
    step "base image $base: cached in $WORK"
else
    mirror="$(debian_mirror)"
    rootfs="$WORK/rootfs.partial"
    rm -rf -- "$rootfs"
    step "building the stand-in for $base: debootstrap $SUITE from $mirror (takes a minute)"
    debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
        "$SUITE" "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 \
        || die "debootstrap failed; see $WORK/debootstrap.log"
    # Behave like python:3.11-slim: pip may install into the system Python, `python` exists,
    # and no package lists are shipped.
    rm -f "$rootfs"/usr/lib/python3.*/EXTERNALLY-MANAGED
    ln -sf python3 "$rootfs/usr/bin/python"
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
    # The host's apt settings (e.g. a snapshot mirror's validity check) apply inside too.
    cp -n /etc/apt/apt.conf.d/99* "$rootfs/etc/apt/apt.conf.d/" 2>/dev/null || true
    tar -C "$rootfs" -c . | podman import --change 'CMD ["python3"]' --change 'ENV LANG=C.UTF-8' \
        - "$base" >/dev/null || die "podman import of the stand-in base failed"
    rm -rf -- "$rootfs"
    step "base image $base imported"
fi

# ------------------------------------------------------------------ 4. the image
step "building $IMAGE from Dockerfile"
# Working containers of an interrupted build would pin their images forever. The store is ours
# alone (configured above), so every leftover is ours to remove.
buildah rm --all >/dev/null 2>&1 || true
# --format docker keeps the HEALTHCHECK (the OCI format has none). The host's CA bundle is
# mounted for the build steps only: HTTPS leaves through a proxy only it trusts. --layers keeps
# each step as a cache, so unchanged dependencies are not installed again.
buildah bud --pull-never --format docker --layers --force-rm \
    -v "$HOST_CA_BUNDLE:$HOST_CA_BUNDLE:ro" \
    -f "$ROOT/Dockerfile" -t "$IMAGE" "$ROOT" >"$WORK/build.log" 2>&1 \
    || { tail -n 40 "$WORK/build.log" >&2; die "buildah bud failed (full log: $WORK/build.log)"; }
step "built $IMAGE ($(podman image inspect --format '{{.Size}}' "$IMAGE" | numfmt --to=si)B)"
# Layers of earlier builds pile up with every code change; those unused for a day go (which
# costs at most one dependency install the next day).
podman image prune --force --filter until=24h >/dev/null || true

# ------------------------------------------------------------------ 5. run and check
RUN_DIR="$(mktemp -d /tmp/reconciler-container-run.XXXXXX)"
"$VENV_PYTHON" "$ROOT/tests/container/smoke.py" \
    --image "$IMAGE" --name "$CONTAINER_NAME" --run-dir "$RUN_DIR" --specs "$ROOT/deploy-specs"
