"""The kitchen's outlet and station choices are read as ids or refused with a 400 (issue 12, point 9)."""

import pytest

from accounts.models import Role

VALUES = ["²", "1" * 5000, "abc"]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("name", ["outlet", "station"])
def test_a_display_asked_for_an_unreadable_outlet_or_station_answers_400(tenant, name, value):
    client = tenant.client(Role.KITCHEN)
    for url in ("/kitchen/", "/kitchen/poll/"):
        response = client.get(url, {name: value})
        assert response.status_code == 400, (url, response.status_code)
        assert name in response.content.decode()


def test_a_huge_id_is_simply_no_such_station(tenant):
    response = tenant.client(Role.KITCHEN).get("/kitchen/", {"station": str(10**20)})
    assert response.status_code == 400
    assert tenant.client(Role.KITCHEN).get("/kitchen/", {"station": "999999"}).status_code == 200
