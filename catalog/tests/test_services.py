import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEntry, Role, User
from business.selectors import outlet_default
from catalog import services
from catalog.models import Modifier, OutletProductOverride, Product

from . import factories as f


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


def test_product_create_keeps_the_old_signature_and_normalises(in_tenant):
    cat = f.category()
    product = services.product_create(category=cat, name=" Latte ", sku=" lat-1 ", price_minor=35000, barcode=" 99 ")
    assert (product.name, product.sku, product.barcode, product.description) == ("Latte", "LAT-1", "99", "")


def test_product_create_reports_every_error_at_once(in_tenant):
    f.product(sku="TAKEN")
    with pytest.raises(ValidationError) as exc:
        services.product_create(category=None, name=" ", sku="taken", price_minor=-1, sort_order=-2)
    assert set(errors_of(exc)) == {"category", "name", "sku", "price_minor", "sort_order"}
    assert errors_of(exc)["sku"] == ["The SKU “TAKEN” is already used."]
    assert (exc.value.code, exc.value.summary) == ("product.invalid", "The product needs fixing.")


@pytest.mark.parametrize("price", [1.5, "100", True, None])
def test_prices_must_be_integers_in_minor_units(in_tenant, price):
    with pytest.raises(ValidationError) as exc:
        services.product_create(category=f.category(), name="X", sku="X", price_minor=price)
    assert "price_minor" in errors_of(exc)


def test_skus_are_unique_across_products_and_variants(in_tenant):
    latte = f.product(sku="LAT")
    f.variant(product_=latte, sku="LAT-L")
    with pytest.raises(ValidationError) as exc:
        f.product(sku="lat-l")
    assert "sku" in errors_of(exc)
    with pytest.raises(ValidationError) as exc:
        f.variant(product_=latte, sku="LAT")
    assert "sku" in errors_of(exc)
    other = f.product(sku="OTHER")
    with pytest.raises(ValidationError):
        services.product_update(
            product=other, actor=None, category=other.category, name=other.name, sku="LAT-L", price_minor=1
        )
    services.product_update(
        product=other, actor=None, category=other.category, name=other.name, sku="OTHER", price_minor=other.price_minor
    )  # keeping its own SKU is fine


def test_a_price_change_is_audited_in_the_same_transaction(in_tenant):
    owner = User.objects.get(role=Role.ADMIN_TENANT, username="owner")
    product = f.product(sku="LAT", price_minor=35000)
    before = AuditEntry.objects.filter(action="catalog.price_change").count()
    services.product_update(
        product=product,
        actor=owner,
        category=product.category,
        name="Latte",
        sku="LAT",
        price_minor=35000,
        description="same price",
    )
    assert AuditEntry.objects.filter(action="catalog.price_change").count() == before
    services.product_update(
        product=product, actor=owner, category=product.category, name="Latte", sku="LAT", price_minor=37000
    )
    entry = AuditEntry.objects.filter(action="catalog.price_change").latest("pk")
    assert (entry.target_label, entry.data, entry.actor_id) == ("LAT", {"from": 35000, "to": 37000}, owner.pk)
    assert Product.objects.get(pk=product.pk).price_minor == 37000


def test_a_refused_update_changes_nothing_and_audits_nothing(in_tenant):
    product = f.product(sku="LAT", price_minor=35000)
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError):
        services.product_update(
            product=product, actor=None, category=product.category, name="", sku="LAT", price_minor=99
        )
    assert Product.objects.get(pk=product.pk).price_minor == 35000
    assert AuditEntry.objects.count() == before


def test_variant_price_and_outlet_price_changes_are_audited(in_tenant):
    latte = f.product(sku="LAT")
    large = f.variant(product_=latte, sku="LAT-L", price_minor=40000)
    services.variant_update(variant=large, actor=None, name="Large", sku="LAT-L", price_minor=42000)
    entry = AuditEntry.objects.filter(action="catalog.price_change").latest("pk")
    assert (entry.target_label, entry.data) == ("LAT-L", {"from": 40000, "to": 42000})
    outlet = outlet_default()
    services.outlet_override_set(outlet=outlet, product=latte, price_minor=30000, is_available=True)
    entry = AuditEntry.objects.filter(action="catalog.price_change").latest("pk")
    assert (entry.target_label, entry.data) == ("LAT", {"from": None, "to": 30000, "outlet": outlet.code})


def test_outlet_override_is_one_row_per_outlet_product_variant_and_clears_itself(in_tenant):
    outlet = outlet_default()
    latte = f.product()
    services.outlet_override_set(outlet=outlet, product=latte, price_minor=1, is_available=True)
    services.outlet_override_set(outlet=outlet, product=latte, price_minor=2, is_available=False)
    assert list(OutletProductOverride.objects.values_list("price_minor", "is_available")) == [(2, False)]
    assert services.outlet_override_set(outlet=outlet, product=latte, price_minor=None, is_available=True) is None
    assert not OutletProductOverride.objects.exists()


