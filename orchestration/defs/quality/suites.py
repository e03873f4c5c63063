"""Running the quality checks: one Great Expectations suite per mart, on a DataFrame.

GX 1.x validates DuckDB only through its pandas datasource (stack-notes): each mart's needed
columns are read into a DataFrame and validated in an ephemeral context. GX is imported here,
lazily (about 3 s), with its usage statistics off.

A mart of more than ``GX_MAX_ROWS`` rows (the session-level marts: fct_sessions,
fct_usage_windows, fct_daily_usage, ...) is not pulled into pandas: the same expectations are
computed over every row by DuckDB SQL aggregates (``checked_by = 'duckdb'``), with GX's semantics
(nulls and NaN ignored by the value checks, rows whose key columns are all null ignored by the
compound key) and the same result fields, so the summaries read the same. Measured at 20,000
people (docs/billing.md): the GX path took 36 s and 5.9 GB for these marts.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import Any

import duckdb

from orchestration.defs.quality import history
from orchestration.defs.quality.rules import (
    ACCEPTED_VALUES,
    FRESHNESS,
    KEYS,
    NON_NEGATIVE,
    ROW_VOLUME,
    SESSIONS_FRESH,
    TOKEN_EQUALITY,
    TOKENS_MATCH,
    QualityPlan,
)

log = logging.getLogger(__name__)

MARTS_SCHEMA = "marts"
FRESH_EPOCH = "__newest_epoch"
ROW_MARKER = "__row"
# marts with more rows than this are checked by DuckDB SQL instead of GX on a DataFrame
GX_MAX_ROWS = 1_000_000
PARTIAL_UNEXPECTED = 20  # examples kept per failed expectation, as GX's SUMMARY format does
_FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")


@dataclass
class CheckOutcome:
    """The result of one check: on which asset, whether it passed, whether it blocks."""

    asset: str
    check: str
    passed: bool
    blocking: bool
    summary: str
    failing_rows: int | None = None
    checked_by: str = "gx"
    details: list[dict[str, Any]] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        if self.passed:
            return "passed"
        return "failed" if self.blocking else "warned"


@dataclass(frozen=True)
class QualitySettings:
    freshness_limit_hours: float = 72
    volume_band: float = 0.5
    volume_history_runs: int = 7


@dataclass
class _Expectation:
    check: str
    kind: str  # a key of _EXPECTATION_TYPES
    columns: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)
    # what the summary says about it
    note: dict[str, Any] = field(default_factory=dict)


_EXPECTATION_TYPES = {
    "unique": "ExpectColumnValuesToBeUnique",
    "compound_unique": "ExpectCompoundColumnsToBeUnique",
    "not_null": "ExpectColumnValuesToNotBeNull",
    "in_set": "ExpectColumnValuesToBeInSet",
    "min_zero": "ExpectColumnValuesToBeBetween",
    "row_count": "ExpectTableRowCountToBeBetween",
    "max_at_least": "ExpectColumnMaxToBeBetween",
    "sum_equals": "ExpectColumnSumToBeBetween",
}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _mart_columns(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    rows = con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = ? order by table_name, ordinal_position",
        [MARTS_SCHEMA],
    ).fetchall()
    tables: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, {})[column] = data_type
    return tables


def _row_count(con: duckdb.DuckDBPyConnection, mart: str) -> int:
    return int(con.execute(f"select count(*) from {MARTS_SCHEMA}.{_quote(mart)}").fetchone()[0])


def _gx() -> ModuleType:
    """great_expectations, imported on first use (3 s), usage statistics off."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx

    return gx


