from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Staff accounts"

    def ready(self):
        from pos_project.caching import cache_forget, forget_on_write

        from . import signals  # noqa: F401
        from .backends import user_cache_forget
        from .models import User

        # Cache coherence: the signed-in user's cached row goes with any change to it (CachedModelBackend).
        forget_on_write("auth_user", (User,), lambda user: user_cache_forget(user.pk))

        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from .middleware import otp_device_cache_key

        # ...and the session's second-factor device (CachedOTPMiddleware) with any change to it.
        forget_on_write("otp_device", (TOTPDevice, StaticDevice),
                        lambda device: cache_forget(otp_device_cache_key(device.persistent_id)))  # fmt: skip
