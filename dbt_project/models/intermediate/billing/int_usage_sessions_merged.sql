{{ config(
    materialized=billing_sql_twin_materialization(),
    post_hook=fresh_statistics_hooks(),
) }}
-- One row per cleaned agent session, numbered into the usage interval it belongs to (flex-rules
-- F3/F5a): the sessions of one person and product, on any host and any version, that overlap or
-- touch form one interval. Times are whole epoch seconds (UTC).
-- Part of the portable SQL engine (on DuckDB a view: int_usage_windows_numpy does the work).
with sessions as (
    select * from {{ ref('fct_sessions') }}
),

sessions_in_seconds as (
    select
        session_id,
        user_key,
        product,
        host,
        login,
        is_identity_resolved,
        is_open_at_as_of,
        active_seconds,
        {{ epoch_seconds('started_at') }} as started_epoch,
        {{ epoch_seconds('ended_at') }} as ended_epoch
    from sessions
),

-- the latest end among the sessions of the same person and product that come before this one
with_previous_end as (
    select
        *,
        max(ended_epoch) over (
            partition by user_key, product
            order by started_epoch, ended_epoch, session_id
            rows between unbounded preceding and 1 preceding
        ) as previous_ended_epoch
    from sessions_in_seconds
),

-- a session starts a new interval when it starts after every earlier session has ended
-- (starting exactly when one ends = touching = the same interval)
flagged as (
    select
        *,
        case
            when previous_ended_epoch is null or started_epoch > previous_ended_epoch then 1
            else 0
        end as starts_interval
    from with_previous_end
),

numbered as (
    select
        *,
        sum(starts_interval) over (
            partition by user_key, product
            order by started_epoch, ended_epoch, session_id
            rows between unbounded preceding and current row
        ) as interval_number
    from flagged
),

final as (
    select
        session_id,
        user_key,
        product,
        cast(interval_number as {{ dbt.type_bigint() }}) as interval_number,
        host,
        login,
        is_identity_resolved,
        is_open_at_as_of,
        started_epoch,
        ended_epoch,
        ended_epoch - started_epoch as duration_seconds,
        active_seconds
    from numbered
)

select * from final
