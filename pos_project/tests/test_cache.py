from django.core.cache import cache
from django_redis import get_redis_connection
from django_tenants.utils import tenant_context


def test_cache_keys_are_separated_per_tenant(tenant, other_tenant):
    with tenant_context(tenant.tenant):
        cache.set("menu-version", "alpha-7", 60)
    with tenant_context(other_tenant.tenant):
        assert cache.get("menu-version") is None
        cache.set("menu-version", "beta-2", 60)
    with tenant_context(tenant.tenant):
        assert cache.get("menu-version") == "alpha-7"
    with tenant_context(other_tenant.tenant):
        assert cache.get("menu-version") == "beta-2"
        cache.delete("menu-version")
    with tenant_context(tenant.tenant):
        assert cache.get("menu-version") == "alpha-7"
        cache.delete("menu-version")


def test_the_key_stored_in_redis_carries_the_schema(tenant):
    with tenant_context(tenant.tenant):
        cache.set("probe-key", 1, 60)
        raw = [key.decode() for key in get_redis_connection("default").keys("*probe-key")]
        cache.delete("probe-key")
    assert len(raw) == 1
    assert tenant.schema in raw[0]
