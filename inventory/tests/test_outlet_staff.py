"""Staff limited to their outlets report waste only there (issue 12, point 17): another outlet is not a choice."""

import uuid

from django.test import Client
from django.urls import reverse

from accounts.tests.factories import KitchenUserFactory
from business.tests.factories import OutletFactory
from inventory.models import StockAdjustment, StockMovement

from .stock_helpers import stock_item


def test_a_cook_of_one_outlet_cannot_report_waste_at_another(in_tenant):
    main, harbour = OutletFactory(code="MAIN"), OutletFactory(code="HARBOUR", name="Harbour")
    stock_item(sku="EGG")
    cook = Client(HTTP_HOST=in_tenant.host)
    cook.force_login(KitchenUserFactory(outlet_ids=[main.pk]))
    url = reverse("inventory:adjustment_create")
    page = cook.get(url).content.decode()
    assert f'value="{main.pk}"' in page and "Harbour" not in page
    data = {"item": "EGG", "quantity": "-2", "reason": "waste", "note": "", "key": uuid.uuid4().hex}
    refused = cook.post(url, {**data, "outlet": harbour.pk})
    assert refused.status_code == 400
    assert not StockAdjustment.objects.exists() and not StockMovement.objects.exists()
    assert cook.post(url, {**data, "outlet": main.pk, "key": uuid.uuid4().hex}).status_code == 302
    assert StockAdjustment.objects.get().outlet_id == main.pk
