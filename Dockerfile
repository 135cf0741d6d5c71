# PeerLearn image: one image, every process type of the Procfile.
#   docker build -t peerlearn .
#   docker run --env-file .env -p 8000:8000 peerlearn                 # web (the default)
#   docker run --env-file .env peerlearn /app/scripts/procfile worker # release | worker | beat
# No compiler is needed: every runtime dependency installs from a wheel. The builder stage
# keeps pip's work (and the build tools it downloads) out of the final image anyway.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /app

# Runtime dependencies only (pyproject's list, not the test extra), at the exact versions
# requirements.txt pins. A layer of its own: code changes do not reinstall them.
COPY pyproject.toml requirements.txt ./
COPY deploy/keep_urllib3 deploy/keep_urllib3
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/runtime.txt \
    && grep -v '^-e' requirements.txt > /tmp/constraints.txt \
    && pip install -r /tmp/runtime.txt -c /tmp/constraints.txt \
    && python deploy/keep_urllib3 requirements.txt

COPY . .
# Editable, as on a checkout: `peerlearn` maps onto site/, and themes/ stays beside it.
# The same /app path in the final stage keeps the install valid there.
RUN pip install --no-deps -e . \
    && python deploy/compilemessages --all \
    && STATIC_ROOT=/app/var/static PYTHON=python deploy/collectstatic \
    && mkdir -p /app/var/media


FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=peerlearn.settings.production \
    STATIC_ROOT=/app/var/static \
    MEDIA_ROOT=/app/var/media \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus \
    PORT=8000 \
    WEB_CONCURRENCY=2
# Runtime libraries only (no compiler, no pip): Pango and a font for WeasyPrint's receipts and statements;
# janus-tools for janus-pp-rec, which the worker runs to convert Janus recordings.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core janus-tools \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 peerlearn \
    && useradd --system --uid 10001 --gid peerlearn --home-dir /app --no-create-home --shell /usr/sbin/nologin peerlearn
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app
# The code stays root's (read-only to the app); only uploads are the app user's.
RUN chown peerlearn:peerlearn /app/var/media
WORKDIR /app
USER peerlearn
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/deploy/healthcheck.py"]
CMD ["/app/scripts/procfile", "web"]
