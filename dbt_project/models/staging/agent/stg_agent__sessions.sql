{#- A table, not a view like the other staging models: its tests and int_sessions_resolved each
    read it, and as a view every read parsed every agent row again (about 60 s at 9M rows). -#}
{{ config(materialized='table') }}
-- One row per agent log row, typed. Rows that cannot be used keep a `reject_reason`
-- (and the offending value) instead of disappearing; int_sessions_resolved filters on it.
with sessions as (
    select * from {{ source('raw', 'agent_sessions') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

cleaned as (
    select
        {{ clean_text('sessions.session_id') }} as session_id_raw,
        lower({{ clean_text('sessions.login') }}) as login,
        {{ clean_text('sessions.host') }} as host,
        {{ clean_text('sessions.product') }} as product_raw,
        upper({{ clean_text('sessions.product_key') }}) as product_key,
        {{ clean_text('sessions.started_at') }} as started_at_raw,
        {{ clean_text('sessions.ended_at') }} as ended_at_raw,
        {{ clean_text('sessions.active_seconds') }} as active_seconds_raw,
        lower({{ clean_text('sessions.licence_method') }}) as licence_method,
        sessions._source_file as source_file,
        sessions._source_row as source_row,
        context.org_timezone
    from sessions
    cross join context
),

typed as (
    select
        *,
        {{ parse_tstz('started_at_raw', 'org_timezone') }} as started_at,
        {{ parse_tstz('ended_at_raw', 'org_timezone') }} as ended_at,
        cast({{ safe_cast('active_seconds_raw', type_double()) }} as {{ dbt.type_bigint() }}) as active_seconds
    from cleaned
),

identified as (
    select
        *,
        coalesce(
            session_id_raw,
            {{ dbt.hash(dbt.concat([
                "coalesce(login, '')", "'|'", "coalesce(host, '')", "'|'",
                "coalesce(product_raw, '')", "'|'", "coalesce(started_at_raw, '')", "'|'",
                "coalesce(ended_at_raw, '')"
            ])) }}
        ) as session_id
    from typed
),

validated as (
    select
        *,
        case
            when login is null then 'missing_required'
            when host is null then 'missing_required'
            when product_raw is null and product_key is null then 'missing_required'
            when started_at_raw is null then 'missing_required'
            when started_at is null then 'unparseable_timestamp'
            when ended_at_raw is not null and ended_at is null then 'unparseable_timestamp'
            when ended_at < started_at then 'end_before_start'
            when active_seconds_raw is not null and (active_seconds is null or active_seconds < 0)
                then 'bad_value'
            when licence_method is not null and licence_method not in ('flex', 'named', 'network')
                then 'bad_value'
        end as reject_reason,
        case
            when login is null then 'user'
            when host is null then 'host'
            when product_raw is null and product_key is null then 'product'
            when started_at_raw is null then 'started_at'
            when started_at is null then started_at_raw
            when ended_at_raw is not null and ended_at is null then ended_at_raw
            when ended_at < started_at then {{ dbt.concat(["started_at_raw", "' > '", "ended_at_raw"]) }}
            when active_seconds_raw is not null and (active_seconds is null or active_seconds < 0)
                then {{ dbt.concat(["'active_seconds='", "active_seconds_raw"]) }}
            when licence_method is not null and licence_method not in ('flex', 'named', 'network')
                then {{ dbt.concat(["'licence_method='", "licence_method"]) }}
        end as reject_value
    from identified
),

final as (
    select
        session_id,
        session_id_raw is not null as has_agent_session_id,
        login,
        host,
        product_raw,
        product_key,
        started_at,
        ended_at,
        active_seconds,
        licence_method,
        started_at_raw,
        ended_at_raw,
        reject_reason,
        reject_value,
        source_file,
        source_row
    from validated
)

select * from final
