{{ config(enabled=(target.type == 'duckdb' and var('billing_check_engines', false) | as_bool)) }}
-- A returned row is a window on which the two engines disagree: int_usage_windows_numpy (DuckDB,
-- numpy) and int_usage_windows_sql (the portable SQL twin, a view on DuckDB) must give the same
-- rows. Enabled with --vars '{billing_check_engines: true}' (the SQL twin is slow on big data).
with numpy_windows as (
    select * from {{ ref('int_usage_windows_numpy') }}
),

sql_windows as (
    select * from {{ ref('int_usage_windows_sql') }}
),

compared as (
    select
        coalesce(numpy_windows.user_key, sql_windows.user_key) as user_key,
        coalesce(numpy_windows.product, sql_windows.product) as product,
        coalesce(numpy_windows.window_start_epoch, sql_windows.window_start_epoch) as window_start_epoch,
        numpy_windows.window_start_epoch is null as missing_in_numpy,
        sql_windows.window_start_epoch is null as missing_in_sql,
        numpy_windows.window_end_epoch <> sql_windows.window_end_epoch
        or numpy_windows.window_index <> sql_windows.window_index
        or numpy_windows.opened_by <> sql_windows.opened_by
        or numpy_windows.is_grace <> sql_windows.is_grace
        or numpy_windows.sessions <> sql_windows.sessions
        or numpy_windows.hosts <> sql_windows.hosts
        or numpy_windows.open_seconds <> sql_windows.open_seconds
        or numpy_windows.sessions_without_active_seconds <> sql_windows.sessions_without_active_seconds
        or numpy_windows.is_identity_resolved <> sql_windows.is_identity_resolved
        or numpy_windows.has_session_open_at_as_of <> sql_windows.has_session_open_at_as_of
        or (numpy_windows.active_seconds is null) <> (sql_windows.active_seconds is null)
        or abs(numpy_windows.active_seconds - sql_windows.active_seconds) > 0.001 as differs
    from numpy_windows
    full outer join sql_windows
        on numpy_windows.user_key = sql_windows.user_key
        and numpy_windows.product = sql_windows.product
        and numpy_windows.window_start_epoch = sql_windows.window_start_epoch
)

select * from compared
where missing_in_numpy or missing_in_sql or differs
