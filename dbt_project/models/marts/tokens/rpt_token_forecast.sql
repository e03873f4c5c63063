-- One row per run: the token balance at the as-of date, the burn rate (trailing window, per
-- weekday), the projected run-out date (the first day the projected consumption finds no usable
-- tokens), the date a top-up must be ordered by (run-out minus the lead time), the tokens that
-- will expire unused, and how many tokens to buy to reach the horizon, rounded up to the pack
-- sizes the organisation buys (docs/tokens.md).
with context as (
    select * from {{ ref('stg_run__context') }}
),

balance as (
    select * from {{ ref('rpt_token_balance_daily') }}
),

burn_rates as (
    select * from {{ ref('int_token_burn_rates') }}
),

forecast_daily as (
    select * from {{ ref('rpt_token_forecast_daily') }}
),

pack_forecast as (
    select * from {{ ref('rpt_token_pack_forecast') }}
),

top_up as (
    select * from {{ ref('int_token_top_up_sized') }}
),

token_price as (
    select * from {{ ref('int_token_price_effective') }}
),

as_of_balance as (
    select
        context.run_id,
        balance.balance,
        balance.tokens_in_packs,
        balance.tokens_overdrawn_to_date
    from context
    left join balance
        on context.as_of_date = balance.balance_date
),

burn as (
    select
        min(window_start) as burn_window_start,
        min(window_end) as burn_window_end,
        min(window_days) as burn_window_days,
        sum(tokens_consumed) as burn_window_tokens,
        {% for name in ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] -%}
            max(case when weekday = {{ loop.index0 }} then tokens_per_day end) as burn_rate_{{ name }},
        {% endfor -%}
        count(*) as weekdays
    from burn_rates
),

projection as (
    select
        min(case when is_run_out_date then forecast_date end) as run_out_date,
        min(horizon_date) as horizon_date,
        max(forecast_date) as projection_end_date,
        sum(projected_expiry) as projected_expiry
    from forecast_daily
),

expiring as (
    select
        sum(tokens_expiring_unused) as tokens_expiring_unused,
        sum(expiring_value) as expiring_value,
        min(case when tokens_expiring_unused > 0 then expires_on end) as next_unused_expiry_date,
        sum(case when tokens_expiring_unused > 0 then 1 else 0 end) as packs_expiring_unused
    from pack_forecast
),

final as (
    select
        context.run_id,
        context.as_of,
        context.as_of_date,
        context.currency,
        cast(coalesce(as_of_balance.balance, 0) as {{ dbt.type_bigint() }}) as balance,
        cast(coalesce(as_of_balance.tokens_in_packs, 0) as {{ dbt.type_bigint() }}) as tokens_in_packs,
        cast(coalesce(as_of_balance.tokens_overdrawn_to_date, 0) as {{ dbt.type_bigint() }})
            as tokens_overdrawn_to_date,
        burn.burn_window_start,
        burn.burn_window_end,
        cast(coalesce(burn.burn_window_days, 0) as integer) as burn_window_days,
        cast(
            coalesce(cast(burn.burn_window_tokens as {{ dbt.type_numeric() }}) / nullif(burn.burn_window_days, 0), 0)
            as decimal(18, 4)
        ) as burn_rate_per_day,
        {% for name in ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] -%}
            cast(burn.burn_rate_{{ name }} as decimal(18, 4)) as burn_rate_{{ name }},
        {% endfor -%}
        projection.run_out_date,
        {{ token_days_between('context.as_of_date', 'projection.run_out_date') }} as days_to_run_out,
        context.token_run_out_warning_days as run_out_warning_days,
        coalesce(
            projection.run_out_date <= cast(context.as_of_date + context.token_run_out_warning_days as date),
            false
        ) as is_run_out_within_warning,
        context.token_top_up_lead_days as top_up_lead_days,
        cast(projection.run_out_date - context.token_top_up_lead_days as date) as top_up_needed_by,
        coalesce(
            cast(projection.run_out_date - context.token_top_up_lead_days as date) <= context.as_of_date,
            false
        ) as is_top_up_due,
        cast(coalesce(expiring.tokens_expiring_unused, 0) as decimal(18, 4)) as tokens_expiring_unused,
        cast(coalesce(expiring.expiring_value, 0) as decimal(18, 2)) as expiring_value,
        cast(coalesce(expiring.packs_expiring_unused, 0) as integer) as packs_expiring_unused,
        expiring.next_unused_expiry_date,
        projection.horizon_date,
        projection.projection_end_date,
        top_up.tokens_needed as tokens_needed_to_horizon,
        top_up.tokens_to_buy,
        top_up.packs_to_buy,
        top_up.pack_combination,
        context.token_pack_sizes as pack_sizes,
        cast(top_up.tokens_to_buy * token_price.token_price as decimal(18, 2)) as top_up_cost,
        token_price.token_price,
        token_price.token_price_source
    from context
    cross join as_of_balance
    cross join burn
    cross join projection
    cross join expiring
    cross join top_up
    cross join token_price
)

select * from final