def _gx_context(gx: ModuleType) -> Any:
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.enable_analytics(False)
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _plan_expectations(
    plan: QualityPlan,
    mart: str,
    *,
    present: dict[str, str],
    settings: QualitySettings,
    as_of: datetime,
    earlier: list[int],
    windows_tokens: float | None,
) -> tuple[list[_Expectation], dict[str, list[str]]]:
    """The expectations of one mart's checks, and per check what cannot be checked (missing
    columns), as messages."""
    rules = plan.marts[mart]
    checks = {check.name for check in plan.checks_of(mart)}
    expectations: list[_Expectation] = []
    missing: dict[str, list[str]] = {}

    def want(check: str, kind: str, columns: tuple[str, ...], **options: Any) -> None:
        absent = [c for c in columns if c not in present and c != FRESH_EPOCH]
        for column in absent:
            message = f"column {column} not found in marts.{mart}"
            if message not in missing.setdefault(check, []):
                missing[check].append(message)
        if absent:
            return
        note = options.pop("note", {})
        expectations.append(_Expectation(check, kind, columns, options, note))

    if KEYS in checks:
        for column in rules.unique:
            want(KEYS, "unique", (column,))
        for combination in rules.unique_combinations:
            want(KEYS, "compound_unique", combination)
        for column in rules.not_null:
            want(KEYS, "not_null", (column,))
    if ACCEPTED_VALUES in checks:
        for column, values in rules.accepted_values:
            want(ACCEPTED_VALUES, "in_set", (column,), value_set=list(values))
    if NON_NEGATIVE in checks:
        for column in rules.non_negative:
            want(NON_NEGATIVE, "min_zero", (column,), min_value=0)
    if ROW_VOLUME in checks and earlier:
        median = history.median_of(earlier) or 0.0
        low = math.ceil(median * (1 - settings.volume_band))
        high = math.floor(median * (1 + settings.volume_band))
        want(
            ROW_VOLUME,
            "row_count",
            (),
            min_value=max(low, 0),
            max_value=high,
            note={"median": median, "runs": len(earlier)},
        )
    if SESSIONS_FRESH in checks:
        column = FRESHNESS[mart]
        oldest_allowed = as_of.timestamp() - settings.freshness_limit_hours * 3600
        if column in present:
            want(SESSIONS_FRESH, "max_at_least", (FRESH_EPOCH,), min_value=oldest_allowed)
        else:
            missing.setdefault(SESSIONS_FRESH, []).append(
                f"column {column} not found in marts.{mart}"
            )
    if TOKENS_MATCH in checks:
        (_, column), (windows, windows_column) = TOKEN_EQUALITY
        if windows_tokens is None:
            missing.setdefault(TOKENS_MATCH, []).append(
                f"column {windows_column} not found in marts.{windows}"
            )
            return expectations, missing
        want(
            TOKENS_MATCH,
            "sum_equals",
            (column,),
            min_value=windows_tokens - 1e-6,
            max_value=windows_tokens + 1e-6,
            note={"expected": windows_tokens},
        )
    return expectations, missing


def _frame_columns(mart: str, expectations: Iterable[_Expectation]) -> dict[str, str]:
    """The SQL expression of every column the expectations need (numbers as double)."""
    selected: dict[str, str] = {}
    for expectation in expectations:
        for column in expectation.columns:
            if column == FRESH_EPOCH:
                selected[column] = f"cast(epoch({_quote(FRESHNESS[mart])}) as double)"
            elif expectation.kind in ("min_zero", "sum_equals"):
                selected[column] = f"try_cast({_quote(column)} as double)"
            else:
                selected.setdefault(column, _quote(column))
    return selected


def _frame_sql(mart: str, expectations: Iterable[_Expectation]) -> str:
    """The columns the expectations need (numbers as double), or one marker column."""
    selected = [
        expression if expression == _quote(name) else f"{expression} as {_quote(name)}"
        for name, expression in _frame_columns(mart, expectations).items()
    ]
    columns = ", ".join(selected) or f"1 as {ROW_MARKER}"
    return f"select {columns} from {MARTS_SCHEMA}.{_quote(mart)}"


def _number(value: Any) -> str:
    """1,000,000 / 51.5: thousands separated, decimals only when there are any."""
    number = float(value)
    return f"{number:,.0f}" if number.is_integer() else f"{number:,.1f}"


def _n(count: object, word: str) -> str:
    """`1 null value`, `3 null values`."""
    return f"{count} {word}{'' if str(count) == '1' else 's'}"


