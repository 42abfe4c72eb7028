"""Stock list filters read ids or answer 400 with a message (issue 12, point 9)."""

import pytest

from accounts.models import Role


@pytest.mark.parametrize("value", ["²", "1" * 5000])
@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/backoffice/stock/purchase-orders/", "supplier"),
        ("/backoffice/stock/adjustments/", "outlet"),
        ("/backoffice/stock/transfers/", "outlet"),
    ],
)
def test_an_unreadable_filter_id_is_a_400_with_a_message(tenant, url, name, value):
    response = tenant.client(Role.ADMIN_TENANT).get(url, {name: value})
    assert response.status_code == 400
    assert name in response.content.decode()


def test_a_throttled_bulk_adjustment_answers_429_not_a_template_error(tenant, monkeypatch):
    """The bulk page rendered its error count only after validating; a throttled post (the 11th in a minute)
    rendered it without one, and `blocktranslate count` raised TemplateSyntaxError (found by the fuzz run)."""
    import time
    from types import SimpleNamespace

    import django_ratelimit.core
    from django.core.cache import cache
    from django_tenants.utils import tenant_context

    from inventory.models import StockAdjustment

    stopped = time.time()  # one fixed window of django-ratelimit, however slowly this runs
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: stopped))
    client = tenant.client(Role.ADMIN_TENANT)
    try:
        statuses = [client.post("/backoffice/stock/adjustments/bulk/", {}).status_code for _ in range(11)]
        assert statuses[:10] == [400] * 10 and statuses[10] == 429
        with tenant_context(tenant.tenant):
            assert not StockAdjustment.objects.exists()
    finally:
        with tenant_context(tenant.tenant):
            cache.delete_pattern("rl:*")
