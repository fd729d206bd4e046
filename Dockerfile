# The greengrass-reconciler controller image (docs/deployment.md).
#
#   docker build -t greengrass-reconciler .
#   docker run --rm -p 8080:8080 -e RECONCILER_SOURCE=https://github.com/acme/fleet.git \
#     -e RECONCILER_GIT_TOKEN_FILE=/run/secrets/git-token -v "$PWD/token:/run/secrets/git-token:ro" \
#     -e AWS_REGION=us-east-1 greengrass-reconciler
#
# Two stages: the builder makes a wheel of the project and installs it with its dependencies into
# a virtualenv; the final image receives that virtualenv only (no compiler, no build tools, no pip
# cache, no source tree). tests/container/run.sh builds and runs this file as written.

ARG PYTHON_IMAGE=python:3.11-slim

# --------------------------------------------------------------------------- builder
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
# The virtualenv gets no pip of its own: the builder's pip installs into it (`--python`), so the
# final image carries no installer in the application's environment. Extras (e.g. "emulator")
# are added with --build-arg RECONCILER_EXTRAS=emulator.
ARG RECONCILER_EXTRAS=""
RUN python -m venv --without-pip /opt/reconciler

# Dependencies first, from pyproject.toml alone: a change to the code does not download them
# again. (tomllib reads the same list pip would; the project itself follows below.)
COPY pyproject.toml README.md ./
RUN python -c "import sys, tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
extras = [e for e in sys.argv[1].split(',') if e]; \
print('\n'.join(p['dependencies'] + [r for e in extras for r in p['optional-dependencies'][e]]))" \
        "${RECONCILER_EXTRAS}" > /tmp/requirements.txt \
 && python -m pip --python /opt/reconciler/bin/python install --no-cache-dir -r /tmp/requirements.txt

# Then the project, as a wheel (what a release would publish), without touching the dependencies.
COPY reconciler ./reconciler
RUN python -m pip wheel --no-deps --wheel-dir /wheels . \
 && python -m pip --python /opt/reconciler/bin/python install --no-cache-dir --no-deps \
        /wheels/greengrass_reconciler-*.whl

# --------------------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE}

# Declared before the first FROM, an ARG is visible inside a stage only when named again.
ARG PYTHON_IMAGE
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="greengrass-reconciler" \
      org.opencontainers.image.description="GitOps for AWS IoT Greengrass v2: plan, apply and continuously reconcile thing-group deployments from Git." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.documentation="docs/deployment.md" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"

# git: GitPython drives the git binary. openssh-client: SSH remotes. tini: PID 1 that forwards
# signals and reaps the git/ssh helpers a timed-out fetch leaves behind.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client tini ca-certificates \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/* /var/log/apt /var/log/dpkg.log

# A system user with a fixed uid (the chart's runAsUser) and no login shell. The cache directory
# is the only place the controller writes (Git caches, lock file); in Kubernetes it is an
# emptyDir, the root filesystem stays read-only.
RUN groupadd --system --gid 10001 reconciler \
 && useradd --system --uid 10001 --gid 10001 --home-dir /home/reconciler --create-home \
        --shell /usr/sbin/nologin reconciler \
 && install -d -o 10001 -g 10001 -m 0750 /var/cache/reconciler

COPY --from=builder /opt/reconciler /opt/reconciler

ENV PATH=/opt/reconciler/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/home/reconciler \
    RECONCILER_CACHE_DIR=/var/cache/reconciler \
    RECONCILER_HTTP_PORT=8080 \
    RECONCILER_LOG_FORMAT=json

WORKDIR /home/reconciler
USER 10001:10001
# Fail the build, not the first pod, when the command line cannot even start.
RUN reconciler --version
VOLUME ["/var/cache/reconciler"]
EXPOSE 8080

# No curl in the image: the venv's Python asks /healthz (on the port the controller serves).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('RECONCILER_HTTP_PORT', '8080'), timeout=4)"]

ENTRYPOINT ["tini", "--", "reconciler"]
CMD ["run"]
