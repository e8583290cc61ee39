"""The inventory search's rules, without a database: how the page's parameters are read,
and what SQL each search, filter and order becomes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from db import codes
from db.bounds import ROW_ID_MAX
from db.enums import Category, Status
from reporting import inventory
from reporting.inventory import Search, code_problem, exact_match, ordering, words_match
from reporting.inventory_params import (
    DEFAULT_SIZE,
    MAX_PAGE,
    NO_GRADE,
    Filters,
    Order,
    SortKey,
    Window,
    read,
    whole_number,
)

CODE = "7K3QM2X" + codes.check_symbol("7K3QM2X")  # a well-formed device code


def sql(clause: Any, dialect: Any = None) -> str:
    """A clause as SQL with its values inline, to read what a rule asks of the database."""
    compiled = clause.compile(
        dialect=dialect or sqlite.dialect(), compile_kwargs={"literal_binds": True}
    )
    return " ".join(str(compiled).split())


# --- reading the parameters -----------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "value"),
    [
        ({}, "q", ""),
        ({"q": "  Lenovo   T480 "}, "q", "Lenovo T480"),
        ({"status": "available"}, "status", Status.AVAILABLE),
        ({"category": "tablet"}, "category", Category.TABLET),
        ({"grade": "A"}, "grade", "A"),
        ({"grade": NO_GRADE}, "grade", NO_GRADE),
        ({"batch": "12"}, "batch_id", 12),
        ({"batch": str(ROW_ID_MAX)}, "batch_id", ROW_ID_MAX),
        ({"donor": "Mairie"}, "donor", "Mairie"),
        ({"location": " Étagère  A1 "}, "location", "Étagère A1"),
    ],
)
def test_good_parameters_are_typed(params: dict[str, str], field: str, value: Any) -> None:
    asked, errors = read(params)
    assert errors == {}
    assert getattr(asked.filters, field) == value


@pytest.mark.parametrize(
    ("name", "sent"),
    [
        ("status", "sold"),
        ("status", "AVAILABLE"),  # values are sent as the select gives them
        ("category", "phone"),
        ("grade", "D"),
        ("grade", "a"),
        ("batch", "abc"),
        ("batch", "0"),
        ("batch", "-3"),
        ("batch", "1.5"),
        ("batch", str(ROW_ID_MAX + 1)),
        ("batch", "9" * 40),
        ("batch", "²"),  # a digit to str.isdigit, not to int()
        ("sort", "price"),
        ("order", "up"),
        ("size", "7"),
        ("size", "10000"),
        ("page", "0"),
        ("page", "-1"),
        ("page", "two"),
        ("page", str(MAX_PAGE + 1)),
        ("q", "x" * 201),
        ("donor", "y" * 201),
    ],
)
def test_a_bad_parameter_gets_a_message_of_its_own(name: str, sent: str) -> None:
    asked, errors = read({name: sent})
    assert list(errors) == [name]
    assert asked.filters == Filters()  # nothing half-read reaches a query


def test_the_window_is_bounded_and_starts_at_the_first_page() -> None:
    asked, _ = read({})
    assert asked.window == Window(page=1, size=DEFAULT_SIZE) and asked.window.offset == 0
    asked, _ = read({"page": "3", "size": "25"})
    assert asked.window.offset == 50
    asked, _ = read({"page": str(MAX_PAGE), "size": "200"})
    assert asked.window.offset <= ROW_ID_MAX


@pytest.mark.parametrize(
    ("params", "order"),
    [
        ({}, Order(None, descending=False)),
        ({"sort": "brand"}, Order(SortKey.BRAND, descending=False)),
        ({"sort": "status_since", "order": "desc"}, Order(SortKey.STATUS_SINCE, True)),
    ],
)
def test_the_order_is_read(params: dict[str, str], order: Order) -> None:
    assert read(params)[0].order == order


@pytest.mark.parametrize(
    ("text", "number"),
    [("1", 1), (" 42 ", 42), ("0", None), ("", None), ("٣", None), ("2147483648", None)],
)
def test_whole_numbers(text: str, number: int | None) -> None:
    assert whole_number(text, ROW_ID_MAX) == number


# --- what the search text finds ---------------------------------------------------------


@pytest.mark.parametrize(
    "typed", [codes.display(CODE), CODE, CODE.lower(), codes.display(CODE).lower(), f" {CODE} "]
)
def test_a_code_in_any_typed_form_is_looked_up_by_its_canonical_form(typed: str) -> None:
    found = sql(exact_match(typed))
    assert f"device.code = '{CODE}'" in found


def test_an_identifier_is_matched_through_the_upper_case_partial_indexes() -> None:
    found = sql(exact_match(" pf-1a2b "))
    assert "device.serial IS NOT NULL AND upper(device.serial) = 'PF-1A2B'" in found
    assert "device.asset_tag IS NOT NULL AND upper(device.asset_tag) = 'PF-1A2B'" in found
    assert "device.code" not in found and "imei" not in found


@pytest.mark.parametrize(
    ("typed", "imei"),
    [
        ("356938035643809", "356938035643809"),
        ("35 693803 564380 9", "356938035643809"),
        ("35-693803-564380-9", "356938035643809"),
        ("35693803564380", None),  # 14 digits
        ("SN356938035643809", None),  # a serial holding 15 digits
    ],
)
def test_fifteen_digits_are_also_an_imei(typed: str, imei: str | None) -> None:
    found = sql(exact_match(typed))
    assert (f"device.imei = '{imei}'" in found) is (imei is not None)


def test_no_text_matches_nothing_exactly() -> None:
    assert exact_match("   ") is None
    assert inventory.exact_probe("") is None


def test_words_are_each_looked_for_in_brand_and_model_together() -> None:
    found = sql(words_match("Lenovo  T480"))
    expression = "lower((coalesce(device.brand, '') || ' ') || coalesce(device.model, ''))"
    assert found.count(expression) == 2
    assert f"{expression} LIKE '%lenovo%' ESCAPE '/'" in found
    assert f"{expression} LIKE '%t480%' ESCAPE '/'" in found


def test_the_words_expression_is_the_one_a_trigram_index_can_serve() -> None:
    # Constants inline, not parameters: PostgreSQL matches an index by its expression.
    compiled = inventory.WORDS.compile(dialect=postgresql.dialect())
    assert compiled.params == {}
    assert str(compiled) == (
        "lower((coalesce(device.brand, '') || ' ') || coalesce(device.model, ''))"
    )


@pytest.mark.parametrize(
    ("typed", "pattern"), [("50%", "%50/%%"), ("a_b", "%a/_b%"), ("x/y", "%x//y%")]
)
def test_like_wildcards_typed_are_searched_as_text(typed: str, pattern: str) -> None:
    assert f"LIKE '{pattern}' ESCAPE '/'" in sql(words_match(typed))


def test_at_most_five_words_are_searched() -> None:
    assert sql(words_match("a b c d e f g")).count("LIKE") == inventory.MAX_WORDS


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        (codes.display(CODE), None),  # a good code has none
        (CODE[:-1] + ("0" if CODE[-1] != "0" else "1"), "check character"),
        ("ABCD-EFGU", "“U” cannot appear"),
        ("Lenovo", None),  # words, not a code
        ("PF-1A2B3C4D5", None),  # too long to be a code
    ],
)
def test_a_mistyped_code_says_why(typed: str, problem: str | None) -> None:
    said = code_problem(typed)
    if problem is None:
        assert said is None
    else:
        assert said is not None and problem in str(said)


# --- filters and order ----------------------------------------------------------------


def _where(search: Search) -> str:
    return " AND ".join(sql(c) for c in search.conditions())


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(status=Status.AVAILABLE), "device.status = 'available'"),
        (Filters(category=Category.TABLET), "device.category = 'tablet'"),
        (Filters(grade="B"), "device.grade = 'B'"),
        (Filters(grade=NO_GRADE), "device.grade IS NULL"),
        (Filters(batch_id=7), "device.batch_id = 7"),
        (Filters(location="Étagère A1"), "device.location = 'Étagère A1'"),
    ],
)
def test_each_filter_is_one_condition(filters: Filters, expected: str) -> None:
    assert _where(Search(filters)) == expected


def test_donors_are_matched_through_their_batches_and_structures_by_id() -> None:
    where = _where(Search(Filters(), donor_ids=(3, 4), structure_ids=(9,)))
    assert "device.batch_id IN (SELECT batch.id FROM batch WHERE batch.donor_id IN (3, 4))" in where
    assert "device.structure_id IN (9)" in where


def test_a_name_that_matches_nothing_finds_nothing() -> None:
    where = _where(Search(Filters(), donor_ids=(), structure_ids=()))
    assert where.count("WHERE 1!=1") == 2


def test_an_exact_search_reads_the_ids_found_and_a_word_search_the_words() -> None:
    assert _where(Search(Filters(q="PF-1"), exact_ids=(5, 8))) == "device.id IN (5, 8)"
    assert "LIKE '%pf-1%'" in _where(Search(Filters(q="PF-1")))


def _order(order: Order) -> str:
    return ", ".join(sql(c, postgresql.dialect()) for c in ordering(order))


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (Order(None), "device.id DESC"),
        (Order(SortKey.CODE), "device.code ASC NULLS LAST, device.id ASC"),
        (Order(SortKey.CODE, True), "device.code DESC NULLS FIRST, device.id DESC"),
        (
            Order(SortKey.BRAND),
            "device.brand ASC NULLS LAST, device.model ASC NULLS LAST, device.id ASC",
        ),
        (Order(SortKey.STATUS_SINCE, True), "device.status_since DESC NULLS FIRST, device.id DESC"),
        (Order(SortKey.LOCATION), "device.location ASC NULLS LAST, device.id ASC"),
    ],
)
def test_each_order_ends_with_the_row_id_so_pages_never_overlap(
    order: Order, expected: str
) -> None:
    assert _order(order) == expected


def test_statuses_sort_in_the_order_devices_go_through_them() -> None:
    said = _order(Order(SortKey.STATUS))
    assert said.startswith(
        "CASE WHEN (device.status = 'received') THEN 0 WHEN (device.status = 'labelled') THEN 1"
    )
    assert said.endswith("WHEN (device.status = 'lost') THEN 10 END ASC NULLS LAST, device.id ASC")


def test_the_ranks_are_spelt_with_constants_as_their_index_spells_them() -> None:
    for key in (SortKey.STATUS, SortKey.CATEGORY):
        compiled = inventory.SORT_COLUMNS[key][0].compile(dialect=postgresql.dialect())
        assert compiled.params == {}, key


def test_a_page_is_read_among_few_ids_by_primary_key_or_by_the_search() -> None:
    search, order = Search(Filters(q="lenovo")), Order(SortKey.GRADE)
    ids = sql(inventory.ids_select(search))
    assert ids == (
        "SELECT device.id FROM device WHERE lower((coalesce(device.brand, '') || ' ') || "
        "coalesce(device.model, '')) LIKE '%lenovo%' ESCAPE '/' "
        f"LIMIT {inventory.COUNT_CAP + 1} OFFSET 0"
    )
    among = sql(inventory.rows_select([4, 9], order, Window(2, 25)))
    assert among.startswith("WITH found AS MATERIALIZED (SELECT device.id AS id, device.code")
    assert "FROM device WHERE device.id IN (4, 9))" in among and "LIKE" not in among
    assert among.endswith(
        "FROM found ORDER BY found.grade ASC NULLS LAST, found.id ASC LIMIT 25 OFFSET 25"
    )
    many = sql(inventory.page_select(search, Order(), Window(300, 50)))
    assert "LIKE '%lenovo%'" in many and many.endswith(
        "ORDER BY device.id DESC LIMIT 50 OFFSET 14950"
    )


def test_the_counts_and_exports_stop_one_past_their_cap() -> None:
    search = Search(Filters(status=Status.LOST))
    assert f"LIMIT {inventory.EXPORT_CAP + 1} " in sql(
        inventory.count_select(search, inventory.EXPORT_CAP)
    )
    export = sql(inventory.export_select(search, Order()))
    assert "LEFT OUTER JOIN donor" in export and "LEFT OUTER JOIN structure" in export
    assert f"ORDER BY device.id DESC LIMIT {inventory.EXPORT_CAP + 1} " in export
