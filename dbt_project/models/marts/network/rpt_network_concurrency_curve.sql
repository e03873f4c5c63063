-- One row per product x local day x n, for n = 1 up to the product's pool size (or its highest
-- peak, when that is higher or the pool size is unknown): the hours of that day during which at
-- least n licences were in use, and that as a share of the day. The time-weighted concurrency
-- curve of flex-rules E4: how often the n-th licence is needed at all.
with segments as (
    select * from {{ ref('int_network_usage_segments') }}
),

days as (
    select * from {{ ref('rpt_network_concurrency') }}
),

spans as (
    select * from {{ ref('int_network_days_spanned') }}
),

numbers as (
    {{ dbt.generate_series(var('network_max_licences', 10000)) }}
),

product_levels as (
    select
        product,
        max(greatest(coalesce(pool_size, 0), peak_in_use)) as max_n
    from days
    group by product
),

grid as (
    select
        days.product,
        days.usage_date,
        cast(numbers.generated_number as {{ dbt.type_bigint() }}) as n
    from days
    inner join product_levels
        on days.product = product_levels.product
    inner join numbers
        on product_levels.max_n >= numbers.generated_number
),

at_or_above as (
    select
        segments.product,
        segments.usage_date,
        cast(numbers.generated_number as {{ dbt.type_bigint() }}) as n,
        sum(segments.seconds) as seconds
    from segments
    inner join numbers
        on segments.in_use >= numbers.generated_number
    group by segments.product, segments.usage_date, numbers.generated_number
),

final as (
    select
        grid.product,
        grid.usage_date,
        grid.n,
        cast(coalesce(at_or_above.seconds, 0) / 3600.0 as decimal(18, 4)) as hours_at_or_above_n,
        -- the cast outside the case: a case with a null branch drops the scale on PostgreSQL
        cast(
            case
                when spans.day_seconds > 0
                    then cast(coalesce(at_or_above.seconds, 0) as decimal(18, 4)) / spans.day_seconds
            end as decimal(18, 6)
        ) as share_of_day
    from grid
    left join at_or_above
        on
            grid.product = at_or_above.product
            and grid.usage_date = at_or_above.usage_date
            and grid.n = at_or_above.n
    left join spans
        on
            grid.product = spans.product
            and grid.usage_date = spans.usage_date
)

select * from final
