-- One row per product x local calendar day from the product's first to its last network
-- session (every day, used or not), with the day's start and end as epoch seconds. Days are the
-- organisation's time zone (the licence servers' wall clock), so a day of a clock change lasts
-- 23 or 25 hours.
with sessions as (
    select * from {{ ref('int_network_sessions_resolved') }}
    where status = 'used'
),

context as (
    select * from {{ ref('stg_run__context') }}
),

bounds as (
    select
        sessions.product,
        min({{ local_date('sessions.started_at', 'context.org_timezone') }}) as first_date,
        max({{ local_date('sessions.ended_at', 'context.org_timezone') }}) as last_date
    from sessions
    cross join context
    group by sessions.product
),

numbers as (
    {{ dbt.generate_series(var('network_max_days', 7320)) }}
),

days as (
    select
        bounds.product,
        cast({{ dbt.dateadd('day', 'numbers.generated_number - 1', 'bounds.first_date') }} as date) as usage_date
    from bounds
    cross join numbers
    where numbers.generated_number - 1 <= {{ dbt.datediff('bounds.first_date', 'bounds.last_date', 'day') }}
),

-- local midnights as wall-clock timestamps, then as instants in the organisation's zone
midnights as (
    select
        product,
        usage_date,
        cast(usage_date as {{ type_wallclock() }}) as day_start_local,
        cast(cast({{ dbt.dateadd('day', 1, 'usage_date') }} as date) as {{ type_wallclock() }}) as day_end_local
    from days
),

bounded as (
    select
        midnights.product,
        midnights.usage_date,
        {{ epoch_seconds(local_to_tstz('midnights.day_start_local', 'context.org_timezone')) }} as day_start_epoch,
        {{ epoch_seconds(local_to_tstz('midnights.day_end_local', 'context.org_timezone')) }} as day_end_epoch
    from midnights
    cross join context
),

final as (
    select
        product,
        usage_date,
        day_start_epoch,
        day_end_epoch,
        day_end_epoch - day_start_epoch as day_seconds
    from bounded
)

select * from final
