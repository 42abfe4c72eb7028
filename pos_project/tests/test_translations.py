"""The Indonesian catalogue (locale/id/LC_MESSAGES/django.po) is complete, keeps every placeholder, and the
committed django.mo is compiled from it.

Reads the .po with the standard library only (a small parser for what makemessages writes), and fails on:
- an entry with an empty translation (any plural form), or marked `#, fuzzy` (the header excepted);
- a translation that drops, adds or changes a `%(name)s`-style placeholder of its msgid (for plurals:
  msgstr[0] against msgid, the other forms against msgid_plural), or changes how many `%%` a python-format
  entry has;
- a .mo that does not give every msgid of the .po its msgstr, i.e. a .po edited without compiling again
  (`make messages`, or msgfmt -o django.mo django.po). When msgfmt is installed, the .po is also compiled to
  a temporary file and its catalogue must equal the committed .mo's (nothing stale left in it).

Then, with Indonesian active, service errors come out in Indonesian.
"""

import ast
import gettext
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from pos_project.errors import ServiceError

ROOT = Path(__file__).resolve().parents[2]
LC_MESSAGES = ROOT / "locale" / "id" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"

KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$')
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsab]")


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def where(self) -> str:
        return f"django.po:{self.line} {self.msgid[:60]!r}"


