"""The report of a generated organisation, written by the daily run and opened in Chromium.

One real run of the whole job (module-scoped: it costs minutes) on the small sample
organisation, then the page it wrote is opened in headless Chromium with every request routed:
anything but the file itself fails the test.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from orchestration import cli
from orchestration.settings import Settings

AS_OF = "2026-10-31T18:00:00+00:00"
ALWAYS_CHARTED = {
    "chart-token-balance",
    "chart-spend-product",
    "chart-spend-department",
    "chart-break-even",
    "chart-top-consumers",
}
NETWORK_CHARTS = {"chart-network-concurrency", "chart-network-curve"}


@pytest.fixture(scope="module")
def daily_run(small_org: Path, tmp_path_factory: pytest.TempPathFactory):
    """The daily job run once on the small sample organisation: settings, exit code, output."""
    tmp = tmp_path_factory.mktemp("report_run")
    mp = pytest.MonkeyPatch()
    mp.setenv("DAGSTER_HOME", str(tmp / "dagster_home"))
    settings = Settings(
        timezone="Europe/London",
        landing_dir=small_org,
        warehouse=tmp / "warehouse" / "flexlens.duckdb",
        exports_dir=tmp / "exports",
    )
    out = io.StringIO()
    code = cli.run_pipeline(settings, as_of=AS_OF, out=out)
    yield settings, code, out.getvalue()
    mp.undo()


def _latest(settings: Settings) -> Path:
    return Path(settings.exports_dir) / "latest"


def test_the_daily_run_writes_the_report_beside_the_exports(daily_run) -> None:
    settings, code, output = daily_run
    assert code == 0, output
    latest = _latest(settings)
    report = latest / "report.html"
    assert report.is_file()
    # written into the run folder that latest points at, after the export
    assert (latest.resolve() / "report.html").samefile(report)
    assert "  - report ...\n    report written to " in output
    assert output.index("  - export ...") < output.index("  - report ...")
    assert f"report:     {report}  (flexlens report --open)" in output
    html = report.read_text(encoding="utf-8")
    assert 'id="missing-marts"' not in html, "a mart of the sample organisation is missing"


def _requests_and_errors(browser: Any, url: str, tmp_path: Path) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []
    requested: list[str] = []
    errors: list[str] = []

    def route(request_route: Any) -> None:
        if request_route.request.url == url:
            request_route.continue_()
        else:
            blocked.append(request_route.request.url)
            request_route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("request", lambda request: requested.append(request.url))
    page.on(
        "console",
        lambda message: (
            errors.append(f"console {message.type}: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.goto(url, wait_until="load")
    charts = page.eval_on_selector_all(
        "figure.chart",
        """figures => figures.map(figure => {
            const svgs = figure.querySelectorAll('svg');
            const box = svgs.length ? svgs[0].getBoundingClientRect() : {width: 0, height: 0};
            return {
                id: figure.id,
                svgs: svgs.length,
                marks: svgs.length ? svgs[0].querySelectorAll('path, rect, line, text').length : 0,
                width: box.width,
                height: box.height,
            };
        })""",
    )
    headline = page.eval_on_selector(
        "#headline-saving",
        "card => ({value: card.dataset.value, shown: card.querySelector('.value').textContent})",
    )
    screenshot = tmp_path / "report.png"
    page.screenshot(path=str(screenshot), full_page=True)
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    (tmp_path / "report.pdf").write_bytes(pdf)
    context.close()
    return {
        "blocked": blocked,
        "requested": requested,
        "errors": errors,
        "charts": charts,
        "headline": headline,
        "screenshot": screenshot,
        "pdf": pdf,
    }


def test_the_report_opens_offline_in_chromium_with_every_chart(
    daily_run, browser: Any, tmp_path: Path
) -> None:
    settings, code, output = daily_run
    assert code == 0, output
    latest = _latest(settings)
    url = (latest / "report.html").resolve().as_uri()
    seen = _requests_and_errors(browser, url, tmp_path)

    assert seen["errors"] == []
    assert seen["blocked"] == []
    assert seen["requested"] == [url]

    charts = {chart["id"]: chart for chart in seen["charts"]}
    expected = set(ALWAYS_CHARTED)
    if pq.read_metadata(latest / "rpt_network_concurrency.parquet").num_rows:
        expected |= NETWORK_CHARTS
    assert set(charts) == expected
    for chart in charts.values():
        assert chart["svgs"] == 1, chart
        assert chart["marks"] > 20, chart
        assert chart["width"] > 300 and chart["height"] > 100, chart

    # the headline saving is the sum of annual_saving in the exported Parquet, to the cent
    table = pq.read_table(latest / "rpt_licence_recommendations.parquet")
    savings = [value for value in table.column("annual_saving").to_pylist() if value is not None]
    total = sum((Decimal(str(value)) for value in savings), Decimal(0)).quantize(Decimal("0.01"))
    currency = table.column("currency").to_pylist()[0]
    assert total > 0
    assert seen["headline"]["value"] == str(total)
    assert seen["headline"]["shown"] == f"{total:,.0f} {currency}"

    assert seen["screenshot"].stat().st_size > 50_000
    assert seen["pdf"].startswith(b"%PDF")
    print(f"screenshot: {seen['screenshot']}")
