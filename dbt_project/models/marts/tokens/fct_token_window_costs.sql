-- One row per charged Flex window (charge_status charged, tokens > 0, started by the as-of date):
-- its tokens, the packs they came from, what they cost at those packs' prices, and the part that
-- found no usable tokens (overdrawn, costed at the effective token price and flagged; T4).
with draws as (
    select * from {{ ref('fct_token_draws') }}
),

-- nearly every window draws from one account: it passes through without grouping
single_account as (
    select
        window_id,
        user_key,
        product,
        usage_date,
        window_start_at,
        cast(tokens_charged as {{ dbt.type_bigint() }}) as tokens_charged,
        cast(case when is_overdrawn then 0 else tokens_drawn end as {{ dbt.type_bigint() }}) as tokens_from_packs,
        cast(case when is_overdrawn then tokens_drawn else 0 end as {{ dbt.type_bigint() }}) as tokens_overdrawn,
        cast(token_cost as decimal(18, 4)) as token_cost,
        currency,
        cast(1 as integer) as accounts_drawn,
        order_id as drawn_from,
        is_overdrawn,
        is_price_assumed and not is_overdrawn as is_price_assumed
    from draws
    where tokens_drawn = tokens_charged
),

-- a window in which a pack ran dry draws from two accounts or more
several_accounts as (
    select
        window_id,
        min(user_key) as user_key,
        min(product) as product,
        min(usage_date) as usage_date,
        min(window_start_at) as window_start_at,
        cast(min(tokens_charged) as {{ dbt.type_bigint() }}) as tokens_charged,
        cast(sum(case when is_overdrawn then 0 else tokens_drawn end) as {{ dbt.type_bigint() }})
            as tokens_from_packs,
        cast(sum(case when is_overdrawn then tokens_drawn else 0 end) as {{ dbt.type_bigint() }})
            as tokens_overdrawn,
        cast(sum(token_cost) as decimal(18, 4)) as token_cost,
        min(currency) as currency,
        cast(count(*) as integer) as accounts_drawn,
        {{ dbt.listagg('order_id', "','", 'order by pack_rank') }} as drawn_from,
        max({{ flag_to_int('is_overdrawn') }}) = 1 as is_overdrawn,
        max({{ flag_to_int('is_price_assumed and not is_overdrawn') }}) = 1 as is_price_assumed
    from draws
    where tokens_drawn < tokens_charged
    group by window_id
),

final as (
    select * from single_account
    union all
    select * from several_accounts
)

select * from final
