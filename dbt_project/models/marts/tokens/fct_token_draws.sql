-- One row per charged Flex window x account it drew its tokens from: a pack (order id) or the
-- overdraft account for the part no usable pack could serve (flex-rules T2-T4). Each part is
-- costed at its pack's price per token; a pack without a price, and an overdrawn part, at the
-- effective token price (flex-rules E5: the token_price setting, else the packs in force, else list).
with window_draws as (
    select * from {{ ref('int_token_window_draws') }}
),

packs as (
    select * from {{ ref('int_token_packs_deduplicated') }}
    where reject_reason is null
),

token_price as (
    select * from {{ ref('int_token_price_effective') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

final as (
    select
        window_draws.window_id,
        window_draws.order_id,
        window_draws.user_key,
        window_draws.product,
        window_draws.usage_date,
        window_draws.window_start_at,
        window_draws.tokens_charged,
        window_draws.tokens_drawn,
        window_draws.is_overdraft as is_overdrawn,
        window_draws.pack_rank,
        packs.expires_on as pack_expires_on,
        cast(coalesce(packs.price_per_token, token_price.token_price) as decimal(18, 6)) as price_per_token,
        packs.price_per_token is null as is_price_assumed,
        cast(
            window_draws.tokens_drawn * coalesce(packs.price_per_token, token_price.token_price)
            as decimal(18, 4)
        ) as token_cost,
        context.currency
    from window_draws
    left join packs
        on window_draws.order_id = packs.order_id
    cross join token_price
    cross join context
)

select * from final
