"""Catalog CSV import and export: one column layout, validated whole before anything is saved.

Layout (header row required, column order free, names case-insensitive; only the first four are required):

    category, name, sku, price, barcode, taxes, description, archived,
    variant, variant_sku, variant_barcode, variant_price, variant_archived

- One row per product; a product with variants has one row per variant, repeating the product's columns
  (they must be the same on each of its rows). Rows are matched by `sku` (products) and `variant_sku`
  (variants): an existing SKU is updated, a new one created. Categories are matched by name, made if missing.
- Prices are written as people type them in the tenant's currency ("25.000" or "25000" for IDR, "4.50" for USD).
- `taxes`: tax codes separated by spaces or `|` (empty = no taxes). `archived`/`variant_archived`: yes/no, 1/0,
  true/false (empty = no).
- UTF-8 (with or without the BOM Excel writes), or Windows-1252; comma, semicolon or tab separated.

Line numbers in error messages count the header as line 1. If any row is wrong nothing is saved.
"""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import User
from business.models import Tax
from pos_project.csv_export import csv_cell_read, csv_lines
from pos_project.errors import ServiceError
from pos_project.money import MoneyError, format_money, parse_amount
from pos_project.parsing import clean_text

from . import services
from .models import Category, Product, ProductVariant

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
MAX_ERRORS_SHOWN = 200
PRODUCT_FIELDS = ["category", "name", "price_minor", "barcode", "description", "is_archived"]
VARIANT_FIELDS = ["name", "barcode", "price_minor", "is_archived"]

PRODUCT_COLUMNS = ["category", "name", "sku", "price", "barcode", "taxes", "description", "archived"]
VARIANT_COLUMNS = ["variant", "variant_sku", "variant_barcode", "variant_price", "variant_archived"]
COLUMNS = PRODUCT_COLUMNS + VARIANT_COLUMNS
REQUIRED_COLUMNS = ["category", "name", "sku", "price"]
COLUMN_HELP = [
    ("category", gettext_lazy("Category name; made if it does not exist yet."), True),
    ("name", gettext_lazy("Product name."), True),
    ("sku", gettext_lazy("Product SKU: an existing SKU is updated, a new one created."), True),
    ("price", gettext_lazy("Product price, as you would type it (e.g. 25.000)."), True),
    ("barcode", gettext_lazy("Product barcode."), False),
    ("taxes", gettext_lazy("Tax codes separated by spaces or |, e.g. PB1."), False),
    ("description", gettext_lazy("Shown in the back office."), False),
    ("archived", gettext_lazy("yes/no: taken off the till."), False),
    ("variant", gettext_lazy("Variant name (Regular, Large); empty for a product without variants."), False),
    ("variant_sku", gettext_lazy("Variant SKU (required when variant is set)."), False),
    ("variant_barcode", gettext_lazy("Variant barcode."), False),
    ("variant_price", gettext_lazy("Variant price (required when variant is set)."), False),
    ("variant_archived", gettext_lazy("yes/no."), False),
]
TRUE_WORDS = {"yes", "y", "1", "true", "x", "ja", "ya"}
FALSE_WORDS = {"", "no", "n", "0", "false", "tidak"}


class CsvImportError(ServiceError):
    """The file was refused (`catalog.import_invalid`). `errors` are (line, message) pairs; line 0 means the file
    as a whole. As a ServiceError its messages sit on the form's `file` input, each with its line number."""

    def __init__(self, errors: list[tuple[int, str]]):
        self.errors = errors
        lines = [
            _("Line %(line)s: %(problem)s") % {"line": line, "problem": problem} if line else problem
            for line, problem in errors
        ]
        super().__init__(
            "catalog.import_invalid",
            ngettext(
                "The file has %(count)d problem; nothing was imported.",
                "The file has %(count)d problems; nothing was imported.",
                len(errors),
            )
            % {"count": len(errors)},
            fields={"file": lines},
        )


@dataclass
class ImportResult:
    products_created: int = 0
    products_updated: int = 0
    products_unchanged: int = 0
    variants_created: int = 0
    variants_updated: int = 0
    categories_created: int = 0


