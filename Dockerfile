# Production image: one image for every role (compose.yaml picks the command):
#   web (default CMD: gunicorn), worker, beat, and the one-off `migrate` (manage.py setup_platform).
#   docker build -t pos .
# requirements.txt holds only runtime packages; the embedded PostgreSQL/Redis and honcho used by `make run`
# live in requirements-dev.txt and are not installed here.

# --- build: install the dependencies into a virtualenv that the runtime stage copies as is -------------------
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt /tmp/requirements.txt
# Every pinned package ships manylinux wheels for 3.11 (psycopg[binary], argon2-cffi), so no compiler is needed;
# the separate stage still keeps pip, its caches and build leftovers out of the final image.
RUN pip install -r /tmp/requirements.txt

# --- runtime --------------------------------------------------------------------------------------------------
FROM python:3.11-slim
# PROMETHEUS_MULTIPROC_DIR: gunicorn runs several worker processes, so django-prometheus aggregates their
# metrics through files there. gunicorn empties it at start (deploy/gunicorn.conf.py); compose mounts a tmpfs.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=pos_project.settings.production \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus \
    MEDIA_ROOT=/app/var/media

# DejaVu Sans: the Unicode font report PDFs are written in (reports/exports.py finds it there).
RUN apt-get update && apt-get install --no-install-recommends -y fonts-dejavu-core && rm -rf /var/lib/apt/lists/*

# A fixed uid/gid so a host directory or volume can be chowned to match.
RUN groupadd --system --gid 10001 pos \
    && useradd --system --uid 10001 --gid pos --home-dir /app --no-create-home --shell /usr/sbin/nologin pos

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# The code stays owned by root: the app user can read it, not change it.
COPY . .

# Static files are collected at build time into /app/staticfiles; whitenoise serves them (hashed names,
# far-future caching, pre-compressed). The settings only need *some* values to load here: nothing connects.
RUN mkdir -p /app/var/media /tmp/prometheus \
    && SECRET_KEY=collectstatic-only DATABASE_URL=postgresql://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
        python manage.py collectstatic --noinput --verbosity 0 \
    && chown -R pos:pos /app/var /tmp/prometheus

USER pos
EXPOSE 8000
# No HEALTHCHECK here: the same image runs web, worker, beat and migrate, which need different checks;
# compose.yaml declares one per service (web: GET /healthz, worker: celery inspect ping).
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "pos_project.wsgi:application"]
