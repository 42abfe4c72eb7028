from django.db.models import Prefetch, QuerySet

from .models import Category, Product


def menu_categories() -> QuerySet[Category]:
    """Categories with their sellable products: two queries, whatever the catalog size."""
    products = Product.objects.filter(is_archived=False).order_by("sort_order", "name")
    return (
        Category.objects.filter(is_archived=False)
        .order_by("sort_order", "name")
        .prefetch_related(Prefetch("products", queryset=products, to_attr="menu_products"))
    )
