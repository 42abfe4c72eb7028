"""For accounts/tests/test_guards.py: a real path for each catalog route, so the owner's request finds an object.

The guard walk fills `<int:pk>` with a staff member's pk, which names no catalog object (the owner would get a
404). `catalog_path_for(route, tenant)` makes the objects (inside the test's transaction, so they disappear) and
returns the path; it returns None for routes that are not the catalog's.
"""

from django_tenants.utils import tenant_context

PREFIX = "backoffice/catalog/"


def catalog_path_for(route: str, tenant) -> str | None:
    if not route.startswith(PREFIX) or "<int:pk>" not in route:
        return "/" + route if route.startswith(PREFIX) else None
    from catalog import services
    from catalog.models import ModifierGroup, ProductVariant

    with tenant_context(tenant.tenant):
        variant = ProductVariant.objects.select_related("product__category").filter(sku="GUARD-WALK-L").first()
        if variant is None:  # made once per test, reused when a test asks twice (GET, then POST)
            category = services.category_create(name="Guard walk")
            product = services.product_create(category=category, name="Guard walk", sku="GUARD-WALK", price_minor=1)
            variant = services.variant_create(product=product, name="Large", sku="GUARD-WALK-L", price_minor=2)
            services.modifier_group_create(name="Guard walk")
        product, category = variant.product, variant.product.category
        group = ModifierGroup.objects.filter(name="Guard walk").latest("pk")
    kind = route[len(PREFIX) :].split("/", 1)[0]
    pk = {"categories": category.pk, "products": product.pk, "variants": variant.pk, "modifiers": group.pk}[kind]
    return "/" + route.replace("<int:pk>", str(pk))
