"""The time clock: punches and their rules, the timesheet's hours, its CSV, and the punch page's guards."""

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role, User
from accounts.tests.factories import CashierFactory, KitchenUserFactory
from core.models import OutboxEvent
from pos_project.errors import ServiceError
from timeclock.models import TimeBreak, TimeCard
from timeclock.selectors import timesheet
from timeclock.services import timeclock_punch

JAKARTA = ZoneInfo("Asia/Jakarta")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=JAKARTA)


def test_a_day_in_and_out_with_a_break_and_what_each_punch_leaves(in_tenant):
    person = CashierFactory()
    card = timeclock_punch(user=person, action="clock_in", at=at(5, 9), device_name="Counter")
    assert card.status == TimeCard.Status.WORKING and card.device_name == "Counter"
    assert timeclock_punch(user=person, action="break_start", at=at(5, 12)).status == TimeCard.Status.ON_BREAK
    assert timeclock_punch(user=person, action="break_end", at=at(5, 12, 30)).status == TimeCard.Status.WORKING
    card = timeclock_punch(user=person, action="clock_out", at=at(5, 17, 30))
    assert card.status == TimeCard.Status.CLOSED and card.clock_out_at == at(5, 17, 30)
    audited = list(
        AuditEntry.objects.filter(action__startswith="timeclock.").order_by("id").values_list("action", flat=True)
    )
    assert audited == ["timeclock.clock_in", "timeclock.break_start", "timeclock.break_end", "timeclock.clock_out"]
    out = AuditEntry.objects.get(action="timeclock.clock_out")
    assert out.data["worked_minutes"] == 480 and out.data["break_minutes"] == 30
    events = set(OutboxEvent.objects.filter(name__startswith="timeclock.").values_list("name", flat=True))
    assert events == {"timeclock.clocked_in", "timeclock.clocked_out"}


@pytest.mark.parametrize(
    ("before", "action", "code"),
    [
        ([], "break_start", "timeclock.not_in"),
        ([], "clock_out", "timeclock.not_in"),
        (["clock_in"], "clock_in", "timeclock.already_in"),
        (["clock_in"], "break_end", "timecard.break_end_not_allowed"),
        (["clock_in", "break_start"], "break_start", "timecard.break_start_not_allowed"),
        ([], "nap", "timeclock.unknown_action"),
    ],
)
def test_a_punch_that_does_not_fit_says_so_and_changes_nothing(in_tenant, before, action, code):
    person = CashierFactory()
    for step in before:
        timeclock_punch(user=person, action=step)
    cards = list(TimeCard.objects.values_list("pk", "status"))
    with pytest.raises(ServiceError) as refused:
        timeclock_punch(user=person, action=action)
    assert refused.value.code == code
    assert list(TimeCard.objects.values_list("pk", "status")) == cards


def test_clocking_out_ends_an_open_break(in_tenant):
    person = CashierFactory()
    timeclock_punch(user=person, action="clock_in", at=at(5, 9))
    timeclock_punch(user=person, action="break_start", at=at(5, 16))
    timeclock_punch(user=person, action="clock_out", at=at(5, 17))
    assert TimeBreak.objects.get().ended_at == at(5, 17)


def test_a_double_tap_with_one_key_punches_once(in_tenant):
    person = CashierFactory()
    first = timeclock_punch(user=person, action="clock_in", idempotency_key="tap-1")
    again = timeclock_punch(user=person, action="clock_in", idempotency_key="tap-1")
    assert again.pk == first.pk and TimeCard.objects.count() == 1
    with pytest.raises(ServiceError) as refused:
        timeclock_punch(user=person, action="clock_out", idempotency_key="tap-1")
    assert refused.value.code == "idempotency.key_reused"


def test_one_open_card_per_person_even_from_two_tills_at_once(in_tenant):
    """The constraint behind the lock: a second open card for one person cannot be written."""
    from django.db import IntegrityError, transaction

    person = CashierFactory()
    TimeCard.objects.create(user=person, clock_in_at=at(5, 9))
    with pytest.raises(IntegrityError), transaction.atomic():
        TimeCard.objects.create(user=person, clock_in_at=at(5, 9, 1))


