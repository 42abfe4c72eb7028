"""Environment for a process (Celery worker, beat, gunicorn) that must use the test database."""

import os
from urllib.parse import quote

from django.conf import settings


def child_env(**extra: str) -> dict[str, str]:
    db = settings.DATABASES["default"]
    host = db.get("HOST") or db.get("OPTIONS", {}).get("host", "")
    url = f"postgresql://{db['USER']}:{quote(db.get('PASSWORD') or '')}@{quote(host, safe='')}"
    url += f":{db['PORT']}" if db.get("PORT") else ""
    env = dict(os.environ)
    env.update(DATABASE_URL=f"{url}/{db['NAME']}", DJANGO_SETTINGS_MODULE="pos_project.settings.test", **extra)
    return env
