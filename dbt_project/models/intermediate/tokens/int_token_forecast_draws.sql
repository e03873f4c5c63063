{{ config(
    pre_hook=([
        'set spark.sql.cteRecursionLevelLimit=' ~ var('token_max_packs', 100000),
        'set spark.sql.cteRecursionRowLimit=-1',
    ] if target.type == 'spark' else []),
) }}
-- One row per projected UTC day x account the projected consumption draws from: a pack the
-- forecast holds (drawn by the same rules as the ledger, flex-rules T2) or `(short)` for what no
-- usable pack can serve: from the first such day on, the organisation has run out.
with forecast_days as (
    select * from {{ ref('int_token_forecast_days') }}
),

packs as (
    select * from {{ ref('int_token_forecast_packs') }}
),

demand as (
    select
        forecast_date as demand_date,
        tokens_demanded
    from forecast_days
),

allocation as (
    {{ token_allocate('demand', 'packs') }}
),

pack_draws as (
    select
        allocation.demand_date as forecast_date,
        packs.order_id,
        packs.pack_rank,
        cast(allocation.tokens_drawn as {{ dbt.type_numeric() }}) as tokens_drawn,
        false as is_shortfall
    from allocation
    inner join packs
        on allocation.pack_rank = packs.pack_rank
    where allocation.tokens_drawn > 0
),

drawn_per_day as (
    select
        forecast_date,
        sum(tokens_drawn) as tokens_drawn
    from pack_draws
    group by forecast_date
),

shortfalls as (
    select
        demand.demand_date as forecast_date,
        '(short)' as order_id,
        cast(null as {{ dbt.type_bigint() }}) as pack_rank,
        cast(demand.tokens_demanded - coalesce(drawn_per_day.tokens_drawn, 0) as {{ dbt.type_numeric() }})
            as tokens_drawn,
        true as is_shortfall
    from demand
    left join drawn_per_day
        on demand.demand_date = drawn_per_day.forecast_date
    where demand.tokens_demanded > coalesce(drawn_per_day.tokens_drawn, 0)
),

final as (
    select * from pack_draws
    union all
    select * from shortfalls
)

select * from final
