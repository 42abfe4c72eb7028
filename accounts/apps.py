from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Staff accounts"

    def ready(self):
        from pos_project.caching import forget_on_write

        from . import signals  # noqa: F401
        from .backends import user_cache_forget
        from .models import User

        # Cache coherence: the signed-in user's cached row goes with any change to it (CachedModelBackend).
        forget_on_write("auth_user", (User,), lambda user: user_cache_forget(user.pk))
