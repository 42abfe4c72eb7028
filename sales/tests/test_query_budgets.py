"""Exact query counts of the till's hot paths, as Zulip asserts them: a change that adds a query here must say
why. Counted inside the test's transaction, where tenant_settings() reads the database (2 queries: sales settings
and taxes); in production, outside a transaction, those come from the cache."""

import json

# SET search_path x2, the tenant's domain, the user, this device's open shift (with its register). The session
# comes from the cache. In production, outside a transaction, the tenant and the user come from caches too.
SIGNED_IN = 5


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_till_hot_paths_make_an_exact_number_of_queries(till, django_assert_num_queries):
    client, teh = till["client"], till["teh"]
    client.get("/till/")  # the first request of a client loads its session
    # priced through the catalog: settings 2, the catalog's version, and as this test's transaction has written the
    # catalog (in production: when this process does not hold them yet) products, their taxes, variants, option
    # groups, outlet overrides (catalog/cache.py)
    two_teas = [{"product_id": teh.pk, "quantity": 2}]
    with django_assert_num_queries(SIGNED_IN + 8):
        assert post_json(client, "/till/preview/", {"lines": two_teas}).status_code == 200
    # + the key's claim, pricing, shift lock, order number, order, lines, recipes, remembered result, response,
    # and the settings again for the answer's cash due (2; from the cache in production, outside a transaction)
    with django_assert_num_queries(SIGNED_IN + 20):
        response = post_json(client, "/till/orders/", {"lines": two_teas, "idempotency_key": "hot-1"})
    order = response.json()
    pay = {"tender": "card", "amount_minor": 1_000, "reference": "A", "idempotency_key": "hot-2"}
    # + the order, claim, shift lock, order lock, payment, order update, remembered result, response; as the
    # kitchen has not had the order: the outlet's send-on-pay flag, its lines, their categories, the stations in
    # the kitchen's savepoint (3; none here, so it stays unsent); the settings for the answer's cash due (2,
    # cached in production)
    with django_assert_num_queries(SIGNED_IN + 18):
        assert post_json(client, f"/till/orders/{order['id']}/payments/", pay).status_code == 201
    rest = {**pay, "amount_minor": order["total_minor"] - 1_000, "idempotency_key": "hot-3"}
    # settling it: + the outbox event of "order.paid", and again the 6 of the unsent order; nothing owed: no cash due
    with django_assert_num_queries(SIGNED_IN + 17):
        assert post_json(client, f"/till/orders/{order['id']}/payments/", rest).json()["status"] == "paid"


def test_the_tabs_dialog_reads_the_settings_once_whatever_the_number_of_tabs(till, django_assert_num_queries):
    """Each tab's cash due needs the business's cash rounding: read once per answer, not once per tab (in
    production each read was a Redis round trip; here, inside the test's transaction, 2 queries)."""
    client, teh = till["client"], till["teh"]
    client.get("/till/")

    def tab(key: str) -> None:
        body = {"lines": [{"product_id": teh.pk, "quantity": 1}], "idempotency_key": key}
        assert post_json(client, "/till/orders/", body).status_code == 201

    tab("tabs-1")
    # + the settings (2), the open tabs
    with django_assert_num_queries(SIGNED_IN + 3):
        assert len(client.get("/till/tabs/").json()["tabs"]) == 1
    for n in range(2, 6):
        tab(f"tabs-{n}")
    with django_assert_num_queries(SIGNED_IN + 3):
        assert len(client.get("/till/tabs/").json()["tabs"]) == 5
