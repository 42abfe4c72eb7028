# Production image: slim Python, non-root, gunicorn. Build: docker build -t pos .
# The same image runs web (default CMD), worker, beat and the one-off `migrate` step (see compose.yaml).
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY requirements.txt .
# Wheels only in this stage; the runtime stage installs them without compilers.
RUN pip wheel --wheel-dir /wheels -r requirements.txt

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=pos_project.settings.production \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus \
    PORT=8000
RUN groupadd --system pos && useradd --system --gid pos --home /app --shell /usr/sbin/nologin pos
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels /wheels/* && rm -rf /wheels
COPY --chown=pos:pos . .
# Static files are collected at build time (whitenoise serves them with far-future caching).
# collectstatic needs settings to load, not real services: throwaway values are enough here.
RUN SECRET_KEY=build DATABASE_URL=postgresql://build/build REDIS_URL=redis://build:6379/0 \
    python manage.py collectstatic --noinput -v 0 \
    && mkdir -p /app/var/media /tmp/prometheus && chown -R pos:pos /app/var /tmp/prometheus /app/staticfiles
USER pos
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,os; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT','8000'), timeout=2)"
CMD ["gunicorn", "pos_project.wsgi:application", "--config", "deploy/gunicorn.conf.py"]
