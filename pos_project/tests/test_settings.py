"""Settings come from the environment, production is safe by default, and no migration is missing."""

import os
import secrets
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command

PROD = "pos_project.settings.production"


def _run_django(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=environment, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_production_refuses_to_start_without_a_secret_key():
    result = _run_django("pass", DJANGO_SETTINGS_MODULE=PROD)
    assert result.returncode != 0
    assert "Environment variable SECRET_KEY is required" in result.stderr


def test_production_defaults_are_safe():
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS > 0, s.SESSION_COOKIE_HTTPONLY)"
    )
    result = _run_django(code, DJANGO_SETTINGS_MODULE=PROD, SECRET_KEY="x" * 60)
    assert result.stdout.split() == ["False", "True", "True", "True", "True", "True"], result.stderr


def test_production_passes_the_deploy_checks():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": PROD, "SECRET_KEY": secrets.token_urlsafe(50)},
        cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_malformed_boolean_is_refused_by_name():
    result = _run_django("pass", DJANGO_SETTINGS_MODULE=PROD, SECRET_KEY="x" * 60, DEBUG="maybe")
    assert "DEBUG must be true or false" in result.stderr


def test_no_model_change_is_missing_a_migration(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def _procfile_web_listens_on(**env: str) -> str:
    """The address in the Procfile's web command as honcho's shell expands it (issue 12, point 17)."""
    web = next(line for line in (settings.BASE_DIR / "Procfile").read_text().splitlines() if line.startswith("web:"))
    command = web.removeprefix("web:").strip()
    environment = {k: v for k, v in os.environ.items() if k not in {"HOST", "PORT"}} | env
    echoed = subprocess.run(["/bin/sh", "-c", f"set -f; echo {command}"], env=environment,
                            capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    return echoed[echoed.index("runserver") + 1]


def test_make_run_listens_on_loopback_unless_told_otherwise():
    assert _procfile_web_listens_on() == "127.0.0.1:8000"
    assert _procfile_web_listens_on(PORT="8001") == "127.0.0.1:8001"
    assert _procfile_web_listens_on(HOST="0.0.0.0", PORT="8001") == "0.0.0.0:8001"  # noqa: S104 - told so


DEV = "pos_project.settings.development"


def test_development_settings_refuse_the_known_key_off_loopback():
    """DEBUG on with a key everyone knows is for this machine only: serving the network takes a key of one's own."""
    code = "from django.conf import settings as s; print(s.DEBUG)"
    for host in ("", "127.0.0.1", "localhost", "::1"):
        result = _run_django(code, DJANGO_SETTINGS_MODULE=DEV, HOST=host)
        assert result.returncode == 0 and result.stdout.split() == ["True"], (host, result.stderr)
    refused = _run_django(code, DJANGO_SETTINGS_MODULE=DEV, HOST="0.0.0.0")  # noqa: S104
    assert refused.returncode != 0
    assert "HOST=0.0.0.0 serves the network" in refused.stderr and "SECRET_KEY" in refused.stderr
    own_key = _run_django(code, DJANGO_SETTINGS_MODULE=DEV, HOST="0.0.0.0", SECRET_KEY=secrets.token_urlsafe(50))  # noqa: S104
    assert own_key.returncode == 0, own_key.stderr