def _describe_failure(expectation: _Expectation, result: dict[str, Any]) -> str:
    if result.get("exception") or result.get("error"):
        problem = result.get("exception") or result.get("error")
        return f"{expectation.kind} on {', '.join(expectation.columns)} not evaluated: {problem}"
    count = result.get("unexpected_count")
    examples = result.get("partial_unexpected_list") or []
    example = f" (e.g. {examples[0]!r})" if examples else ""
    column = ", ".join(expectation.columns)
    observed = result.get("observed_value")
    match expectation.kind:
        case "unique":
            return f"{column}: {_n(count, 'row')} sharing a value with another row{example}"
        case "compound_unique":
            return f"({column}): {_n(count, 'row')} sharing a combination with another row"
        case "not_null":
            return f"{column}: {_n(count, 'null value')}"
        case "in_set":
            allowed = ", ".join(map(str, expectation.options["value_set"]))
            return f"{column}: {_n(count, 'value')} outside [{allowed}]{example}"
        case "min_zero":
            return f"{column}: {_n(count, 'negative value')}{example}"
        case "row_count":
            note = expectation.note
            return (
                f"{_number(observed)} rows, outside {_number(expectation.options['min_value'])}.."
                f"{_number(expectation.options['max_value'])} (median {_number(note['median'])} "
                f"of {note['runs']} earlier runs)"
            )
        case "max_at_least":
            return "no row to judge freshness" if observed is None else ""
        case "sum_equals":
            windows, windows_column = TOKEN_EQUALITY[1]
            return (
                f"{column} sums to {_number(observed)}, {windows}.{windows_column} "
                f"to {_number(expectation.note['expected'])}"
            )
    return f"{expectation.kind} on {column} failed"


def _fresh_summary(
    passed: bool, observed: float | None, as_of: datetime, limit: float, column: str
) -> str:
    if observed is None:
        return f"no {column} at all: nothing newer than {limit:g} h before the as-of"
    hours = (as_of.timestamp() - observed) / 3600
    verdict = "within" if passed else "beyond"
    return f"newest {column} is {hours:.1f} h before the as-of, {verdict} the {limit:g} h limit"


