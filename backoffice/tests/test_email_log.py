"""The owner's E-mail log (issue 13, point 5): messages by status in pages with a bounded query count, "Send
again" on failed ones; another business sees none of them; other roles are refused and change nothing."""

import pytest
from django.urls import reverse
from django_tenants.utils import tenant_context

from accounts.models import Role
from mailer.models import Attachment, Message, Subscription
from mailer.tests.factories import FailedMessageFactory, MessageFactory, SentMessageFactory

LOG = "backoffice:email_log"


def _rows(response) -> int:
    assert response.status_code == 200
    return response.content.decode().count('data-testid="email-row"')


@pytest.fixture
def mails(tenant):
    """In alpha: 55 sent receipts, 3 failed alerts, 2 queued (one being retried), one with a PDF attached."""
    with tenant_context(tenant.tenant):
        SentMessageFactory.create_batch(55)
        failed = FailedMessageFactory.create_batch(3, kind=Message.Kind.SECURITY_ALERT, to=["owner@alpha.test"])
        MessageFactory(subject="Waiting")
        retrying = MessageFactory(subject="Daily summary", kind=Message.Kind.REPORT_DAILY, attempts=2,
                                  last_error="SMTPServerDisconnected: Connection unexpectedly closed")  # fmt: skip
        Attachment.objects.create(message=retrying, filename="daily.pdf", content=b"%PDF", mimetype="application/pdf")
    return {"failed": failed, "retrying": retrying}


def test_the_owner_reads_the_log_by_status_in_pages(tenant, mails, django_assert_max_num_queries):
    owner = tenant.client(Role.ADMIN_TENANT)
    owner.get(reverse(LOG))  # warm-up (sessions, settings cache)
    with django_assert_max_num_queries(10):
        first = owner.get(reverse(LOG))
    page = first.content.decode()
    assert _rows(first) == 50 and "60 e-mails" in page
    assert "All (60)" in page and "Sent (55)" in page and "Failed (3)" in page and "Queued (2)" in page
    assert "daily.pdf" in page and "SMTPServerDisconnected" in page and "Daily summary" in page
    with django_assert_max_num_queries(10):
        second = owner.get(reverse(LOG), {"page": 2})
    assert _rows(second) == 10
    failed = owner.get(reverse(LOG), {"status": "failed"})
    assert _rows(failed) == 3 and failed.content.decode().count('data-testid="send-again"') == 3
    assert "Security alert" in failed.content.decode()
    assert _rows(owner.get(reverse(LOG), {"status": "queued"})) == 2
    assert _rows(owner.get(reverse(LOG), {"status": "nonsense"})) == 50  # an unknown status shows all
    assert 'href="/backoffice/email/"' in page  # in the back office's navigation


def test_the_query_count_does_not_grow_with_the_number_of_messages(tenant, mails, django_assert_max_num_queries):
    owner = tenant.client(Role.ADMIN_TENANT)
    owner.get(reverse(LOG))
    with tenant_context(tenant.tenant):
        for message in SentMessageFactory.create_batch(50):
            Attachment.objects.create(message=message, filename="x.pdf", content=b"%PDF", mimetype="application/pdf")
    with django_assert_max_num_queries(10):
        assert _rows(owner.get(reverse(LOG))) == 50


def test_send_again_puts_a_failed_message_back_in_the_queue(tenant, mails):
    owner = tenant.client(Role.ADMIN_TENANT)
    message = mails["failed"][0]
    response = owner.post(reverse("backoffice:email_send_again", args=[message.pk]), {"status": "failed"})
    assert response.status_code == 302 and response["Location"] == "/backoffice/email/?status=failed"
    with tenant_context(tenant.tenant):
        again = Message.objects.get(pk=message.pk)
        assert (again.status, again.attempts) == ("queued", 0) and again.next_attempt_at is not None
    page = owner.get(response["Location"]).content.decode()
    assert "is queued again" in page and _rows(owner.get(reverse(LOG), {"status": "failed"})) == 2
    # Twice (a double click), or on a message that is not failed: nothing changes.
    owner.post(reverse("backoffice:email_send_again", args=[message.pk]))
    retrying = mails["retrying"]
    owner.post(reverse("backoffice:email_send_again", args=[retrying.pk]))
    with tenant_context(tenant.tenant):
        assert Message.objects.get(pk=message.pk).attempts == 0
        assert Message.objects.get(pk=retrying.pk).attempts == 2
    assert owner.get(reverse("backoffice:email_send_again", args=[message.pk])).status_code == 405


def test_another_business_sees_none_of_them_and_cannot_send_them_again(tenant, other_tenant, mails):
    theirs = other_tenant.client(Role.ADMIN_TENANT)
    page = theirs.get(reverse(LOG))
    assert _rows(page) == 0 and "All (0)" in page.content.decode()
    message = mails["failed"][0]
    assert theirs.post(reverse("backoffice:email_send_again", args=[message.pk])).status_code == 404
    with tenant_context(tenant.tenant):
        assert Message.objects.get(pk=message.pk).status == "failed"


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.CASHIER, Role.KITCHEN])
def test_other_roles_are_refused_and_change_nothing(tenant, mails, role):
    client = tenant.client(role)
    message = mails["failed"][0]
    assert client.get(reverse(LOG)).status_code == 403
    assert client.post(reverse("backoffice:email_send_again", args=[message.pk])).status_code == 403
    with tenant_context(tenant.tenant):
        assert Message.objects.get(pk=message.pk).status == "failed"
    signed_out = tenant.client().get(reverse(LOG))
    assert signed_out.status_code == 302


def test_the_owner_chooses_their_summary_e_mails_on_the_page(tenant):
    owner = tenant.client(Role.ADMIN_TENANT)
    page = owner.get(reverse(LOG)).content.decode()
    assert 'data-testid="summaries-form"' in page and 'value="report_daily"' in page and 'value="report_weekly"' in page
    url = reverse("backoffice:email_subscriptions")
    assert owner.post(url, {"kinds": ["report_daily", "report_weekly"]}).status_code == 302
    with tenant_context(tenant.tenant):
        chosen = Subscription.objects.filter(user=tenant.users[Role.ADMIN_TENANT]).values_list("kind", flat=True)
        assert set(chosen) == {"report_daily", "report_weekly"}
    page = owner.get(reverse(LOG)).content.decode()
    assert page.count(" checked>") == 2
    owner.post(url, {"kinds": ["report_weekly"]})
    with tenant_context(tenant.tenant):
        assert list(Subscription.objects.values_list("kind", flat=True)) == ["report_weekly"]


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.CASHIER, Role.KITCHEN])
def test_other_roles_cannot_subscribe(tenant, role):
    response = tenant.client(role).post(reverse("backoffice:email_subscriptions"), {"kinds": ["report_daily"]})
    assert response.status_code == 403
    with tenant_context(tenant.tenant):
        assert not Subscription.objects.exists()
