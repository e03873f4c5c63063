-- One row per product x local day (the servers' wall clock) from the product's first to its last
-- network session, plus any other day with a denial: the most licences in use at once, the
-- people who used it, the requests refused, and the hours at least one licence (and the whole
-- pool) was in use. Built from the FlexNet debug logs; the curve per number of licences is
-- rpt_network_concurrency_curve.
with segments as (
    select * from {{ ref('int_network_usage_segments') }}
),

session_days as (
    select * from {{ ref('int_network_session_days') }}
),

days as (
    select * from {{ ref('int_network_days_spanned') }}
),

denials as (
    select * from {{ ref('int_network_denials_resolved') }}
    where reject_reason is null and not is_after_as_of
),

pools as (
    select * from {{ ref('int_network_pools_sized') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

levels as (
    select
        segments.product,
        segments.usage_date,
        max(case when segments.seconds > 0 then segments.in_use else 0 end) as peak_in_use,
        sum(case when segments.in_use >= 1 then segments.seconds else 0 end) as seconds_in_use,
        sum(
            case
                when pools.pool_size is not null and segments.in_use >= pools.pool_size
                    then segments.seconds
                else 0
            end
        ) as seconds_at_pool
    from segments
    left join pools
        on segments.product = pools.product
    group by segments.product, segments.usage_date
),

usage as (
    select
        product,
        usage_date,
        count(distinct user_key) as distinct_users,
        count(distinct session_id) as sessions,
        count(distinct case when is_end_estimated then session_id end) as sessions_end_estimated
    from session_days
    group by product, usage_date
),

denied as (
    select
        denials.product,
        {{ local_date('denials.denied_at', 'context.org_timezone') }} as usage_date,
        count(*) as denials,
        count(distinct denials.user_key) as denied_users
    from denials
    cross join context
    group by denials.product, {{ local_date('denials.denied_at', 'context.org_timezone') }}
),

product_days as (
    select
        product,
        usage_date
    from days
    union
    select
        product,
        usage_date
    from denied
),

final as (
    select
        product_days.product,
        product_days.usage_date,
        cast(coalesce(levels.peak_in_use, 0) as {{ dbt.type_bigint() }}) as peak_in_use,
        cast(coalesce(usage.distinct_users, 0) as {{ dbt.type_bigint() }}) as distinct_users,
        cast(coalesce(denied.denials, 0) as {{ dbt.type_bigint() }}) as denials,
        cast(coalesce(denied.denied_users, 0) as {{ dbt.type_bigint() }}) as denied_users,
        cast(coalesce(levels.seconds_in_use, 0) / 3600.0 as decimal(18, 4)) as hours_in_use,
        pools.pool_size,
        pools.pool_source,
        -- the cast outside the case: a case with a null branch drops the scale on PostgreSQL
        cast(
            case
                when pools.pool_size is not null then coalesce(levels.seconds_at_pool, 0) / 3600.0
            end as decimal(18, 4)
        ) as hours_at_pool,
        cast(coalesce(usage.sessions, 0) as {{ dbt.type_bigint() }}) as sessions,
        cast(coalesce(usage.sessions_end_estimated, 0) as {{ dbt.type_bigint() }}) as sessions_end_estimated
    from product_days
    left join levels
        on
            product_days.product = levels.product
            and product_days.usage_date = levels.usage_date
    left join usage
        on
            product_days.product = usage.product
            and product_days.usage_date = usage.usage_date
    left join denied
        on
            product_days.product = denied.product
            and product_days.usage_date = denied.usage_date
    left join pools
        on product_days.product = pools.product
)

select * from final