def _validate(
    context: Any, gx: ModuleType, mart: str, expectations: list[_Expectation], frame: Any
) -> list[tuple[_Expectation, bool, dict[str, Any]]]:
    """(expectation, success, result dict) for every expectation, in order."""
    source = context.data_sources.add_pandas(f"flexlens_{mart}")
    asset = source.add_dataframe_asset(name=mart)
    batch = asset.add_batch_definition_whole_dataframe(f"{mart}_all")
    suite = context.suites.add(gx.ExpectationSuite(name=f"{mart}_suite"))
    for index, expectation in enumerate(expectations):
        cls = getattr(gx.expectations, _EXPECTATION_TYPES[expectation.kind])
        arguments = dict(expectation.options)
        if expectation.kind == "compound_unique":
            arguments["column_list"] = list(expectation.columns)
        elif expectation.columns:
            arguments["column"] = expectation.columns[0]
        if expectation.kind in ("unique", "in_set", "min_zero", "not_null"):
            arguments["result_format"] = {"result_format": "SUMMARY"}
        suite.add_expectation(cls(**arguments, meta={"index": index}))
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(data=batch, suite=suite, name=f"{mart}_validation")
    )
    result = validation.run(batch_parameters={"dataframe": frame})
    by_index: dict[int, tuple[bool, dict[str, Any]]] = {}
    for item in result.results:
        index = int(item.expectation_config.meta["index"])
        details = dict(item.result or {})
        message = _exception_message(item.exception_info or {})
        if message:
            details["exception"] = message
        by_index[index] = (bool(item.success), details)
    return [
        (expectation, *by_index.get(i, (False, {"error": "not evaluated"})))
        for i, expectation in enumerate(expectations)
    ]


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _evaluate_in_duckdb(
    con: duckdb.DuckDBPyConnection,
    mart: str,
    expectations: list[_Expectation],
    present: dict[str, str],
) -> list[tuple[_Expectation, bool, dict[str, Any]]]:
    """(expectation, success, result dict) for every expectation, computed over every row of the
    mart by DuckDB, as GX computes them on a DataFrame of the same columns (_frame_sql): a value
    check ignores nulls (NaN counts as null in a float column), a row fails `unique` when its
    non-null value occurs more than once, `compound_unique` when its combination does (rows whose
    columns are all null are ignored). One scan answers the row-wise checks; each key check
    groups its column(s) once. Examples are the first failing values in table order."""
    table = f"{MARTS_SCHEMA}.{_quote(mart)}"
    columns = _frame_columns(mart, expectations)

    def value(column: str) -> str:
        return columns[column]

    def is_missing(column: str) -> str:
        expression = value(column)
        is_float = expression.startswith(("try_cast(", "cast(")) or (
            present.get(column, "").upper() in _FLOAT_TYPES
        )
        return (
            f"({expression} is null or isnan({expression}))"
            if is_float
            else (f"{expression} is null")
        )

    # the failing-row condition of each row-wise check, and the aggregate of each other one
    failing: dict[int, str] = {}
    aggregates: dict[int, str] = {}
    for index, expectation in enumerate(expectations):
        column = expectation.columns[0] if expectation.columns else ""
        match expectation.kind:
            case "not_null":
                failing[index] = is_missing(column)
            case "in_set":
                values = ", ".join(_literal(v) for v in expectation.options["value_set"])
                outside = f"{value(column)} not in ({values})" if values else "true"
                failing[index] = f"not {is_missing(column)} and {outside}"
            case "min_zero":
                failing[index] = f"not {is_missing(column)} and {value(column)} < 0"
            case "row_count":
                aggregates[index] = "count(*)"
            case "max_at_least":
                aggregates[index] = f"max({value(column)}) filter (where not {is_missing(column)})"
            case "sum_equals":
                aggregates[index] = (
                    f"coalesce(sum({value(column)}) filter (where not {is_missing(column)}), 0)"
                )
    scanned = [f"count(*) filter (where {condition})" for condition in failing.values()]
    scanned += list(aggregates.values())
    row = con.execute(f"select count(*), {', '.join(scanned) or '0'} from {table}").fetchone()
    element_count = int(row[0])
    found = dict(zip([*failing, *aggregates], row[1:], strict=True))

    def examples(condition: str, column: str) -> list[Any]:
        rows = con.execute(
            f"select {value(column)} from {table} where {condition} "
            f"order by rowid limit {PARTIAL_UNEXPECTED}"
        ).fetchall()
        return [first for (first,) in rows]

    results: list[tuple[_Expectation, bool, dict[str, Any]]] = []
    for index, expectation in enumerate(expectations):
        kind, options = expectation.kind, expectation.options
        column = expectation.columns[0] if expectation.columns else ""
        if kind in ("unique", "compound_unique"):
            grouped = ", ".join(value(c) for c in expectation.columns)
            ignored = " and ".join(is_missing(c) for c in expectation.columns)
            repeated = (
                f"select {grouped}, count(*) as n from {table} where not ({ignored}) "
                f"group by all having count(*) > 1"
            )
            unexpected = int(
                con.execute(f"select coalesce(sum(n), 0) from ({repeated})").fetchone()[0]
            )
            result: dict[str, Any] = {
                "element_count": element_count,
                "unexpected_count": unexpected,
            }
            if kind == "unique":
                result["partial_unexpected_list"] = (
                    examples(
                        f"not {is_missing(column)} and {value(column)} in "
                        f"(select #1 from ({repeated}))",
                        column,
                    )
                    if unexpected
                    else []
                )
            results.append((expectation, unexpected == 0, result))
        elif index in failing:
            unexpected = int(found[index])
            result = {"element_count": element_count, "unexpected_count": unexpected}
            if kind != "not_null":
                result["partial_unexpected_list"] = (
                    examples(failing[index], column) if unexpected else []
                )
            results.append((expectation, unexpected == 0, result))
        else:
            observed = found[index]
            observed = None if observed is None else float(observed)
            low, high = options.get("min_value"), options.get("max_value")
            passed = observed is not None and (low is None or observed >= low)
            passed = passed and (high is None or observed <= high)
            if kind == "row_count":
                observed = int(observed) if observed is not None else None
            results.append((expectation, passed, {"observed_value": observed}))
    return results


def _exception_message(info: dict[str, Any]) -> str | None:
    """The first exception message in GX's exception_info (flat, or keyed by metric)."""
    candidates = [info, *(v for v in info.values() if isinstance(v, dict))]
    for candidate in candidates:
        if candidate.get("raised_exception") and candidate.get("exception_message"):
            return str(candidate["exception_message"]).strip().splitlines()[0]
    return None


