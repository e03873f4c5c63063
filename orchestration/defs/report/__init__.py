"""The licence optimisation report: one self-contained HTML page per export (docs/report.md).

``exported.py`` reads a run folder's Parquet files, ``charts.py`` draws the charts as inline
SVG, ``page.py`` builds and writes ``report.html``; ``assets.py`` is the Dagster asset that runs
after the export. Every number on the page comes from the exported marts.
"""
