"""The time clock in a real browser (issue 11, point 8): a cashier clocks in, takes a break, comes back and
clocks out on the registered till's lock screen with their PIN; the owner's timesheet shows the hours per day
and its CSV has them too.

The punches are real; the test then moves the day's card to a fixed past Monday (09:00–17:30 with a 30-minute
break, in the business's time zone) so the hours are known: 8:00."""

from datetime import datetime
from pathlib import Path

import pytest

from accounts.models import Role
from accounts.tests.browser_helpers import in_db, registered_device, staff_with_pins, tag
from pos_project.testing.browser import SCREENSHOTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _punch(page, username: str, pin: str, action: str) -> str:
    """Tap the person, type the PIN, press a time-clock button; the lock screen's message."""
    page.click(f"[data-username='{username}']")
    page.fill("#id_pin", pin)
    with page.expect_navigation():
        page.click(f"button[value={action}]")
    return page.locator(".messages, [data-testid=pin-error]").first.inner_text()


def _move_card_to_a_known_day(site, username: str) -> None:
    def move():
        from zoneinfo import ZoneInfo

        from django.db import connection

        from timeclock.models import TimeBreak, TimeCard

        zone = ZoneInfo(connection.tenant.timezone)
        card = TimeCard.objects.get(user__username=username)
        day = lambda h, m=0: datetime(2026, 1, 5, h, m, tzinfo=zone)  # noqa: E731
        TimeCard.objects.filter(pk=card.pk).update(clock_in_at=day(9), clock_out_at=day(17, 30))
        TimeBreak.objects.filter(card=card).update(started_at=day(12), ended_at=day(12, 30))

    in_db(site["alpha"].tenant, move)


def test_e_clock_in_break_clock_out_and_the_owners_timesheet(committed_db, live_site, browser):
    t = tag()
    person = f"tc-{t}"
    staff_with_pins(live_site, {person: (Role.CASHIER, "1470")})
    context, page, base = registered_device(browser, live_site, f"Clock {t}")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base}/lock/")
    assert "not clocked in" in _punch(page, person, "1470", "break_start")
    assert "clocked in" in _punch(page, person, "1470", "clock_in")
    page.screenshot(path=SCREENSHOTS / "timeclock-clocked-in.png")
    assert "Wrong PIN" in _punch(page, person, "0000", "break_start")
    assert "break" in _punch(page, person, "1470", "break_start")
    assert "back" in _punch(page, person, "1470", "break_end")
    assert "clocked out" in _punch(page, person, "1470", "clock_out")
    context.close()

    _move_card_to_a_known_day(live_site, person)
    owner_context, owner_page, base = sign_in(browser, live_site, "owner")
    owner_page.goto(f"{base}/backoffice/")
    with owner_page.expect_navigation():
        owner_page.click("nav >> text=Timesheet")
    owner_page.fill("#id_start", "2026-01-05")
    owner_page.fill("#id_end", "2026-01-11")
    with owner_page.expect_navigation():
        owner_page.click("text=Show")
    row = owner_page.locator("tr", has_text=person)
    assert "8:00" in row.locator("[data-date='2026-01-05']").inner_text()
    assert "8:00" in row.locator("[data-testid=total]").inner_text()
    owner_page.screenshot(path=SCREENSHOTS / "timesheet.png", full_page=True)
    with owner_page.expect_download() as download:
        owner_page.click("text=Download CSV")
    csv_text = Path(download.value.path()).read_text(encoding="utf-8")
    line = next(line for line in csv_text.splitlines() if person in line)
    assert line.startswith("2026-01-05,") and ",8.00," in line, line
    assert errors == []
    owner_context.close()
