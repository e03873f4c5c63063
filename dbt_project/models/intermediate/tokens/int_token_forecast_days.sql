-- One row per projected UTC day, from the day after the as-of date to the projection end: the
-- later of the horizon (token_horizon_date, else as-of date + token_horizon_days) and the last
-- expiry of a pack the forecast holds, so every pack's unused tokens are projected. Each day
-- consumes its weekday's burn rate; the first day also carries the tokens overdrawn to date
-- (the forecast starts from the balance, which has them deducted).
with burn_rates as (
    select * from {{ ref('int_token_burn_rates') }}
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

day_offsets as (
    {{ token_day_offsets(var('token_max_forecast_days', 3660) + 1) }}
),

as_of_balance as (
    select coalesce(max(balance.tokens_overdrawn_to_date), 0) as tokens_overdrawn_to_date
    from balance
    cross join context
    where balance.balance_date = context.as_of_date
),

horizon as (
    select
        context.as_of_date,
        coalesce(context.token_horizon_date, cast(context.as_of_date + context.token_horizon_days as date))
            as horizon_date
    from context
),

projection as (
    select
        horizon.as_of_date,
        horizon.horizon_date,
        case
            when max(packs.expires_on) > horizon.horizon_date then max(packs.expires_on)
            else horizon.horizon_date
        end as projection_end
    from horizon
    left join packs on 1 = 1
    group by horizon.as_of_date, horizon.horizon_date
),

calendar as (
    select
        cast(projection.as_of_date + day_offsets.day_offset as date) as forecast_date,
        day_offsets.day_offset,
        projection.horizon_date
    from projection
    cross join day_offsets
    where
        day_offsets.day_offset >= 1
        and day_offsets.day_offset <= {{ token_days_between('projection.as_of_date', 'projection.projection_end') }}
),

final as (
    select
        calendar.forecast_date,
        {{ token_weekday('calendar.forecast_date') }} as weekday,
        calendar.day_offset as days_after_as_of,
        calendar.horizon_date,
        calendar.forecast_date > calendar.horizon_date as is_after_horizon,
        cast(coalesce(burn_rates.tokens_per_day, 0) as {{ dbt.type_numeric() }}) as projected_consumption,
        cast(
            case when calendar.day_offset = 1 then as_of_balance.tokens_overdrawn_to_date else 0 end
            as {{ dbt.type_numeric() }}
        ) as overdraft_carried,
        cast(
            coalesce(burn_rates.tokens_per_day, 0)
            + case when calendar.day_offset = 1 then as_of_balance.tokens_overdrawn_to_date else 0 end
            as {{ dbt.type_numeric() }}
        ) as tokens_demanded
    from calendar
    cross join as_of_balance
    left join burn_rates
        on {{ token_weekday('calendar.forecast_date') }} = burn_rates.weekday
)

select * from final
