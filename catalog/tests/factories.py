"""Catalog test data, two ways.

- The helper functions (`category`, `product`, `variant`, `outlet`, `tax`) build rows through the catalog's
  services, so the catalog's own tests exercise the real validation (SKU checks, audit of prices).
- The factory_boy factories (`CategoryFactory`, `ProductFactory`, ...) write rows straight to the tables: test
  data for other apps' tests, with none of the services' rules or queries. Use them inside a tenant schema
  (`in_tenant` or `tenant_context`).
"""

import itertools

import factory
from factory.django import DjangoModelFactory

from business.models import Outlet, Tax
from catalog import services
from catalog.models import Category, Modifier, ModifierGroup, Product, ProductModifierGroup, ProductVariant

_seq = itertools.count(1)


def category(name: str = "") -> Category:
    return services.category_create(name=name or f"Category {next(_seq)}")


def product(
    *,
    category_: Category | None = None,
    name: str = "",
    sku: str = "",
    price_minor: int = 25000,
    barcode: str = "",
    **kwargs,
) -> Product:
    n = next(_seq)
    return services.product_create(
        category=category_ or category(),
        name=name or f"Product {n}",
        sku=sku or f"SKU-{n}",
        price_minor=price_minor,
        barcode=barcode,
        **kwargs,
    )


def variant(
    *, product_: Product, name: str = "", sku: str = "", price_minor: int = 30000, barcode: str = ""
) -> ProductVariant:
    n = next(_seq)
    return services.variant_create(
        product=product_, name=name or f"Size {n}", sku=sku or f"VAR-{n}", price_minor=price_minor, barcode=barcode
    )


def outlet(code: str = "") -> Outlet:
    n = next(_seq)
    return Outlet.objects.create(name=f"Outlet {n}", code=code or f"out-{n}")


def tax(code: str = "PB1", rate: int = 10) -> Tax:
    return Tax.objects.get_or_create(code=code, defaults={"name": code, "rate": rate})[0]


# --- factory_boy factories: rows written directly ------------------------------------------------------


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(DjangoModelFactory):
    """`ProductFactory(taxes=[pb1], modifier_groups=[sugar, extras])` links taxes and modifier groups (in order)."""

    class Meta:
        model = Product
        skip_postgeneration_save = True

    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    sku = factory.Sequence(lambda n: f"FP-{n}")  # SKUs are unique across products and variants
    price_minor = 25000

    @factory.post_generation
    def taxes(self, create, extracted, **kwargs):
        if create and extracted:
            self.taxes.set(extracted)

    @factory.post_generation
    def modifier_groups(self, create, extracted, **kwargs):
        if create and extracted:
            ProductModifierGroup.objects.bulk_create(
                ProductModifierGroup(product=self, group=group, sort_order=i) for i, group in enumerate(extracted)
            )


class ProductVariantFactory(DjangoModelFactory):
    class Meta:
        model = ProductVariant

    product = factory.SubFactory(ProductFactory)
    name = factory.Sequence(lambda n: f"Size {n}")
    sku = factory.Sequence(lambda n: f"FV-{n}")
    price_minor = 30000


class ModifierGroupFactory(DjangoModelFactory):
    """`ModifierGroupFactory(modifiers=["Normal", ("Extra shot", 8000)])` adds its modifiers (name or
    (name, price delta)), in that order."""

    class Meta:
        model = ModifierGroup
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Modifier group {n}")
    min_choices = 0
    max_choices = 1

    @factory.post_generation
    def modifiers(self, create, extracted, **kwargs):
        if not (create and extracted):
            return
        specs = [(spec, 0) if isinstance(spec, str) else spec for spec in extracted]
        Modifier.objects.bulk_create(
            Modifier(group=self, name=name, price_delta_minor=delta, sort_order=i)
            for i, (name, delta) in enumerate(specs)
        )


class ModifierFactory(DjangoModelFactory):
    class Meta:
        model = Modifier

    group = factory.SubFactory(ModifierGroupFactory)
    name = factory.Sequence(lambda n: f"Modifier {n}")
    price_delta_minor = 0
