-- One row per pack the forecast can draw from: packs bought by the as-of date that still hold
-- tokens and have not expired, and packs bought after it (an order placed ahead), ranked in
-- consumption order (earliest expiry, then smallest pack, then order id; flex-rules T2).
with packs as (
    select * from {{ ref('int_token_packs_deduplicated') }}
    where reject_reason is null
),

draws as (
    select * from {{ ref('int_token_draws_daily') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

drawn_per_pack as (
    select
        order_id,
        sum(tokens_drawn) as tokens_drawn
    from draws
    where not is_overdraft
    group by order_id
),

held as (
    select
        packs.order_id,
        packs.purchased_on,
        packs.expires_on,
        packs.tokens as pack_tokens,
        packs.price_per_token,
        packs.purchased_on > context.as_of_date as is_future_purchase,
        packs.tokens - coalesce(drawn_per_pack.tokens_drawn, 0) as tokens_at_as_of,
        case
            when packs.purchased_on > context.as_of_date then packs.purchased_on
            else cast(context.as_of_date + 1 as date)
        end as usable_from
    from packs
    cross join context
    left join drawn_per_pack
        on packs.order_id = drawn_per_pack.order_id
    where
        packs.expires_on > context.as_of_date
        and packs.tokens > coalesce(drawn_per_pack.tokens_drawn, 0)
),

final as (
    select
        order_id,
        purchased_on,
        expires_on,
        cast(pack_tokens as {{ dbt.type_bigint() }}) as pack_tokens,
        price_per_token,
        is_future_purchase,
        -- tokens the pack holds at the end of the as-of date (a future pack: all of them)
        cast(case when is_future_purchase then 0 else tokens_at_as_of end as {{ dbt.type_bigint() }})
            as tokens_at_as_of,
        cast(tokens_at_as_of as {{ dbt.type_bigint() }}) as tokens_available,
        usable_from,
        expires_on as usable_until,
        row_number() over (order by expires_on, pack_tokens, order_id) as pack_rank
    from held
)

select * from final
