"""tokens/ (token pack purchases) and reference/ (prices, token rates, products, collections)."""

from __future__ import annotations

import pytest


def test_token_packs(landing_write, raw_load, raw_rows) -> None:
    landing_write(
        "tokens/packs.csv",
        "order_id;purchased_on;tokens;price_per_token;currency;expires_on\n"
        "PO-1;2025-04-01;10000;3,10;EUR;\n"
        "PO-2;2025-10-01;5000;3.00;USD;2026-12-31\n",
    )
    result = raw_load("tokens")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 0)
    assert [
        (r["order_id"], r["purchased_on"], r["tokens"], r["price_per_token"], r["currency"],
         r["expires_on"], r["_source_row"])
        for r in raw_rows("token_packs")
    ] == [
        ("PO-1", "2025-04-01", "10000", "3,10", "EUR", None, 1),
        ("PO-2", "2025-10-01", "5000", "3.00", "USD", "2026-12-31", 2),
    ]  # fmt: skip


def test_token_packs_without_tokens_column(landing_write, raw_load, raw_rows) -> None:
    landing_write("tokens/packs.csv", "order_id,purchased_on\nPO-1,2025-04-01\n")
    result = raw_load("tokens")
    assert (result.rows_loaded, result.rows_quarantined) == (0, 1)
    [q] = raw_rows("quarantine")
    assert (q["source"], q["reason"], q["value"], q["record"]) == (
        "tokens",
        "missing_required",
        "tokens",
        "PO-1,2025-04-01",
    )


@pytest.mark.parametrize(
    ("name", "content", "table", "expected"),
    [
        (
            "prices.csv",
            "product_or_collection,annual_price,currency,effective_from\nRevit,2500,EUR,2025-01-01\n",
            "reference_prices",
            {"product_or_collection": "Revit", "annual_price": "2500", "currency": "EUR",
             "effective_from": "2025-01-01"},
        ),
        (
            "Token Rates.csv",
            "product;tokens_per_day;effective_from;effective_to\nCivil 3D;10;2021-09-07;\n",
            "reference_token_rates",
            {"product": "Civil 3D", "tokens_per_day": "10", "effective_from": "2021-09-07",
             "effective_to": None},
        ),
        (
            "products.csv",
            "alias,product\nacad lt,AutoCAD LT\n",
            "reference_products",
            {"alias": "acad lt", "product": "AutoCAD LT"},
        ),
        (
            "collections.csv",
            "\ufeffcollection,product\nAEC Collection,Navisworks Manage\n",
            "reference_collections",
            {"collection": "AEC Collection", "product": "Navisworks Manage"},
        ),
    ],
)  # fmt: skip
def test_reference_file_by_name(landing_write, raw_load, raw_rows, name, content, table, expected):
    landing_write(f"reference/{name}", content)
    result = raw_load("reference")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)
    [row] = raw_rows(table)
    assert row == {**expected, "_source_file": f"reference/{name}", "_source_row": 1}


def test_reference_file_with_unknown_name(landing_write, raw_load, raw_rows) -> None:
    landing_write("reference/discounts.csv", "product,discount\nRevit,10\n")
    result = raw_load("reference")
    assert (result.files_loaded, result.rows_loaded, result.rows_quarantined) == (1, 0, 1)
    [q] = raw_rows("quarantine")
    assert (q["reason"], q["_source_row"], q["value"]) == (
        "bad_value",
        0,
        "unknown reference file 'discounts.csv'; expected one of prices.csv, token_rates.csv, "
        "products.csv, collections.csv",
    )


def test_reference_file_without_required_column(landing_write, raw_load, raw_rows) -> None:
    landing_write("reference/prices.csv", "product_or_collection,currency\nRevit,EUR\n")
    raw_load("reference")
    [q] = raw_rows("quarantine")
    assert (q["reason"], q["value"], q["_source_row"]) == ("missing_required", "annual_price", 1)
