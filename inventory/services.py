from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Category, Product


@transaction.atomic
def category_create(*, name: str, sort_order: int = 0) -> Category:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["A category needs a name."]})
    return Category.objects.create(name=name, sort_order=sort_order)


@transaction.atomic
def product_create(*, category: Category, name: str, sku: str, price_minor: int, barcode: str = "",
                   sort_order: int = 0) -> Product:  # fmt: skip
    errors: dict[str, list[str]] = {}
    name, sku = (name or "").strip(), (sku or "").strip().upper()
    if not name:
        errors["name"] = ["A product needs a name."]
    if not sku:
        errors["sku"] = ["A product needs a SKU."]
    elif Product.objects.filter(sku=sku).exists():
        errors["sku"] = [f"The SKU “{sku}” is already used."]
    if not isinstance(price_minor, int) or isinstance(price_minor, bool) or price_minor < 0:
        errors["price_minor"] = ["The price must be zero or more."]
    if errors:
        raise ValidationError(errors)
    return Product.objects.create(category=category, name=name, sku=sku, price_minor=price_minor,
                                  barcode=barcode.strip(), sort_order=sort_order)  # fmt: skip
