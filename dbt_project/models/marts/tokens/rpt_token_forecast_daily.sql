-- One row per projected UTC day after the as-of date, to the later of the horizon and the last
-- expiry of a pack held: consumption at the weekday's burn rate, tokens added by packs bought
-- ahead, tokens drawn from packs and the shortfall no usable pack can serve, tokens expiring
-- unused, and the projected balance at the end of the day (it starts from the as-of balance and
-- goes below zero once the tokens run out: never clipped, like the history).
with forecast_days as (
    select * from {{ ref('int_token_forecast_days') }}
),

forecast_draws as (
    select * from {{ ref('int_token_forecast_draws') }}
),

packs as (
    select * from {{ ref('int_token_forecast_packs') }}
),

balance as (
    select * from {{ ref('rpt_token_balance_daily') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

held as (
    select coalesce(sum(tokens_at_as_of), 0) as tokens_in_packs
    from packs
),

start as (
    select
        cast(coalesce(max(balance.balance), 0) as {{ dbt.type_numeric() }}) as balance,
        max(held.tokens_in_packs) as tokens_in_packs
    from context
    cross join held
    left join balance
        on context.as_of_date = balance.balance_date
),

draws_per_day as (
    select
        forecast_date,
        sum(case when is_shortfall then 0 else tokens_drawn end) as tokens_drawn,
        sum(case when is_shortfall then tokens_drawn else 0 end) as tokens_short
    from forecast_draws
    group by forecast_date
),

drawn_per_pack as (
    select
        order_id,
        sum(tokens_drawn) as tokens_drawn
    from forecast_draws
    where not is_shortfall
    group by order_id
),

added_per_day as (
    select
        purchased_on as forecast_date,
        sum(pack_tokens) as tokens_added
    from packs
    where is_future_purchase
    group by purchased_on
),

expiring_per_day as (
    select
        packs.expires_on as forecast_date,
        sum(packs.tokens_available - coalesce(drawn_per_pack.tokens_drawn, 0)) as tokens_expiring
    from packs
    left join drawn_per_pack
        on packs.order_id = drawn_per_pack.order_id
    group by packs.expires_on
),

days as (
    select
        forecast_days.forecast_date,
        forecast_days.weekday,
        forecast_days.days_after_as_of,
        forecast_days.horizon_date,
        forecast_days.is_after_horizon,
        forecast_days.projected_consumption,
        forecast_days.overdraft_carried,
        cast(coalesce(added_per_day.tokens_added, 0) as {{ dbt.type_numeric() }}) as projected_added,
        cast(coalesce(draws_per_day.tokens_drawn, 0) as {{ dbt.type_numeric() }}) as projected_drawn,
        cast(coalesce(draws_per_day.tokens_short, 0) as {{ dbt.type_numeric() }}) as projected_shortfall,
        cast(coalesce(expiring_per_day.tokens_expiring, 0) as {{ dbt.type_numeric() }}) as projected_expiry
    from forecast_days
    left join draws_per_day
        on forecast_days.forecast_date = draws_per_day.forecast_date
    left join added_per_day
        on forecast_days.forecast_date = added_per_day.forecast_date
    left join expiring_per_day
        on forecast_days.forecast_date = expiring_per_day.forecast_date
),

running as (
    select
        days.*,
        start.tokens_in_packs + sum(days.projected_added - days.projected_drawn - days.projected_expiry) over (
            order by days.forecast_date rows between unbounded preceding and current row
        ) as projected_tokens_in_packs,
        start.balance + sum(days.projected_added - days.projected_consumption - days.projected_expiry) over (
            order by days.forecast_date rows between unbounded preceding and current row
        ) as projected_balance,
        min(case when days.projected_shortfall > 0 then days.forecast_date end) over () as run_out_date
    from days
    cross join start
),

final as (
    select
        forecast_date,
        weekday,
        days_after_as_of,
        horizon_date,
        is_after_horizon,
        cast(projected_consumption as decimal(18, 4)) as projected_consumption,
        cast(overdraft_carried as decimal(18, 4)) as overdraft_carried,
        cast(projected_added as decimal(18, 4)) as projected_added,
        cast(projected_drawn as decimal(18, 4)) as projected_drawn,
        cast(projected_shortfall as decimal(18, 4)) as projected_shortfall,
        cast(projected_expiry as decimal(18, 4)) as projected_expiry,
        cast(projected_tokens_in_packs as decimal(18, 4)) as projected_tokens_in_packs,
        cast(projected_balance as decimal(18, 4)) as projected_balance,
        projected_shortfall > 0 as is_short,
        coalesce(forecast_date = run_out_date, false) as is_run_out_date
    from running
)

select * from final
