from django.apps import AppConfig


class SalesConfig(AppConfig):
    """The till: registers, shifts, orders, payments, receipts (built out in the till issue)."""

    name = "sales"

    def ready(self):
        from business.models import Outlet
        from pos_project.caching import forget_on_write

        from . import screens  # noqa: F401 - registers the ready strip as a live screen (kitchen/live.py)
        from .models import Register, Shift
        from .selectors import shift_cache_forget

        # Cache coherence, not business logic: the till's cached open shift (sales.selectors) carries its register
        # and outlet, so a write to any of them forgets it.
        forget_on_write("till_shift", (Shift,), lambda shift: shift_cache_forget(register_ids=[shift.register_id]))
        forget_on_write("till_shift_register", (Register,), lambda r: shift_cache_forget(register_ids=[r.pk]))
        forget_on_write(
            "till_shift_outlet",
            (Outlet,),
            lambda outlet: shift_cache_forget(
                register_ids=Register.objects.filter(outlet=outlet).values_list("pk", flat=True)
            ),
        )