def parse_po(text: str) -> list[Entry]:
    """Every entry of a .po file, obsolete ones (`#~`) marked as such; the header is the entry with msgid ""."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None
    for number, raw in enumerate(text.splitlines() + [""], start=1):
        line = raw.strip()
        if not line:
            if entry is not None and target is not None:
                entries.append(entry)
            entry, target = None, None
            continue
        if entry is None:
            entry = Entry(line=number)
        if line.startswith("#~"):
            entry.obsolete = True
            line = line[2:].strip()
            if not line or line.startswith("|"):
                continue
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            assert target is not None, f"django.po:{number}: a string continues nothing"
            part = ast.literal_eval(line)
            if target[0] == "msgstr":
                entry.msgstr[target[1]] += part
            else:
                setattr(entry, target[0], getattr(entry, target[0]) + part)
            continue
        match = KEYWORD.match(line)
        assert match, f"django.po:{number}: cannot read {raw!r}"
        keyword, index, quoted = match.groups()
        value = ast.literal_eval(quoted)
        if keyword.startswith("msgstr"):
            target = ("msgstr", int(index or 0))
            entry.msgstr[target[1]] = value
        else:
            target = (keyword, 0)
            setattr(entry, keyword, value)
            if keyword == "msgid":
                entry.line = number
    return entries


def placeholders(text: str) -> set[str]:
    """`%(name)s`, `%(count)d`, `%(value)r`…: the name and the conversion, as written."""
    return {match.group(0) for match in PLACEHOLDER.finditer(text)}


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return [e for e in parse_po(PO.read_text(encoding="utf-8")) if e.msgid and not e.obsolete]


def test_the_parser_reads_the_catalogue(entries):
    assert len(entries) > 500
    assert any(e.msgid_plural for e in entries)
    header = [e for e in parse_po(PO.read_text(encoding="utf-8")) if not e.msgid and not e.obsolete]
    assert len(header) == 1 and "Plural-Forms: nplurals=2;" in header[0].msgstr[0]


def test_no_obsolete_entries():
    obsolete = [e.where for e in parse_po(PO.read_text(encoding="utf-8")) if e.obsolete]
    assert not obsolete, "obsolete #~ entries: remove them (msgattrib --no-obsolete)"


def test_every_entry_is_translated_and_none_is_fuzzy(entries):
    untranslated = [e.where for e in entries if not all(e.msgstr.values())]
    fuzzy = [e.where for e in entries if "fuzzy" in e.flags]
    plurals_missing = [e.where for e in entries if e.msgid_plural is not None and sorted(e.msgstr) != [0, 1]]
    assert not untranslated, f"{len(untranslated)} untranslated: " + "\n".join(untranslated)
    assert not fuzzy, f"{len(fuzzy)} fuzzy: " + "\n".join(fuzzy)
    assert not plurals_missing, "plural entries need msgstr[0] and msgstr[1]: " + "\n".join(plurals_missing)


def test_translations_keep_the_placeholders(entries):
    wrong = []
    for e in entries:
        for index, translated in e.msgstr.items():
            original = e.msgid if index == 0 else e.msgid_plural
            if placeholders(translated) != placeholders(original):
                wrong.append(f"{e.where}[{index}]: {sorted(placeholders(original))} → {translated!r}")
            elif "python-format" in e.flags and translated.count("%%") != original.count("%%"):
                wrong.append(f"{e.where}[{index}]: %% differs → {translated!r}")
    assert not wrong, "\n".join(wrong)


def test_the_placeholder_check_sees_a_dropped_or_changed_placeholder():
    assert placeholders("Saved %(name)s, %(count)d left") == placeholders("%(count)d sisa, %(name)s disimpan")
    assert placeholders("Saved %(name)s.") != placeholders("Disimpan.")
    assert placeholders("Saved %(name)s.") != placeholders("%(nama)s disimpan.")
    assert placeholders("got %(value)r") != placeholders("bukan %(value)s")


def _key(e: Entry) -> str:
    return e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}"


def test_the_committed_mo_is_compiled_from_the_po(entries):
    with MO.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog
    stale = []
    for e in entries:
        if e.msgid_plural is None:
            if catalog.get(_key(e)) != e.msgstr[0]:
                stale.append(e.where)
        elif any(catalog.get((_key(e), i)) != text for i, text in e.msgstr.items()):
            stale.append(e.where)
    assert not stale, f"django.mo is older than django.po ({len(stale)} entries differ): run `make messages`\n" + (
        "\n".join(stale[:20])
    )


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_the_committed_mo_equals_a_fresh_compile(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(PO)], check=True, capture_output=True)
    with fresh.open("rb") as a, MO.open("rb") as b:
        assert gettext.GNUTranslations(a)._catalog == gettext.GNUTranslations(b)._catalog


def test_service_errors_come_out_in_indonesian():
    from inventory.quantities import parse_quantity
    from sales.pricing import Discount, PricingError

    with translation.override("id"):
        assert translation.gettext("Open a shift first.") == "Buka shift terlebih dahulu."
        assert translation.gettext("The order has no items.") not in ("", "The order has no items.")
        with pytest.raises(ServiceError) as refused:
            parse_quantity("abc")
        assert refused.value.messages == ["“abc” bukan angka."]
        with pytest.raises(PricingError, match="Diskon persen harus antara 0 dan 100 persen"):
            Discount(kind="percent", value=Decimal(120))
    with translation.override("en"):
        assert translation.gettext("Open a shift first.") == "Open a shift first."


JS_PO = LC_MESSAGES / "djangojs.po"
JS_CATALOGUE = ROOT / "static" / "jsi18n" / "id" / "djangojs.js"


def test_the_scripts_catalogue_is_complete_and_compiled_to_the_static_file():
    """The scripts' strings (gettext() in static/js, domain djangojs) are translated with their placeholders, and
    static/jsi18n/id/djangojs.js (django-statici18n's `compilejsi18n`, what the pages load) holds every one of
    them: a .po edited without `make messages` fails here."""
    import json

    js_entries = [e for e in parse_po(JS_PO.read_text(encoding="utf-8")) if e.msgid and not e.obsolete]
    assert len(js_entries) > 50
    untranslated = [e.where for e in js_entries if not all(e.msgstr.values()) or "fuzzy" in e.flags]
    assert not untranslated, "untranslated or fuzzy in djangojs.po:\n" + "\n".join(untranslated)
    wrong = [e.where for e in js_entries if placeholders(e.msgstr[0]) != placeholders(e.msgid)]
    assert not wrong, "placeholders changed:\n" + "\n".join(wrong)
    compiled = JS_CATALOGUE.read_text(encoding="utf-8")
    stale = [e.msgid for e in js_entries if f"{json.dumps(e.msgid)}: {json.dumps(e.msgstr[0])}" not in compiled]
    assert not stale, "static/jsi18n/id/djangojs.js is older than djangojs.po: run `make messages`\n" + "\n".join(stale)
