-- One row per product x stretch of time in which the number of network licences in use did not
-- change, cut at local midnights: `in_use` licences for `seconds` seconds on local date
-- `usage_date`. The stretches of a day cover it exactly (idle stretches have in_use = 0). A
-- checkout counts its `licenses` from its start to its end; checkouts that start and end at the
-- same instant change nothing.
with sessions as (
    select * from {{ ref('int_network_sessions_resolved') }}
    where status = 'used' and ended_at > started_at
),

days as (
    select * from {{ ref('int_network_days_spanned') }}
),

deltas as (
    select
        product,
        {{ epoch_seconds('started_at') }} as at_epoch,
        licenses as delta
    from sessions
    union all
    select
        product,
        {{ epoch_seconds('ended_at') }} as at_epoch,
        -licenses as delta
    from sessions
    union all
    select
        product,
        day_start_epoch as at_epoch,
        0 as delta
    from days
    union all
    select
        product,
        day_end_epoch as at_epoch,
        0 as delta
    from days
),

points as (
    select
        product,
        at_epoch,
        sum(delta) as delta
    from deltas
    group by product, at_epoch
),

levels as (
    select
        product,
        at_epoch,
        sum(delta) over (
            partition by product order by at_epoch rows between unbounded preceding and current row
        ) as in_use,
        lead(at_epoch) over (partition by product order by at_epoch) as next_epoch
    from points
),

final as (
    select
        levels.product,
        days.usage_date,
        levels.at_epoch as from_epoch,
        levels.next_epoch as to_epoch,
        cast(levels.in_use as {{ dbt.type_bigint() }}) as in_use,
        levels.next_epoch - levels.at_epoch as seconds
    from levels
    inner join days
        on
            levels.product = days.product
            and levels.at_epoch >= days.day_start_epoch
            and levels.at_epoch < days.day_end_epoch
    where levels.next_epoch is not null
)

select * from final
