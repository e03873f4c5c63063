{{ config(meta={'dagster': {'ref': {'name': 'fct_token_draws'}}}) }}
-- A returned row breaks a drawing rule (flex-rules T1-T3): a charged window whose draws do not add
-- up to its tokens, a pack drawn outside its usable days (purchased_on <= day < expires_on), or a
-- pack that gave or lost more tokens than it was bought with.
with draws as (
    select * from {{ ref('fct_token_draws') }}
),

window_costs as (
    select * from {{ ref('fct_token_window_costs') }}
),

ledger as (
    select * from {{ ref('fct_token_ledger') }}
),

packs as (
    select * from {{ ref('int_token_packs_deduplicated') }}
    where reject_reason is null
),

window_totals as (
    select
        window_id,
        sum(tokens_drawn) as tokens_drawn
    from draws
    group by window_id
),

broken as (
    select
        window_costs.window_id as subject,
        'draws <> tokens charged' as broken_rule
    from window_costs
    left join window_totals
        on window_costs.window_id = window_totals.window_id
    where coalesce(window_totals.tokens_drawn, 0) <> window_costs.tokens_charged
    union all
    select
        {{ dbt.concat(['draws.window_id', "' '", 'draws.order_id']) }} as subject,
        'pack drawn outside its usable days' as broken_rule
    from draws
    inner join packs
        on draws.order_id = packs.order_id
    where draws.usage_date < packs.purchased_on or draws.usage_date >= packs.expires_on
    union all
    select
        ledger.order_id as subject,
        'pack gave or lost more than it held' as broken_rule
    from ledger
    where not ledger.is_overdraft
    group by ledger.order_id
    having sum(ledger.tokens_consumed) + sum(ledger.tokens_expired) > sum(ledger.tokens_added)
)

select * from broken
