"""The licence optimisation report: what a licence manager or finance reads, on one HTML page.

``build_page`` turns an exported run (exported.py) into a page model: headline figures, charts
(inline SVG, charts.py) and tables, section by section; ``render`` fills the Jinja template;
``write_report`` puts ``report.html`` into the run folder (a temporary file, then one rename).

Every number comes from the exported marts: sums and counts of their columns, never a
recomputation of what a mart already decides. A section whose mart is missing, or lacks a
column, says so instead (``MARTS`` lists what each mart must provide). The page loads nothing:
its Content-Security-Policy forbids every request, the charts are SVG and the fonts the
system's.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import jinja2

from orchestration.defs.report import sections
from orchestration.defs.report.exported import REPORT_FILE, ExportedRun
from orchestration.defs.report.model import MARTS, MartReader, Page, Section, day

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE = "report.html.j2"


def _all_products(marts: MartReader) -> list[str]:
    found: set[str] = set()
    for mart in (
        "fct_usage_windows",
        "rpt_user_product_utilisation",
        "rpt_network_concurrency",
    ):
        frame = marts.get(mart)
        if frame is not None:
            found |= {str(p) for p in frame["product"].dropna().unique()}
    return sorted(found)


def _section_or_notice(key: str, title: str, build: Callable[[], Section]) -> Section:
    """The section, or, when drawing it fails (marts changed under the report), the section's
    title with what went wrong, so one broken section never costs the whole page."""
    try:
        return build()
    except Exception as exc:  # reported on the page and in the log
        log.exception("report section %s could not be drawn", key)
        return Section(
            key=key,
            title=title,
            notices=[f"this section could not be drawn ({type(exc).__name__}: {exc})"],
        )


def _as_of_text(run: ExportedRun) -> tuple[str, date | None]:
    try:
        instant = datetime.fromisoformat(run.as_of)
    except ValueError:
        return run.as_of or "unknown", None
    utc = instant.astimezone(UTC)
    return f"{day(utc.date())} {utc:%H:%M} UTC", utc.date()


def build_page(run: ExportedRun, *, now: datetime | None = None) -> Page:
    """The page model of one exported run (reads the marts it needs, once each)."""
    marts = MartReader(run)
    currency = marts.currency()
    products = _all_products(marts)
    builders: list[tuple[str, str, Callable[[], Section]]] = [
        ("summary", "At a glance", lambda: sections.summary_section(marts, currency)),
        (
            "tokens",
            "Flex tokens: balance and forecast",
            lambda: sections.tokens_section(marts, currency),
        ),
        (
            "spend",
            "Flex spend by month",
            lambda: sections.spend_section(marts, currency, products),
        ),
        (
            "utilisation",
            "Who uses what, against break-even",
            lambda: sections.utilisation_section(marts, currency, products),
        ),
        (
            "recommendations",
            "Recommendations",
            lambda: sections.recommendations_section(marts, currency),
        ),
        (
            "reassignments",
            "Seat reassignments",
            lambda: sections.reassignments_section(marts, currency),
        ),
        ("leavers", "Leavers holding seats", lambda: sections.leavers_section(marts, currency)),
        (
            "network",
            "Network licences",
            lambda: sections.network_section(marts, currency, products),
        ),
        ("quality", "Data quality", lambda: sections.quality_section(marts)),
    ]
    built = [_section_or_notice(key, title, build) for key, title, build in builders]
    for mart in MARTS:  # every mart the page could use is tried, so the sources list is complete
        marts.get(mart)
    as_of_text, as_of_date = _as_of_text(run)
    facts = [("As of", as_of_text)]
    if run.written_at:
        facts.append(("Exported", _instant(run.written_at)))
    if run.run_id:
        facts.append(("Run", run.run_id[:8]))
    if currency:
        facts.append(("Currency", currency))
    if run.pii_mode != "plain":
        facts.append(("People", f"{run.pii_mode} (names and e-mails are pseudonyms)"))
    generated = (now or datetime.now(UTC)).astimezone(UTC)
    return Page(
        title="Licence optimisation report",
        as_of=day(as_of_date) if as_of_date else as_of_text,
        facts=facts,
        sections=built,
        sources=sections.sources_table(run, dict(run.missing)),
        missing=dict(sorted(run.missing.items())),
        generated_at=f"{day(generated.date())} {generated:%H:%M} UTC",
    )


def _instant(text: str) -> str:
    try:
        instant = datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        return text
    return f"{day(instant.date())} {instant:%H:%M} UTC"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(page: Page) -> str:
    """The page as one HTML document (charts inline, styles inline, nothing to load)."""
    return _environment().get_template(TEMPLATE).render(page=page)


def render_run(folder: Path, *, now: datetime | None = None) -> tuple[str, Page]:
    run = ExportedRun.open(folder)
    page = build_page(run, now=now)
    return render(page), page


def write_report(folder: Path, *, now: datetime | None = None) -> tuple[Path, Page]:
    """Render the run folder's report into ``<folder>/report.html`` (written whole, then
    renamed into place, so a reader never sees half a page)."""
    folder = Path(folder).resolve()
    html, page = render_run(folder, now=now)
    target = folder / REPORT_FILE
    partial = folder / f".{REPORT_FILE}.partial"
    partial.write_text(html, encoding="utf-8")
    os.replace(partial, target)
    return target, page