def test_outlet_override_refuses_another_products_variant(in_tenant):
    a, b = f.product(), f.product()
    variant_of_b = f.variant(product_=b)
    with pytest.raises(ValidationError) as exc:
        services.outlet_override_set(
            outlet=outlet_default(), product=a, variant=variant_of_b, price_minor=-5, is_available=True
        )
    assert set(errors_of(exc)) == {"variant", "price_minor"}


def test_the_database_refuses_a_second_override_for_the_same_null_variant(in_tenant):
    from django.db import IntegrityError, transaction

    outlet, latte = outlet_default(), f.product()
    OutletProductOverride.objects.create(outlet=outlet, product=latte, variant=None, is_available=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        OutletProductOverride.objects.create(outlet=outlet, product=latte, variant=None, is_available=False)


def test_modifier_group_rules(in_tenant):
    with pytest.raises(ValidationError) as exc:
        services.modifier_group_create(
            name="", min_choices=2, max_choices=1, modifiers=[services.ModifierSpec(name="Oat", price_delta_minor=-100)]
        )
    assert set(errors_of(exc)) == {"name", "max_choices", "modifiers", "min_choices"}
    with pytest.raises(ValidationError) as exc:
        services.modifier_group_create(name="Milk", max_choices=0)
    assert errors_of(exc)["max_choices"] == ["At least one choice must be allowed."]
    group = services.modifier_group_create(
        name="Milk",
        min_choices=1,
        max_choices=2,
        modifiers=[services.ModifierSpec(name="Oat", price_delta_minor=5000), services.ModifierSpec(name="Soy")],
    )
    assert group.is_required
    oat, soy = group.modifiers.order_by("sort_order")
    with pytest.raises(ValidationError) as exc:  # archiving every choice of a required group
        services.modifier_group_update(
            group=group,
            name="Milk",
            min_choices=1,
            max_choices=2,
            modifiers=[
                services.ModifierSpec(name="Oat", pk=oat.pk, is_archived=True),
                services.ModifierSpec(name="Soy", pk=soy.pk, is_archived=True),
            ],
        )
    assert "min_choices" in errors_of(exc)
    services.modifier_group_update(
        group=group,
        name="Milk",
        min_choices=0,
        max_choices=2,
        modifiers=[
            services.ModifierSpec(name="Oat milk", pk=oat.pk, price_delta_minor=6000),
            services.ModifierSpec(name="Almond"),
        ],
    )
    assert list(Modifier.objects.filter(group=group).order_by("name").values_list("name", "price_delta_minor")) == [
        ("Almond", 0),
        ("Oat milk", 6000),
        ("Soy", 0),
    ]  # Soy was not listed: left as it is


def test_modifier_group_update_refuses_another_groups_modifier(in_tenant):
    milk = services.modifier_group_create(name="Milk", modifiers=[services.ModifierSpec(name="Oat")])
    sugar = services.modifier_group_create(name="Sugar", modifiers=[services.ModifierSpec(name="Less")])
    foreign = sugar.modifiers.get()
    with pytest.raises(ValidationError):
        services.modifier_group_update(
            group=milk,
            name="Milk",
            min_choices=0,
            max_choices=1,
            modifiers=[services.ModifierSpec(name="Stolen", pk=foreign.pk)],
        )
    assert sugar.modifiers.get().name == "Less"


def test_product_modifier_groups_keep_their_order(in_tenant):
    milk = services.modifier_group_create(name="Milk")
    sugar = services.modifier_group_create(name="Sugar")
    latte = f.product()
    services.product_set_modifier_groups(product=latte, groups=[sugar, milk])
    assert [link.group.name for link in latte.product_modifier_groups.order_by("sort_order")] == ["Sugar", "Milk"]
    with pytest.raises(ValidationError):
        services.product_set_modifier_groups(product=latte, groups=[milk, milk])
    services.product_set_modifier_groups(product=latte, groups=[])
    assert not latte.modifier_groups.exists()


def test_archive_unarchive_and_category_rules(in_tenant):
    latte = f.product()
    services.product_archive(product=latte)
    assert Product.objects.get(pk=latte.pk).is_archived
    services.product_unarchive(product=latte)
    assert not Product.objects.get(pk=latte.pk).is_archived
    with pytest.raises(ValidationError) as exc:
        services.category_update(category=latte.category, name="", sort_order=-1)
    assert set(errors_of(exc)) == {"name", "sort_order"}
    category = services.category_archive(category=latte.category)
    assert category.is_archived
