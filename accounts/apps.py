from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Staff accounts"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import signals  # noqa: F401
        from .backends import user_cache_forget
        from .models import User

        # Cache coherence: the signed-in user's cached row goes with any change to it (CachedModelBackend).
        def forget(sender, instance, **kwargs):
            user_cache_forget(instance.pk)

        post_save.connect(forget, sender=User, weak=False, dispatch_uid="auth_user_cache")
        post_delete.connect(forget, sender=User, weak=False, dispatch_uid="auth_user_cache_delete")
