"""Report: `report.html` in the run folder the export just wrote, so also in <exports>/latest.

Runs after the export (``exports/latest``): it reads only the exported Parquet files of that run,
never the warehouse, so the page shows exactly what BI tools read. The file is written whole and
renamed into place. Until it is, ``latest/`` (already switched to the new run) has no
``report.html``: a reader sees the new page a few seconds after the new data, never a mix.
"""

from pathlib import Path

import dagster as dg

from orchestration.defs.export.assets import EXPORT_KEY
from orchestration.defs.export.exports import LATEST
from orchestration.defs.report.exported import ExportNotFound, resolve_run_folder
from orchestration.defs.report.page import write_report
from orchestration.resources import FlexlensSettings

REPORT_HTML_KEY = dg.AssetKey(["exports", "report"])


@dg.asset(
    key=REPORT_HTML_KEY,
    group_name="export",
    deps=[EXPORT_KEY],
    description=(
        "The licence optimisation report: one self-contained HTML page (headline figures, inline "
        "SVG charts, tables to act on) written as report.html into the run's export folder, "
        "i.e. <exports>/latest/report.html. Reads only the exported Parquet files."
    ),
)
def exports_report(
    context: dg.AssetExecutionContext, flexlens: FlexlensSettings
) -> dg.MaterializeResult:
    settings = flexlens.load()
    exports_dir = Path(settings.exports_dir)
    try:
        folder = resolve_run_folder(exports_dir, context.run.run_id)
    except ExportNotFound:
        # the report alone (e.g. from the UI): the export `latest` points at
        folder = resolve_run_folder(exports_dir)
        context.log.info(f"this run exported nothing: reporting on {folder.name}")
    path, page = write_report(folder)
    charts = sum(len(section.charts) for section in page.sections)
    missing = ", ".join(page.missing) or "none"
    context.log.info(
        f"report written to {exports_dir / LATEST / path.name} ({charts} charts"
        + (f"; missing marts: {missing})" if page.missing else ")")
    )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "charts": charts,
            "missing_marts": missing,
        }
    )