def run_quality_checks(
    con: duckdb.DuckDBPyConnection,
    plan: QualityPlan,
    *,
    as_of: datetime,
    run_id: str,
    settings: QualitySettings,
    record_history: bool = True,
) -> list[CheckOutcome]:
    """Evaluate every planned check on the warehouse; record this run's row counts."""
    tables = _mart_columns(con)
    history.ensure_history(con)
    counts = {mart: _row_count(con, mart) for mart in plan.marts if mart in tables}
    earlier = {
        mart: history.earlier_counts(con, mart, as_of, settings.volume_history_runs)
        for mart in counts
    }
    windows_tokens: float | None = None
    (ledger, _), (windows, windows_column) = TOKEN_EQUALITY
    if windows in tables and windows_column in tables[windows]:
        windows_tokens = float(
            con.execute(
                f"select coalesce(sum({_quote(windows_column)}), 0) "
                f"from {MARTS_SCHEMA}.{_quote(windows)}"
            ).fetchone()[0]
        )
    outcomes: list[CheckOutcome] = []
    gx = context = None
    for mart in plan.marts:
        planned = plan.checks_of(mart)
        if not planned:
            continue
        if mart not in tables:
            for check in planned:
                outcomes.append(
                    CheckOutcome(
                        mart, check.name, False, check.blocking, f"table marts.{mart} not found"
                    )
                )
            continue
        expectations, missing = _plan_expectations(
            plan,
            mart,
            present=tables[mart],
            settings=settings,
            as_of=as_of,
            earlier=earlier.get(mart, []),
            windows_tokens=windows_tokens,
        )
        results: list[tuple[_Expectation, bool, dict[str, Any]]] = []
        checked_by = "duckdb" if counts[mart] > GX_MAX_ROWS else "gx"
        if expectations:
            try:
                if checked_by == "duckdb":
                    results = _evaluate_in_duckdb(con, mart, expectations, tables[mart])
                else:
                    if gx is None:
                        gx = _gx()
                        context = _gx_context(gx)
                    frame = con.execute(_frame_sql(mart, expectations)).df()
                    results = _validate(context, gx, mart, expectations, frame)
            except Exception as exc:  # one mart's error fails its checks, not the others'
                log.exception("quality checks of %s could not run", mart)
                error = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                results = [(e, False, {"error": error}) for e in expectations]
        for check in planned:
            outcomes.append(
                _outcome(
                    check.name,
                    mart,
                    check.blocking,
                    [r for r in results if r[0].check == check.name],
                    missing.get(check.name, []),
                    rows=counts[mart],
                    as_of=as_of,
                    settings=settings,
                    windows_tokens=windows_tokens if mart == ledger else None,
                    checked_by=checked_by,
                )
            )
    if record_history:
        history.record_counts(con, as_of=as_of, run_id=run_id, counts=counts)
    return outcomes


def _outcome(
    check: str,
    mart: str,
    blocking: bool,
    results: list[tuple],
    missing: list[str],
    *,
    rows: int,
    as_of: datetime,
    settings: QualitySettings,
    windows_tokens: float | None,
    checked_by: str = "gx",
) -> CheckOutcome:
    problems = list(missing)
    failing = 0
    details: list[dict[str, Any]] = []
    observed: Any = None
    for expectation, success, result in results:
        observed = result.get("observed_value", observed)
        details.append(
            {
                "expectation": _EXPECTATION_TYPES[expectation.kind],
                "columns": list(expectation.columns),
                "success": success,
                "unexpected_count": result.get("unexpected_count"),
                "observed_value": _plain(result.get("observed_value")),
            }
        )
        if not success:
            failing += int(result.get("unexpected_count") or 0)
            text = _describe_failure(expectation, result)
            if text:
                problems.append(text)
    passed = not problems and all(success for _, success, _ in results)
    if check == SESSIONS_FRESH and not missing:
        value = None if observed is None or _is_nan(observed) else float(observed)
        summary = _fresh_summary(
            passed, value, as_of, settings.freshness_limit_hours, FRESHNESS[mart]
        )
    elif check == ROW_VOLUME and not results:
        summary = f"{rows:,} rows; no earlier run to compare with"
    elif passed:
        summary = _passed_summary(check, results, rows, windows_tokens)
    else:
        summary = "; ".join(problems) or "failed"
    return CheckOutcome(
        asset=mart,
        check=check,
        passed=passed,
        blocking=blocking,
        summary=summary,
        failing_rows=failing if failing else None,
        checked_by=checked_by,
        details=details,
    )


def _passed_summary(
    check: str, results: list[tuple], rows: int, windows_tokens: float | None
) -> str:
    if check == ROW_VOLUME:
        note = results[0][0].note
        return f"{rows:,} rows; median {_number(note['median'])} of {note['runs']} earlier runs"
    if check == TOKENS_MATCH and windows_tokens is not None:
        return f"{_number(windows_tokens)} tokens on both sides"
    return f"{_n(len(results), 'expectation')} met on {_n(f'{rows:,}', 'row')}"


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _plain(value: Any) -> Any:
    """A JSON-friendly version of a GX observed value (numpy scalars become Python numbers)."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    try:
        return value.item()
    except AttributeError:
        return str(value)
