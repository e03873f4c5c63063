-- One row per token pack the forecast holds (bought by the as-of date with tokens left and not
-- expired, or bought after it): the tokens it holds at the as-of date, how many the projected
-- consumption will draw from it, and how many will expire unused on its expiry day (T1), with
-- their value at the pack's price.
with packs as (
    select * from {{ ref('int_token_forecast_packs') }}
),

forecast_draws as (
    select * from {{ ref('int_token_forecast_draws') }}
),

token_price as (
    select * from {{ ref('int_token_price_effective') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

drawn_per_pack as (
    select
        order_id,
        sum(tokens_drawn) as tokens_drawn,
        max(forecast_date) as last_draw_date
    from forecast_draws
    where not is_shortfall
    group by order_id
),

final as (
    select
        packs.order_id,
        packs.pack_rank,
        packs.purchased_on,
        packs.expires_on,
        packs.is_future_purchase,
        packs.pack_tokens,
        packs.tokens_at_as_of,
        cast(coalesce(drawn_per_pack.tokens_drawn, 0) as decimal(18, 4)) as projected_tokens_drawn,
        cast(packs.tokens_available - coalesce(drawn_per_pack.tokens_drawn, 0) as decimal(18, 4))
            as tokens_expiring_unused,
        drawn_per_pack.last_draw_date as projected_last_draw_date,
        {{ token_days_between('context.as_of_date', 'packs.expires_on') }} as days_to_expiry,
        cast(coalesce(packs.price_per_token, token_price.token_price) as decimal(18, 6)) as price_per_token,
        cast(
            (packs.tokens_available - coalesce(drawn_per_pack.tokens_drawn, 0))
            * coalesce(packs.price_per_token, token_price.token_price)
            as decimal(18, 2)
        ) as expiring_value,
        context.currency
    from packs
    left join drawn_per_pack
        on packs.order_id = drawn_per_pack.order_id
    cross join token_price
    cross join context
)

select * from final