@dataclass
class _ProductRow:
    line: int
    category: str
    name: str
    sku: str
    price_minor: int
    barcode: str
    tax_codes: tuple[str, ...]
    description: str
    archived: bool
    variants: list = field(default_factory=list)


@dataclass
class _VariantRow:
    line: int
    name: str
    sku: str
    barcode: str
    price_minor: int
    archived: bool


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _dialect(text: str) -> type[csv.Dialect]:
    """Excel's quoting rules with the separator the header uses (Excel writes ';' in many locales)."""
    header = text.split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(header, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","

    class Dialect(csv.excel):
        pass

    Dialect.delimiter = delimiter
    return Dialect


def _longer(column: str, max_length: int) -> str:
    return _("The %(column)s is longer than %(max)s characters.") % {"column": column, "max": max_length}


def _yes_or_no(column: str, value: str | None) -> str:
    return _("%(column)s must be yes or no, not “%(value)s”.") % {"column": column, "value": value}


def _bool(text: str) -> bool | None:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def _parse(data: bytes, currency_code: str) -> tuple[list[_ProductRow], list[tuple[int, str]]]:
    """Read and check every row; returns the products and every error found (nothing touches the database
    except the look-ups of existing SKUs and taxes, done once for the whole file)."""
    if len(data) > MAX_BYTES:
        raise CsvImportError(
            [(0, _("The file is larger than %(mb)s MB. Split it into parts.") % {"mb": MAX_BYTES // (1024 * 1024)})]
        )
    text = decode(data)
    if not text.strip():
        raise CsvImportError([(0, _("The file is empty."))])
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    try:
        header = next(reader)
    except csv.Error as exc:
        raise CsvImportError([(1, _("The header cannot be read: %(error)s.") % {"error": exc})]) from None
    names = [h.strip().lower().replace(" ", "_") for h in header]
    errors: list[tuple[int, str]] = []
    unknown = [h for h in names if h and h not in COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if unknown:
        errors.append(
            (
                1,
                _("Unknown column(s): %(unknown)s. The columns are: %(columns)s.")
                % {"unknown": ", ".join(unknown), "columns": ", ".join(COLUMNS)},
            )
        )
    if missing:
        errors.append((1, _("Missing column(s): %(missing)s.") % {"missing": ", ".join(missing)}))
    if len(set(names) - {""}) != len([n for n in names if n]):
        errors.append((1, _("A column appears twice.")))
    if errors:
        raise CsvImportError(errors)

    taxes = {t.code.upper(): t for t in Tax.objects.all()}
    products: dict[str, _ProductRow] = {}
    variant_lines: dict[str, int] = {}
    rows = 0
    line = 1
    try:
        while True:
            line = reader.line_num + 1  # where the record starts (a quoted cell may span lines)
            record = next(reader, None)
            if record is None:
                break
            if not any(cell.strip() for cell in record):
                continue
            rows += 1
            if rows > MAX_ROWS:
                raise CsvImportError(
                    [(line, _("The file has more than %(max)s rows. Split it into parts.") % {"max": f"{MAX_ROWS:,}"})]
                )
            # Every cell cleaned as any typed text is: no NUL or printer control bytes (pos_project.parsing).
            row = {
                name: clean_text(csv_cell_read(record[i]) if i < len(record) else "", multiline=name == "description")
                for i, name in enumerate(names)
                if name
            }
            problems: list[str] = []
            product = _product_from(row, line, currency_code, taxes, problems)
            variant = _variant_from(row, line, currency_code, problems)
            if product is not None:
                known = products.get(product.sku)
                if known is None:
                    products[product.sku] = known = product
                else:
                    differs = [
                        c
                        for c in ("category", "name", "price_minor", "barcode", "tax_codes", "description", "archived")
                        if getattr(known, c) != getattr(product, c)
                    ]
                    if differs:
                        columns = ", ".join(c.replace("_minor", "").replace("tax_codes", "taxes") for c in differs)
                        problems.append(
                            _("SKU %(sku)s is on line %(line)s with different %(columns)s.")
                            % {"sku": product.sku, "line": known.line, "columns": columns}
                        )
                    elif variant is None:
                        problems.append(
                            _("SKU %(sku)s is already on line %(line)s.") % {"sku": product.sku, "line": known.line}
                        )
                if variant is not None and not problems:
                    if variant.sku in variant_lines:
                        problems.append(
                            _("Variant SKU %(sku)s is already on line %(line)s.")
                            % {"sku": variant.sku, "line": variant_lines[variant.sku]}
                        )
                    elif variant.sku in products:
                        problems.append(
                            _("Variant SKU %(sku)s is a product SKU on line %(line)s.")
                            % {"sku": variant.sku, "line": products[variant.sku].line}
                        )
                    else:
                        variant_lines[variant.sku] = line
                        known.variants.append(variant)
            errors.extend((line, p) for p in problems)
    except csv.Error as exc:
        errors.append((line, _("This line cannot be read as CSV: %(error)s.") % {"error": exc}))
    if rows == 0 and not errors:
        raise CsvImportError([(0, _("The file has a header but no rows."))])
    for sku, product in products.items():
        if sku in variant_lines:
            errors.append(
                (
                    product.line,
                    _("SKU %(sku)s is also a variant SKU on line %(line)s.") % {"sku": sku, "line": variant_lines[sku]},
                )
            )
    errors.extend(_check_against_database(products))
    return list(products.values()), sorted(errors)


def _product_from(row: dict, line: int, currency_code: str, taxes: dict, problems: list[str]) -> _ProductRow | None:
    sku = services.normalise_sku(row.get("sku", ""))
    name, category = row.get("name", ""), row.get("category", "")
    if not sku:
        problems.append(_("The %(column)s is empty.") % {"column": "sku"})
    elif len(sku) > 40:
        problems.append(_longer("sku", 40))
    if not name:
        problems.append(_("The %(column)s is empty.") % {"column": "name"})
    elif len(name) > 120:
        problems.append(_longer("name", 120))
    if not category:
        problems.append(_("The %(column)s is empty.") % {"column": "category"})
    elif len(category) > 80:
        problems.append(_longer("category", 80))
    price = _price(row.get("price", ""), "price", currency_code, problems)
    barcode = row.get("barcode", "")
    if len(barcode) > 64:
        problems.append(_longer("barcode", 64))
    codes = tuple(sorted({c.upper() for c in re.split(r"[\s|,;]+", row.get("taxes", "")) if c}))
    unknown = [c for c in codes if c not in taxes]
    if unknown:
        problems.append(_("Unknown tax code(s): %(codes)s.") % {"codes": ", ".join(unknown)})
    archived = _bool(row.get("archived", ""))
    if archived is None:
        problems.append(_yes_or_no("archived", row.get("archived")))
    if problems or price is None:
        return None
    return _ProductRow(
        line=line,
        category=category,
        name=name,
        sku=sku,
        price_minor=price,
        barcode=barcode,
        tax_codes=codes,
        description=row.get("description", ""),
        archived=bool(archived),
    )


def _variant_from(row: dict, line: int, currency_code: str, problems: list[str]) -> _VariantRow | None:
    name = row.get("variant", "")
    sku = services.normalise_sku(row.get("variant_sku", ""))
    others = [row.get(c, "") for c in ("variant_sku", "variant_barcode", "variant_price")]
    if not name:
        if any(others):
            problems.append(_("Variant columns are filled in but the variant name is empty."))
        return None
    if len(name) > 80:
        problems.append(_("The variant name is longer than %(max)s characters.") % {"max": 80})
    if not sku:
        problems.append(_("The variant_sku is empty (each variant needs its own SKU)."))
    elif len(sku) > 40:
        problems.append(_longer("variant_sku", 40))
    barcode = row.get("variant_barcode", "")
    if len(barcode) > 64:
        problems.append(_longer("variant_barcode", 64))
    price = _price(row.get("variant_price", ""), "variant_price", currency_code, problems)
    archived = _bool(row.get("variant_archived", ""))
    if archived is None:
        problems.append(_yes_or_no("variant_archived", row.get("variant_archived")))
    if price is None or archived is None or not sku or len(name) > 80:
        return None
    return _VariantRow(line=line, name=name, sku=sku, barcode=barcode, price_minor=price, archived=archived)


def _price(text: str, column: str, currency_code: str, problems: list[str]) -> int | None:
    if not text:
        problems.append(_("The %(column)s is empty.") % {"column": column})
        return None
    try:
        value = parse_amount(text, currency_code)
    except MoneyError as exc:
        problems.append(
            _("The %(column)s “%(text)s” is not a price: %(error)s") % {"column": column, "text": text, "error": exc}
        )
        return None
    if value < 0:
        problems.append(_("The %(column)s must be zero or more.") % {"column": column})
        return None
    return value


def _check_against_database(products: dict[str, _ProductRow]) -> list[tuple[int, str]]:
    """SKUs must stay unique across products and variants, also against what is already saved."""
    errors = []
    variant_rows = {v.sku: (p, v) for p in products.values() for v in p.variants}
    all_skus = list(products) + list(variant_rows)
    existing_products = dict(Product.objects.filter(sku__in=all_skus).values_list("sku", "pk"))
    existing_variants = {
        sku: (pk, product_id)
        for sku, pk, product_id in ProductVariant.objects.filter(sku__in=all_skus).values_list(
            "sku", "pk", "product_id"
        )
    }
    for sku, product in products.items():
        if sku in existing_variants:
            errors.append((product.line, _("SKU %(sku)s is already used by a variant.") % {"sku": sku}))
    for sku, (product, variant) in variant_rows.items():
        if sku in existing_products:
            errors.append((variant.line, _("Variant SKU %(sku)s is already used by a product.") % {"sku": sku}))
        elif sku in existing_variants and existing_variants[sku][1] != existing_products.get(product.sku):
            errors.append((variant.line, _("Variant SKU %(sku)s belongs to another product.") % {"sku": sku}))
    return errors


def _bulk_update(model, objects: list, fields: list[str], batch_size: int = 2000) -> None:
    """UPDATE ... FROM (VALUES ...): Django's bulk_update builds one CASE per field and row, which took about a
    minute for 45,000 products; this takes about a second. Table and column names come from the model."""
    if not objects:
        return
    columns = [model._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    casts = ["%s::bigint"] + [f"%s::{column.db_type(connection)}" for column in columns]
    assignments = ", ".join(f"{quote(c.column)} = v.{quote(c.column)}" for c in columns)
    names = ", ".join(["id", *(quote(c.column) for c in columns)])
    with connection.cursor() as cursor:
        for start in range(0, len(objects), batch_size):
            batch = objects[start : start + batch_size]
            values = ", ".join(f"({', '.join(casts)})" for _row in batch)
            params = [p for obj in batch for p in (obj.pk, *(getattr(obj, c.attname) for c in columns))]
            cursor.execute(
                f"UPDATE {quote(model._meta.db_table)} AS t SET {assignments} "  # noqa: S608 - names from the model
                f"FROM (VALUES {values}) AS v({names}) WHERE t.id = v.id",
                params,
            )


@transaction.atomic
def catalog_import(*, data: bytes, currency_code: str, actor: User | None = None) -> ImportResult:
    """Create or update products and variants by SKU from a CSV file; all or nothing.

    Raises CsvImportError with every problem found (with its line number) and saves nothing.
    Price changes of existing products and variants are audited one by one.
    """
    services.sku_lock()
    rows, errors = _parse(data, currency_code)
    if errors:
        raise CsvImportError(
            errors[:MAX_ERRORS_SHOWN]
            + (
                [(0, _("… and %(count)s more.") % {"count": len(errors) - MAX_ERRORS_SHOWN})]
                if len(errors) > MAX_ERRORS_SHOWN
                else []
            )
        )
    result = ImportResult()
    categories = {c.name.casefold(): c for c in Category.objects.all().order_by("is_archived", "pk")}
    taxes = {t.code.upper(): t for t in Tax.objects.all()}
    skus = [r.sku for r in rows]
    existing = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
    existing_tax_codes: dict[int, set[str]] = {}
    for product_id, code in Product.taxes.through.objects.filter(product__sku__in=skus).values_list(
        "product_id", "tax__code"
    ):
        existing_tax_codes.setdefault(product_id, set()).add(code.upper())
    to_create, to_update, changed_prices = [], [], []
    for row in rows:
        category = categories.get(row.category.casefold())
        if category is None:
            category = categories[row.category.casefold()] = Category.objects.create(name=row.category)
            result.categories_created += 1
        product = existing.get(row.sku)
        values = {
            "category_id": category.pk,
            "name": row.name,
            "price_minor": row.price_minor,
            "barcode": row.barcode,
            "description": row.description,
            "is_archived": row.archived,
        }
        if product is None:
            to_create.append(Product(sku=row.sku, **values))
        elif any(getattr(product, key) != value for key, value in values.items()):
            if product.price_minor != row.price_minor:
                changed_prices.append((product, row.sku, product.price_minor, row.price_minor))
            for key, value in values.items():
                setattr(product, key, value)
            to_update.append(product)
    # Only what changed is written: re-importing an exported file touches nothing.
    Product.objects.bulk_create(to_create, batch_size=2000)
    _bulk_update(Product, to_update, PRODUCT_FIELDS)
    result.products_created, result.products_updated = len(to_create), len(to_update)
    result.products_unchanged = len(existing) - len(to_update)
    by_sku = {p.sku: p for p in to_create} | existing

    # Taxes: each imported product gets exactly the file's set (rewritten only where it differs).
    retax = [
        r
        for r in rows
        if r.sku not in existing or tuple(sorted(existing_tax_codes.get(existing[r.sku].pk, ()))) != r.tax_codes
    ]
    through = Product.taxes.through
    through.objects.filter(product_id__in=[by_sku[r.sku].pk for r in retax if r.sku in existing]).delete()
    through.objects.bulk_create(
        [through(product_id=by_sku[r.sku].pk, tax_id=taxes[code].pk) for r in retax for code in r.tax_codes],
        batch_size=5000,
    )

    existing_variants = {v.sku: v for v in ProductVariant.objects.filter(product__sku__in=skus)}
    new_variants, updated_variants = [], []
    for row in rows:
        for v in row.variants:
            values = {"name": v.name, "barcode": v.barcode, "price_minor": v.price_minor, "is_archived": v.archived}
            variant = existing_variants.get(v.sku)
            if variant is None:
                new_variants.append(ProductVariant(product=by_sku[row.sku], sku=v.sku, **values))
                continue
            if all(getattr(variant, key) == value for key, value in values.items()):
                continue
            if variant.price_minor != v.price_minor:
                changed_prices.append((variant, v.sku, variant.price_minor, v.price_minor))
            for key, value in values.items():
                setattr(variant, key, value)
            updated_variants.append(variant)
    ProductVariant.objects.bulk_create(new_variants, batch_size=2000)
    _bulk_update(ProductVariant, updated_variants, VARIANT_FIELDS)
    result.variants_created, result.variants_updated = len(new_variants), len(updated_variants)
    for priced, sku, old, new in changed_prices:
        services._audit_price(actor=actor, target=priced, sku=sku, old=old, new=new, source="csv")
    return result


def catalog_export_rows(*, currency_code: str) -> Iterator[list[str]]:
    """The header and one row per product (or per variant), in the import layout, read in chunks."""
    yield COLUMNS

    def price(minor: int) -> str:
        return format_money(minor, currency_code, symbol=False)

    products = (
        Product.objects.select_related("category")
        .prefetch_related("taxes", Prefetch("variants", queryset=ProductVariant.objects.order_by("sort_order", "pk")))
        .order_by("category__sort_order", "category__name", "sort_order", "name", "pk")
    )
    for p in products.iterator(chunk_size=2000):
        base = [
            p.category.name,
            p.name,
            p.sku,
            price(p.price_minor),
            p.barcode,
            " ".join(sorted(t.code for t in p.taxes.all())),
            p.description,
            "yes" if p.is_archived else "no",
        ]
        variants = list(p.variants.all())
        if not variants:
            yield [*base, "", "", "", "", ""]
        for v in variants:
            yield [*base, v.name, v.sku, v.barcode, price(v.price_minor), "yes" if v.is_archived else "no"]


def catalog_export_lines(*, currency_code: str) -> Iterator[str]:
    """CSV text, line by line, through the product's one CSV writer (formulas neutralised; the import reads
    them back as they were)."""
    return csv_lines(catalog_export_rows(currency_code=currency_code))
