"""The owner's webhook pages in a real browser: reach them from the back office's navigation, add an endpoint
for a real local receiver, copy the secret shown once, send a test event (delivered by the beat job, run here as
beat would), read the log; screenshots in test-artifacts/screenshots/ (webhooks-secret.png, webhooks-log.png)."""

import pytest

from pos_project.testing.browser import SCREENSHOTS, live_tenant_call, sign_in

from .webhook_receiver import Receiver

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _send_due():
    from integrations.webhooks.services import webhook_send_due

    return webhook_send_due()


def _forget(url):
    def work():
        from integrations.models.webhooks import WebhookEndpoint

        WebhookEndpoint.objects.filter(url=url).delete()

    return work


def test_the_owner_adds_an_endpoint_sends_a_test_event_and_reads_the_log(live_site, browser, django_db_blocker,
                                                                          settings):  # fmt: skip
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # for the beat job run from this process
    receiver = Receiver(reply=b'{"received": true}').start()
    url = receiver.url("/pos-hooks")
    try:
        context, page, base = sign_in(browser, live_site, "owner")
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda msg: errors.append(msg.text) if "Refused" in msg.text else None)  # the CSP
        page.goto(f"{base}/backoffice/")
        page.get_by_role("link", name="Webhooks").click()
        page.get_by_test_id("webhook-add").click()
        page.fill("#id_url", url)
        page.fill("#id_description", "Accounting sync")
        page.get_by_label("order.paid: An order is paid in full").check()
        page.get_by_label("shift.closed: A shift is closed, with its cash count").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Save").click()
        secret = page.get_by_test_id("webhook-new-secret").inner_text()
        assert secret.startswith("whsec_")
        page.screenshot(path=SCREENSHOTS / "webhooks-secret.png", full_page=True)

        with page.expect_navigation():
            page.get_by_test_id("webhook-test").click()
        assert "A test event is queued" in page.content()
        assert live_tenant_call(live_site, django_db_blocker, _send_due)["delivered"] == 1
        page.reload()
        row = page.get_by_test_id("delivery-row").first
        assert row.get_attribute("data-state") == "delivered"
        assert "200" in row.inner_text() and "webhook.test" in row.inner_text()
        assert secret not in page.content()  # shown once
        page.screenshot(path=SCREENSHOTS / "webhooks-log.png", full_page=True)
        assert len(receiver.received) == 1 and receiver.received[0].path == "/pos-hooks"
        assert not errors, errors
        context.close()
    finally:
        receiver.stop()
        live_tenant_call(live_site, django_db_blocker, _forget(url))
