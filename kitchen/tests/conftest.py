"""Kitchen fixtures: stations at the tenant's main outlet, with tickets made by kitchen/tests/factories.py.

The kitchen knows orders only by id and number, so its tests need no till: the hand-off from sales is tested
in sales/tests/test_kitchen_handoff.py.
"""

import pytest

from business.tests.factories import OutletFactory
from catalog.tests.factories import CategoryFactory, ProductFactory

from .factories import StationFactory


@pytest.fixture
def kitchen(in_tenant):
    """A grill (food: nasi goreng, red after 10 minutes) and a bar (drinks: es teh, red after 6) at "MAIN"."""
    outlet = OutletFactory(code="MAIN")
    food, drinks = CategoryFactory(name="Food"), CategoryFactory(name="Drinks")
    nasi = ProductFactory(category=food, name="Nasi goreng", price_minor=45000)
    teh = ProductFactory(category=drinks, name="Es teh", price_minor=10000)
    grill = StationFactory(outlet=outlet, name="Grill", amber_after_minutes=5, red_after_minutes=10,
                           categories=[food], products=[nasi])  # fmt: skip
    bar = StationFactory(outlet=outlet, name="Bar", amber_after_minutes=3, red_after_minutes=6,
                         categories=[drinks], products=[teh])  # fmt: skip
    return {"outlet": outlet, "grill": grill, "bar": bar, "food": food, "drinks": drinks}
