-- One row per token pack x UTC day with a movement: the pack bought (tokens_added), tokens drawn
-- by charged windows (tokens_consumed), tokens still in it on its expiry day (tokens_expired, T1),
-- and what it holds at the end of the day (tokens_remaining). Tokens charged when no pack held
-- usable tokens are booked to the overdraft account `(overdrawn)` (T4: kept, never clipped; it
-- holds nothing), so the ledger accounts for every token charged.
with packs as (
    select * from {{ ref('int_token_packs_deduplicated') }}
    where reject_reason is null
),

draws as (
    select * from {{ ref('int_token_draws_daily') }}
),

windows as (
    select * from {{ ref('int_token_window_draws') }}
),

token_price as (
    select * from {{ ref('int_token_price_effective') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

packs_bought as (
    select packs.*
    from packs
    cross join context
    where packs.purchased_on <= context.as_of_date
),

drawn_per_pack as (
    select
        order_id,
        sum(tokens_drawn) as tokens_drawn
    from draws
    where not is_overdraft
    group by order_id
),

windows_per_day as (
    select
        order_id,
        usage_date,
        count(*) as windows_drawing
    from windows
    group by order_id, usage_date
),

movements as (
    select
        order_id,
        purchased_on as ledger_date,
        tokens as tokens_added,
        0 as tokens_consumed,
        0 as tokens_expired
    from packs_bought
    union all
    select
        order_id,
        draw_date as ledger_date,
        0 as tokens_added,
        tokens_drawn as tokens_consumed,
        0 as tokens_expired
    from draws
    union all
    -- what a pack holds on its expiry day expires (all its draws happen before that day)
    select
        packs_bought.order_id,
        packs_bought.expires_on as ledger_date,
        0 as tokens_added,
        0 as tokens_consumed,
        packs_bought.tokens - coalesce(drawn_per_pack.tokens_drawn, 0) as tokens_expired
    from packs_bought
    left join drawn_per_pack
        on packs_bought.order_id = drawn_per_pack.order_id
    cross join context
    where
        packs_bought.expires_on <= context.as_of_date
        and packs_bought.tokens > coalesce(drawn_per_pack.tokens_drawn, 0)
),

daily as (
    select
        order_id,
        ledger_date,
        sum(tokens_added) as tokens_added,
        sum(tokens_consumed) as tokens_consumed,
        sum(tokens_expired) as tokens_expired
    from movements
    group by order_id, ledger_date
),

running as (
    select
        *,
        sum(tokens_added - tokens_consumed - tokens_expired) over (
            partition by order_id
            order by ledger_date
            rows between unbounded preceding and current row
        ) as tokens_left
    from daily
),

final as (
    select
        running.order_id,
        running.ledger_date,
        running.order_id = {{ token_overdraft_account() }} as is_overdraft,
        packs_bought.purchased_on,
        packs_bought.expires_on,
        cast(packs_bought.tokens as {{ dbt.type_bigint() }}) as pack_tokens,
        cast(coalesce(packs_bought.price_per_token, token_price.token_price) as decimal(18, 6))
            as price_per_token,
        cast(running.tokens_added as {{ dbt.type_bigint() }}) as tokens_added,
        cast(running.tokens_consumed as {{ dbt.type_bigint() }}) as tokens_consumed,
        cast(running.tokens_expired as {{ dbt.type_bigint() }}) as tokens_expired,
        cast(
            case when running.order_id = {{ token_overdraft_account() }} then 0 else running.tokens_left end
            as {{ dbt.type_bigint() }}
        ) as tokens_remaining,
        cast(coalesce(windows_per_day.windows_drawing, 0) as integer) as windows_drawing,
        cast(
            running.tokens_consumed * coalesce(packs_bought.price_per_token, token_price.token_price)
            as decimal(18, 4)
        ) as consumed_cost,
        context.currency
    from running
    left join packs_bought
        on running.order_id = packs_bought.order_id
    left join windows_per_day
        on
            running.order_id = windows_per_day.order_id
            and running.ledger_date = windows_per_day.usage_date
    cross join token_price
    cross join context
)

select * from final
