"""The owners' daily and weekly summary e-mails (issue 13, point 5): due from 06:00 in the business's time zone,
one per person and period however often beat runs, HTML and text with the figures and a PDF attached."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pypdfium2
import pytest
from django.core import mail

from accounts.models import Role, User
from accounts.tests.factories import OwnerFactory, SupervisorFactory
from mailer.models import Message, Subscription
from mailer.services import mail_send_due, mail_subscriptions_set
from reports.emails import DAILY, WEEKLY, summaries_due, summaries_queue
from reports.models import PaymentDay, ProductDay, SalesHour
from reports.selectors import Period

SATURDAY = date(2026, 11, 28)


def test_what_is_due_depends_on_the_local_hour_and_the_weekday():
    zone = ZoneInfo("Asia/Jakarta")
    assert summaries_due(datetime(2026, 11, 29, 5, 59, tzinfo=zone)) == []
    [daily] = summaries_due(datetime(2026, 11, 29, 6, 0, tzinfo=zone))  # a Sunday
    assert daily.kind == DAILY and daily.period == Period(SATURDAY, SATURDAY)
    assert daily.compare == Period(date(2026, 11, 21), date(2026, 11, 21))  # the same weekday a week before
    daily, weekly = summaries_due(datetime(2026, 11, 30, 23, 0, tzinfo=zone))  # a Monday, late
    assert daily.period == Period(date(2026, 11, 29), date(2026, 11, 29))
    assert weekly.kind == WEEKLY and weekly.period == Period(date(2026, 11, 23), date(2026, 11, 29))
    assert weekly.compare == Period(date(2026, 11, 16), date(2026, 11, 22))


def _sales(day: date, hour: int, orders: int, total: int) -> None:
    SalesHour.objects.create(outlet_id=1, business_date=day, hour=hour, order_type="dine_in", orders=orders,
                             gross_minor=total, total_minor=total)  # fmt: skip


@pytest.fixture
def week_of_sales(in_tenant):
    """Saturday 28 November: 3 orders at 09:00 and 1 at 13:00 (Rp 200.000 in all); the Saturday before, Rp 100.000;
    Monday 16th, Rp 30.000."""
    _sales(SATURDAY, 9, 3, 150_000)
    _sales(SATURDAY, 13, 1, 50_000)
    _sales(SATURDAY - timedelta(days=7), 10, 2, 100_000)
    _sales(SATURDAY - timedelta(days=12), 12, 1, 30_000)  # Monday 16 November
    PaymentDay.objects.create(outlet_id=1, business_date=SATURDAY, tender="qr", payments=4, amount_minor=200_000)
    ProductDay.objects.create(outlet_id=1, business_date=SATURDAY, product_id=7, variant_id=0, category_id=1,
                              name="Kopi Susu Gula Aren", quantity=8, gross_minor=160_000,
                              net_minor=160_000)  # fmt: skip
    return in_tenant


def _owner(fixture, email="owner@alpha.test") -> User:
    owner = fixture.users[Role.ADMIN_TENANT]
    User.objects.filter(pk=owner.pk).update(email=email)
    owner.refresh_from_db()
    return owner


def _local(fixture, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(fixture.tenant.timezone))


def _pdf_text(content: bytes) -> str:
    document = pypdfium2.PdfDocument(content)
    return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


def test_a_subscribed_owner_gets_yesterdays_summary_once_with_its_pdf(week_of_sales):
    owner = _owner(week_of_sales)
    mail_subscriptions_set(user=owner, kinds=[DAILY])
    Subscription.objects.create(user=SupervisorFactory(email="sup@alpha.test"), kind=DAILY)  # may not get it
    Subscription.objects.create(user=OwnerFactory(email=""), kind=DAILY)  # nowhere to send it
    OwnerFactory(email="quiet@alpha.test")  # did not ask
    sunday = _local(week_of_sales, 2026, 11, 29, 6, 0)

    assert summaries_queue(now=sunday - timedelta(minutes=1)) == 0  # before 06:00 local
    assert summaries_queue(now=sunday) == 1
    assert summaries_queue(now=sunday + timedelta(hours=1)) == 0  # the next hourly run: already queued
    [message] = Message.objects.filter(kind=DAILY)
    assert message.to == ["owner@alpha.test"] and message.key == f"report_daily:2026-11-28:{owner.pk}"
    assert message.subject == "Alpha Café: daily summary for Sat 28 Nov 2026"
    for body in (message.text, message.html):
        assert "Rp 200.000" in body and "Rp 100.000" in body and "+100.0 %" in body  # net, a week before, change
        assert "Kopi Susu Gula Aren" in body and "Rp 160.000" in body and "QR" in body
    assert "Net sales: Rp 200.000 (Rp 100.000, +100.0 %)" in message.text
    [attachment] = message.attachments.all()
    assert attachment.filename == "report-daily_2026-11-28.pdf" and attachment.mimetype == "application/pdf"
    text = _pdf_text(bytes(attachment.content))
    assert "Daily summary" in text and "09:00" in text and "13:00" in text and "Rp 200.000" in text

    assert mail_send_due()["sent"] == 1
    [sent] = mail.outbox
    assert sent.to == ["owner@alpha.test"] and sent.alternatives[0][1] == "text/html"
    assert sent.attachments[0][0] == "report-daily_2026-11-28.pdf" and sent.attachments[0][1].startswith(b"%PDF")


def test_on_monday_the_weekly_summary_comes_too_with_every_day_of_the_week(week_of_sales):
    owner = _owner(week_of_sales)
    mail_subscriptions_set(user=owner, kinds=[DAILY, WEEKLY])
    monday = _local(week_of_sales, 2026, 11, 23, 8, 0)  # the week of 16-22 November just ended
    assert summaries_queue(now=monday) == 2
    weekly = Message.objects.get(kind=WEEKLY)
    assert weekly.subject == "Alpha Café: weekly summary for 16 Nov – Sun 22 Nov 2026"
    assert weekly.key == f"report_weekly:2026-11-16:{owner.pk}"
    assert "Rp 130.000" in weekly.text  # 100.000 on Saturday 21st and 30.000 on Monday 16th
    text = _pdf_text(bytes(weekly.attachments.get().content))
    assert "Weekly summary" in text and "Mon 16 Nov" in text and "Sun 22 Nov" in text
    assert "Wed 18 Nov" in text  # a day without sales has its row
    assert summaries_queue(now=monday + timedelta(hours=5)) == 0


def test_the_morning_is_the_businesss_own(week_of_sales):
    """06:00 in the business's zone, whatever UTC says: one minute before, nothing; at it, the e-mail."""
    _owner(week_of_sales)
    mail_subscriptions_set(user=week_of_sales.users[Role.ADMIN_TENANT], kinds=[DAILY])
    six = _local(week_of_sales, 2026, 11, 29, 6, 0).astimezone(ZoneInfo("UTC"))
    assert summaries_queue(now=six - timedelta(minutes=1)) == 0
    assert summaries_queue(now=six) == 1


def test_an_owner_who_unsubscribes_gets_nothing_more(week_of_sales):
    owner = _owner(week_of_sales)
    assert mail_subscriptions_set(user=owner, kinds=[DAILY, WEEKLY, "receipt", "nonsense"]) == {DAILY, WEEKLY}
    assert mail_subscriptions_set(user=owner, kinds=[]) == set()
    assert not Subscription.objects.filter(user=owner).exists()
    assert summaries_queue(now=_local(week_of_sales, 2026, 11, 30, 9, 0)) == 0


def test_the_beat_task_queues_in_the_tenant_it_runs_in(week_of_sales):
    from reports.tasks import summaries_send

    mail_subscriptions_set(user=_owner(week_of_sales), kinds=[DAILY])
    result = summaries_send.apply()  # now: yesterday's e-mail, unless it is before 06:00 in the business's zone
    local = datetime.now(ZoneInfo(week_of_sales.tenant.timezone))
    assert result.get() == (1 if local.hour >= 6 else 0)
