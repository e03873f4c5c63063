{{ config(
    pre_hook=([
        'set spark.sql.cteRecursionLevelLimit=' ~ var('token_max_packs', 100000),
        'set spark.sql.cteRecursionRowLimit=-1',
    ] if target.type == 'spark' else []),
) }}
-- One row per UTC day x account that charged windows drew tokens from: a pack (its order id and
-- consumption rank) or, for tokens charged when no pack held usable tokens, the overdraft account
-- (flex-rules T2-T4). A window's tokens are drawn on its usage_date (the UTC date it started), from
-- packs usable that day (purchased_on <= day < expires_on). Windows without a known rate charge no
-- known tokens and draw nothing.
with packs as (
    select * from {{ ref('int_token_packs_deduplicated') }}
    where reject_reason is null
),

windows as (
    select * from {{ ref('fct_usage_windows') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

-- packs bought by the as-of date, in consumption order: earliest expiry, then smallest, then id
ranked_packs as (
    select
        packs.order_id,
        packs.purchased_on as usable_from,
        packs.expires_on as usable_until,
        packs.tokens as tokens_available,
        row_number() over (
            order by packs.expires_on, packs.tokens, packs.order_id
        ) as pack_rank
    from packs
    cross join context
    where packs.purchased_on <= context.as_of_date
),

demand as (
    select
        windows.usage_date as demand_date,
        sum(windows.tokens_charged) as tokens_demanded
    from windows
    cross join context
    where
        windows.charge_status = 'charged'
        and windows.tokens_charged > 0
        and windows.usage_date <= context.as_of_date
    group by windows.usage_date
),

allocation as (
    {{ token_allocate('demand', 'ranked_packs') }}
),

pack_draws as (
    select
        allocation.demand_date as draw_date,
        ranked_packs.order_id,
        ranked_packs.pack_rank,
        cast(allocation.tokens_drawn as {{ dbt.type_bigint() }}) as tokens_drawn,
        false as is_overdraft
    from allocation
    inner join ranked_packs
        on allocation.pack_rank = ranked_packs.pack_rank
    where allocation.tokens_drawn > 0
),

drawn_per_day as (
    select
        draw_date,
        sum(tokens_drawn) as tokens_drawn
    from pack_draws
    group by draw_date
),

-- what the day's packs could not serve: kept, never clipped (T4)
overdraft_draws as (
    select
        demand.demand_date as draw_date,
        {{ token_overdraft_account() }} as order_id,
        cast(null as {{ dbt.type_bigint() }}) as pack_rank,
        cast(demand.tokens_demanded - coalesce(drawn_per_day.tokens_drawn, 0) as {{ dbt.type_bigint() }})
            as tokens_drawn,
        true as is_overdraft
    from demand
    left join drawn_per_day
        on demand.demand_date = drawn_per_day.draw_date
    where demand.tokens_demanded > coalesce(drawn_per_day.tokens_drawn, 0)
),

final as (
    select * from pack_draws
    union all
    select * from overdraft_draws
)

select * from final
