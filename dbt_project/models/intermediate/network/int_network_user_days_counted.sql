-- One row per product x person who used it over the network in the sizing period: the days they
-- used it. The sizing period is the last `analysis_window_days` (setting) of the FlexNet logs'
-- coverage, ending on the local date of the last network session (the logs may end long before
-- the as-of date: network renewals ended in 2023). A day counts as used when the person's time
-- on the product that day reaches the Flex grace period (var grace_seconds, flex-rules F5):
-- a day of checkouts under five minutes in all would have cost no tokens.
with session_days as (
    select * from {{ ref('int_network_session_days') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

coverage as (
    select
        min(usage_date) as first_date,
        max(usage_date) as last_date
    from session_days
),

window_days as (
    select
        coalesce(analysis_window_days, 365) as analysis_window_days,
        1 - coalesce(analysis_window_days, 365) as start_offset
    from context
),

bounds as (
    select
        coverage.first_date,
        coverage.last_date,
        window_days.analysis_window_days,
        {{ dbt.datediff('coverage.first_date', 'coverage.last_date', 'day') }}
        + 1 as coverage_days,
        {{ dbt.dateadd('day', 'window_days.start_offset', 'coverage.last_date') }} as window_first
    from coverage
    cross join window_days
    where coverage.last_date is not null
),

period as (
    select
        last_date as period_end,
        case
            when coverage_days > analysis_window_days
                then cast(window_first as date)
            else first_date
        end as period_start
    from bounds
),

user_product_days as (
    select
        session_days.product,
        session_days.user_key,
        session_days.usage_date,
        sum(session_days.seconds) as seconds
    from session_days
    inner join period
        on session_days.usage_date between period.period_start and period.period_end
    group by session_days.product, session_days.user_key, session_days.usage_date
),

final as (
    select
        user_product_days.product,
        user_product_days.user_key,
        cast(sum(
            case when user_product_days.seconds >= {{ var('grace_seconds', 300) }} then 1 else 0 end
        ) as {{ dbt.type_bigint() }}) as days_used,
        cast(sum(user_product_days.seconds) as {{ dbt.type_bigint() }}) as seconds_used,
        max(period.period_start) as period_start,
        max(period.period_end) as period_end,
        cast(
            max({{ dbt.datediff('period.period_start', 'period.period_end', 'day') }}) + 1
            as {{ dbt.type_bigint() }}
        ) as observed_days
    from user_product_days
    cross join period
    group by user_product_days.product, user_product_days.user_key
)

select * from final
