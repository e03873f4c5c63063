"""The raw tables of the warehouse: what the file connectors write and dbt's sources read.

Every raw table lives in the ``raw`` schema. Source columns are text exactly as read (parsing
and casting happen in dbt staging, where a value that cannot be used becomes a quarantine row with
its reason). Every table also carries the lineage columns in ``LINEAGE_COLUMNS``.
"""

from __future__ import annotations

RAW_SCHEMA = "raw"

LINEAGE_COLUMNS: dict[str, str] = {
    "_source_file": "varchar",  # path of the landing file, relative to the landing folder
    # 1-based data row (CSV: line number after the header, i.e. record number: a quoted line
    # break does not start a new row, quarantined lines count; logs/JSONL: line; Parquet: row;
    # 0 = the file as a whole, in quarantine)
    "_source_row": "bigint",
    "_loaded_at": "timestamp with time zone",
}

# table name -> ordered source columns (all varchar)
RAW_TABLES: dict[str, tuple[str, ...]] = {
    # usage/ (workstation agent); the file column `user` is stored as `login`
    "agent_sessions": (
        "session_id",
        "login",
        "host",
        "product",
        "product_key",
        "started_at",
        "ended_at",
        "active_seconds",
        "licence_method",
    ),
    # directory/ (one file = one snapshot; AD CSV through the column map, or Graph JSON)
    "directory_people": (
        "snapshot_date",
        "directory_kind",  # active_directory | graph
        "object_id",
        "sam_account",
        "upn",
        "email",
        "display_name",
        "given_name",
        "surname",
        "department",
        "country",
        "office",
        "title",
        "manager",
        "enabled",
        "created_at",
        "last_logon_at",
        "account_expires_at",
        "leave_at",
    ),
    # autodesk/ Users export (seat assignments)
    "autodesk_assignments": (
        "email",
        "first_name",
        "last_name",
        "product",
        "access_option",
        "assigned_on",
        "unassigned_on",
        "team",
        "last_accessed",
        "hashed_autodesk_id",
        "contract_number",
        "subscription_id",
    ),
    # autodesk/ Token Usage export
    "autodesk_token_usage": (
        "day_used",
        "email",
        "first_name",
        "last_name",
        "product",
        "feature",
        "team",
        "tokens_used",
        "hashed_autodesk_id",
    ),
    # autodesk/ Subscriptions export
    "autodesk_subscriptions": (
        "subscription_id",
        "offering_name",
        "seat_quantity",
        "start_date",
        "end_date",
        "term",
        "contract_number",
    ),
    # tokens/ purchases
    "token_packs": (
        "order_id",
        "purchased_on",
        "tokens",
        "price_per_token",
        "currency",
        "expires_on",
    ),
    # reference/ overrides of the shipped seeds
    "reference_prices": ("product_or_collection", "annual_price", "currency", "effective_from"),
    "reference_token_rates": ("product", "tokens_per_day", "effective_from", "effective_to"),
    "reference_products": ("alias", "product"),
    "reference_collections": ("collection", "product"),
    # flexlm/ FlexNet debug logs (connectors/flexlm): one row per licence checkout (OUT..IN, or
    # closed by a restart / the end of the log, or opened at the start of the log); times are the
    # server's wall clock as written; _source_row = the OUT line (else the IN line)
    "flexlm_sessions": (
        "server",
        "feature",
        "feature_suffix",
        "feature_version",
        "user_name",
        "host",
        "licenses",
        "out_at",
        "in_at",
        "opened_by",  # out | start_of_log | restart
        "closed_by",  # in | restart | end_of_log
        "out_row",
        "in_row",
        "in_reason",
    ),
    # flexlm/ debug log lines that are not checkouts: denied | unsupported | server_start
    "flexlm_events": (
        "server",
        "event",
        "event_at",
        "feature",
        "feature_suffix",
        "feature_version",
        "user_name",
        "host",
        "licenses",
        "detail",
    ),
    # flexlm/ licence files: one row per INCREMENT/FEATURE line (licenses = the count as written)
    "flexlm_licences": (
        "server",
        "keyword",
        "feature",
        "feature_suffix",
        "vendor",
        "version",
        "expires",
        "licenses",
    ),
    # rows a connector could not turn into a raw row (unreadable line, unrecognised file, ...)
    "quarantine": ("source", "reason", "value", "record"),
}

# Bookkeeping tables (not dbt sources of business data).
LOADED_FILES_TABLE = "loaded_files"
# one row per landing file whose rows are in the raw tables (connectors/load.py)
LOADED_FILES_COLUMNS: dict[str, str] = {
    "source": "varchar",  # landing sub-folder
    "path": "varchar",  # relative to the landing folder, forward slashes (= _source_file)
    "sha256": "varchar",
    "size_bytes": "bigint",
    "rows_loaded": "bigint",
    "rows_quarantined": "bigint",
    "loaded_at": "timestamp with time zone",
}
RUN_CONTEXT_TABLE = "run_context"

# raw.run_context: one row describing the run being built (written at the start of each run);
# the settings dbt models need travel here as data, so changing them never forces a re-parse.
# Every column but run_id, as_of and org_timezone is the setting of the same name
# (orchestration/settings.py); stg_run__context types them for the models.
RUN_CONTEXT_COLUMNS: dict[str, str] = {
    "run_id": "varchar",
    "as_of": "varchar",  # ISO 8601 with offset
    "org_timezone": "varchar",
    "currency": "varchar",
    "token_price": "double",  # null = derive from the packs (flex-rules E5)
    "analysis_window_days": "integer",
    "inactivity_days": "integer",
    "new_starter_grace_days": "integer",
    "break_even_margin": "double",
    # Flex token forecast (docs/tokens.md)
    "token_burn_window_days": "integer",
    "token_top_up_lead_days": "integer",
    "token_horizon_days": "integer",
    "token_horizon_date": "date",  # null = as-of date + token_horizon_days
    "token_pack_sizes": "varchar",  # the list as DuckDB writes it, e.g. [500, 1000, 5000]
    "token_run_out_warning_days": "integer",
}
