# syntax=docker/dockerfile:1
#
# icsvoice production image. One image runs every process; docker-compose.yml picks which:
#   web      gunicorn icsvoice.wsgi                 (the default CMD below)
#   worker   celery -A icsvoice worker
#   beat     celery -A icsvoice beat --schedule /data/beat/celerybeat-schedule   (exactly one)
#   migrate  python manage.py migrate --no-input     (one-shot, before the others start)
# Settings come from environment variables at run time (see .env.example); nothing secret is
# baked into the image.

ARG PYTHON_IMAGE=python:3.11-slim

# --- Python dependencies ----------------------------------------------------------------------
# The runtime lock only (requirements-dev.lock is for development and CI). --no-deps keeps the
# install to exactly what the lock names; pip check proves the lock is complete.
FROM ${PYTHON_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.lock /tmp/requirements.lock
RUN /opt/venv/bin/pip install --no-deps -r /tmp/requirements.lock \
    && /opt/venv/bin/pip check

# --- Front-end assets --------------------------------------------------------------------------
# The NHS.UK design system (nhsuk-frontend) compiled with sass into static/dist, exactly as
# `make assets` does; only static/dist reaches the runtime image.
FROM node:20-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY static/src static/src
RUN npm run build

# --- Runtime ------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# ICSVOICE_VAR_DIR must be the same at build and run time: collectstatic writes the static files
# (and whitenoise's manifest) to $ICSVOICE_VAR_DIR/static. Uploaded files live on a volume.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ICSVOICE_VAR_DIR=/app/var \
    ICSVOICE_MEDIA_ROOT=/data/media \
    WEB_CONCURRENCY=3

# WeasyPrint (meeting packs) draws pages with Pango; fonts-liberation gives it Arial's metrics.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
       libharfbuzz-subset0 fonts-liberation \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 icsvoice \
    && useradd --system --uid 10001 --gid icsvoice --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin icsvoice

COPY --from=deps /opt/venv /opt/venv

# Docker healthcheck for the web process: GET /healthz on this container's gunicorn, the way the
# proxy sends it (an allowed Host, X-Forwarded-Proto: https), so neither ALLOWED_HOSTS nor the
# HTTPS redirect answers instead of the view. /healthz runs a query, so it fails without the
# database. Optional argument: the port (default 8000).
COPY --chmod=0755 <<"EOF" /usr/local/bin/icsvoice-healthcheck
#!/usr/local/bin/python
import http.client
import os
import sys

hosts = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()]
host = hosts[0].lstrip(".") if hosts and hosts[0] != "*" else "localhost"
port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
try:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/healthz", headers={"Host": host, "X-Forwarded-Proto": "https"})
    status = conn.getresponse().status
except OSError as error:
    sys.exit(f"healthcheck: {error}")
sys.exit(0 if status == 200 else f"healthcheck: /healthz answered {status}")
EOF

WORKDIR /app
# The code stays owned by root: the app user can read it, not change it.
COPY . .
COPY --from=assets /src/static/dist static/dist

# A throwaway key only so settings load; it is not kept in the image's environment.
RUN DJANGO_SECRET_KEY=collectstatic-at-build-time-only python manage.py collectstatic --no-input \
    && mkdir -p /data/media /data/beat \
    && chown -R icsvoice:icsvoice /app/var /data

# Numeric, so orchestrators that insist on a non-root user (runAsNonRoot) can verify it.
USER 10001:10001
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["icsvoice-healthcheck"]

# Workers: WEB_CONCURRENCY (gunicorn reads it itself). /dev/shm keeps gunicorn's worker heartbeat
# off the container's overlay filesystem. No control socket: it would go in $HOME, which the app
# user cannot write, and replicas, not a live worker count, are how this scales.
CMD ["gunicorn", "icsvoice.wsgi", \
     "--bind", "0.0.0.0:8000", \
     "--access-logfile", "-", \
     "--worker-tmp-dir", "/dev/shm", \
     "--no-control-socket", \
     "--timeout", "60", \
     "--graceful-timeout", "30"]
