"""Autodesk Insights API (``/insights/v1``) -> the landing folder (``autodesk/``).

``client``: auth, asynchronous jobs, paging; ``http``: timeouts, retries and errors shared with
``connectors.graph``; ``extract``: the pulls (usage per day, exports); ``state``: the cursors in
``raw.extract_cursors``. No Dagster or dbt imports here.
"""