def test_the_timesheet_counts_worked_minutes_per_person_per_day(in_tenant, django_assert_num_queries):
    ana, budi = CashierFactory(first_name="Ana"), KitchenUserFactory(first_name="Budi")
    for user, start, end in ((ana, at(5, 9), at(5, 17, 30)), (ana, at(6, 22), at(7, 6)), (budi, at(5, 14), None)):
        card = TimeCard.objects.create(user=user, clock_in_at=start, clock_out_at=end,
                                       status=TimeCard.Status.CLOSED if end else TimeCard.Status.WORKING)  # fmt: skip
        if user is ana and start.day == 5:
            TimeBreak.objects.create(card=card, started_at=at(5, 12), ended_at=at(5, 12, 30))
    TimeCard.objects.create(user=ana, clock_in_at=at(12, 9), clock_out_at=at(12, 10), status="closed")  # outside
    with django_assert_num_queries(2):
        sheet = timesheet(start=date(2026, 1, 5), end=date(2026, 1, 11), zone=JAKARTA, now=at(5, 18))
    assert [row.name for row in sheet.rows] == ["Ana", "Budi"]
    ana_row, budi_row = sheet.rows
    # 8:30 less a 30-minute break; the night shift counts on the evening it began.
    assert ana_row.days == {date(2026, 1, 5): 480, date(2026, 1, 6): 480} and ana_row.total == 960
    assert ana_row.break_minutes[date(2026, 1, 5)] == 30
    # Still clocked in: counted up to now, and marked.
    assert budi_row.days == {date(2026, 1, 5): 240} and budi_row.still_open == {date(2026, 1, 5)}
    assert len(sheet.dates) == 7


def test_the_owner_reads_the_timesheet_and_its_csv_and_no_one_else_does(tenant, django_assert_max_num_queries):
    with tenant_context(tenant.tenant):
        person = CashierFactory(username="tc-ana", first_name="Ana")
        card = TimeCard.objects.create(user=person, clock_in_at=at(5, 9), clock_out_at=at(5, 17, 15), status="closed")
        TimeBreak.objects.create(card=card, started_at=at(5, 12), ended_at=at(5, 12, 45))
    owner = tenant.client(Role.ADMIN_TENANT)
    with django_assert_max_num_queries(9):
        page = owner.get("/backoffice/timesheet/?start=2026-01-05&end=2026-01-11")
    html = page.content.decode()
    assert page.status_code == 200 and 'data-date="2026-01-05">7:30' in html
    download = owner.get("/backoffice/timesheet.csv?start=2026-01-05&end=2026-01-11")
    assert download["Cache-Control"] == "no-store"
    csv_text = b"".join(download.streaming_content).decode("utf-8-sig")
    assert csv_text.splitlines() == [
        "date,username,name,hours,break_minutes,cards,still_open",
        "2026-01-05,tc-ana,Ana,7.50,45,1,no",
    ]
    for role in (Role.SUPERVISOR, Role.CASHIER, Role.KITCHEN):
        assert tenant.client(role).get("/backoffice/timesheet.csv").status_code == 403


def _registered_device(tenant) -> Client:
    client = Client(HTTP_HOST=tenant.host)
    with tenant_context(tenant.tenant):
        client.force_login(tenant.users[Role.SUPERVISOR])
    client.post("/device/", {"action": "register", "name": "Counter"})
    client.post("/logout/")
    return client


def test_a_punch_needs_a_registered_till_and_the_persons_pin(tenant):
    from accounts.services import staff_set_pin

    with tenant_context(tenant.tenant):
        person = CashierFactory(username="tc-budi", first_name="Budi")
        staff_set_pin(user=person, pin="1470", actor=person)
    stranger = Client(HTTP_HOST=tenant.host)
    response = stranger.post("/timeclock/punch/", {"user": person.pk, "pin": "1470", "action": "clock_in"})
    assert response.status_code == 302
    with tenant_context(tenant.tenant):
        assert not TimeCard.objects.filter(user=person).exists()

    till = _registered_device(tenant)
    wrong = till.post("/timeclock/punch/", {"user": person.pk, "pin": "0000", "action": "clock_in"}, follow=True)
    assert "Wrong PIN" in wrong.content.decode() and f'value="{person.pk}" checked' in wrong.content.decode()
    done = till.post("/timeclock/punch/", {"user": person.pk, "pin": "1470", "action": "clock_in", "key": "p1"},
                     follow=True)  # fmt: skip
    assert "Budi clocked in at" in done.content.decode()
    assert "_auth_user_id" not in till.session  # a punch signs nobody in
    with tenant_context(tenant.tenant):
        card = TimeCard.objects.get(user=person)
        assert card.device_name == "Counter" and User.objects.get(pk=person.pk).pin_failures == 0


def test_the_timesheet_csv_neutralises_a_name_a_spreadsheet_would_run(tenant):
    """Issue 12, finding 6: every CSV goes through one writer; a name typed as a formula is not run."""
    with tenant_context(tenant.tenant):
        person = CashierFactory(username="tc-eve", first_name='=HYPERLINK("http://evil.test","Eve")')
        TimeCard.objects.create(user=person, clock_in_at=at(6, 9), clock_out_at=at(6, 17), status="closed")
    download = tenant.client(Role.ADMIN_TENANT).get("/backoffice/timesheet.csv?start=2026-01-05&end=2026-01-11")
    body = b"".join(download.streaming_content) if download.streaming else download.content
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    [row] = [r for r in rows if r[1] == "tc-eve"]
    assert row[2].startswith("'=HYPERLINK(") and row[3] == "8.00"
