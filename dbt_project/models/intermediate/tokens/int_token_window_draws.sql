-- One row per charged window x account it drew tokens from (a pack, or the overdraft account for
-- the part no pack could serve). On one UTC day every window sees the same usable packs, so the
-- day's windows, in the order they started, take the day's draws in consumption order: pack by
-- pack, the overdraft last. A window spans accounts where a pack ran dry in its middle.
with windows as (
    select * from {{ ref('fct_usage_windows') }}
),

draws as (
    select * from {{ ref('int_token_draws_daily') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

charged as (
    select
        windows.window_id,
        windows.user_key,
        windows.product,
        windows.window_start_at,
        windows.usage_date,
        cast(windows.tokens_charged as {{ dbt.type_bigint() }}) as tokens_charged
    from windows
    cross join context
    where
        windows.charge_status = 'charged'
        and windows.tokens_charged > 0
        and windows.usage_date <= context.as_of_date
),

-- each window's tokens as a range [range_start, range_end) of the day's demand
window_ranges as (
    select
        *,
        sum(tokens_charged) over (
            partition by usage_date
            order by window_start_at, window_id
            rows between unbounded preceding and current row
        ) - tokens_charged as range_start,
        sum(tokens_charged) over (
            partition by usage_date
            order by window_start_at, window_id
            rows between unbounded preceding and current row
        ) as range_end
    from charged
),

-- each account's draw as a range of the same day's demand, packs by rank, the overdraft last
draw_ranges as (
    select
        *,
        sum(tokens_drawn) over (
            partition by draw_date
            order by case when is_overdraft then 1 else 0 end, pack_rank
            rows between unbounded preceding and current row
        ) - tokens_drawn as range_start,
        sum(tokens_drawn) over (
            partition by draw_date
            order by case when is_overdraft then 1 else 0 end, pack_rank
            rows between unbounded preceding and current row
        ) as range_end
    from draws
),

final as (
    select
        window_ranges.window_id,
        window_ranges.user_key,
        window_ranges.product,
        window_ranges.window_start_at,
        window_ranges.usage_date,
        window_ranges.tokens_charged,
        draw_ranges.order_id,
        draw_ranges.pack_rank,
        draw_ranges.is_overdraft,
        cast(
            least(window_ranges.range_end, draw_ranges.range_end)
            - greatest(window_ranges.range_start, draw_ranges.range_start)
            as {{ dbt.type_bigint() }}
        ) as tokens_drawn
    from window_ranges
    inner join draw_ranges
        on
            window_ranges.usage_date = draw_ranges.draw_date
            and window_ranges.range_start < draw_ranges.range_end
            and window_ranges.range_end > draw_ranges.range_start
)

select * from final
