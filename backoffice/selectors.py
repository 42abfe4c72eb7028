"""What the owner's dashboard reads: the first-run checklist, the audit feed as sentences, and today's figures.

The back office sits at the top of the layers: it reads the other apps through their selectors (and reports'
roll-ups through `reports.selectors`), and owns no table of its own.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.audit import AuditAction, audit_approver_ids, audit_sentence
from accounts.selectors import audit_list, audit_search, staff_list
from business.selectors import tax_list
from catalog.selectors import product_list
from sales.selectors import shift_list_recent


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: Promise
    hint: Promise
    done: bool
    url: str


@dataclass(frozen=True)
class Checklist:
    items: list[ChecklistItem]

    @property
    def done(self) -> int:
        return sum(item.done for item in self.items)

    @property
    def complete(self) -> bool:
        return all(item.done for item in self.items)


def setup_checklist(*, user) -> Checklist:
    """A new business's first steps, each read from real data in one query: a product on the menu, its taxes (a
    tax added, or the sales settings saved by someone who charges none), a second person on the staff, and a
    first shift opened at a till. `user` (the viewer, who always exists) anchors the one-row query."""
    done = (
        staff_list()
        .filter(pk=user.pk)
        .annotate(
            products=Exists(product_list(archived=False)),
            taxes=Exists(tax_list(active_only=False))
            | Exists(audit_search(action=AuditAction.SETTINGS_SALES_UPDATE.value)),
            # A second active person: the staff list from its second row on (OFFSET 1) is not empty.
            staff=Exists(staff_list().filter(is_active=True)[1:]),
            till=Exists(shift_list_recent(limit=None)),
        )
        .values("products", "taxes", "staff", "till")
        .first()
    ) or {}
    items = [
        ChecklistItem(
            key="products",
            label=_("Add your products"),
            hint=_("Categories, prices and options: what the till sells."),
            done=bool(done.get("products")),
            url=reverse("catalog:product_create"),
        ),
        ChecklistItem(
            key="taxes",
            label=_("Set your taxes"),
            hint=_("Add each tax you charge (PB1, PPN...), or save the sales settings if you charge none."),
            done=bool(done.get("taxes")),
            url=reverse("business:sales_settings"),
        ),
        ChecklistItem(
            key="staff",
            label=_("Add your staff"),
            hint=_("Give cashiers and supervisors their own accounts and PINs."),
            done=bool(done.get("staff")),
            url=reverse("accounts:staff_index"),
        ),
        ChecklistItem(
            key="till",
            label=_("Open the till"),
            hint=_("Open the first shift on a register, with the cash in its drawer."),
            done=bool(done.get("till")),
            url=reverse("sales:shift_open"),
        ),
    ]
    return Checklist(items=items)


@dataclass(frozen=True)
class FeedLine:
    sentence: str
    at: datetime
    action: str


def audit_feed(*, limit: int = 8) -> list[FeedLine]:
    """The latest audit entries as sentences, approvers named (two queries whatever the entries say)."""
    entries = list(
        audit_list(limit=limit).only(
            "action", "actor_username", "target_type", "target_id", "target_label", "data", "created_at"
        )  # fmt: skip
    )
    ids = audit_approver_ids(entries)
    names = dict(staff_list().filter(pk__in=sorted(ids)).values_list("pk", "username")) if ids else {}
    return [FeedLine(sentence=audit_sentence(e, names), at=e.created_at, action=e.action) for e in entries]
