-- One row per product x effective period: the token rate (tokens per 24 hours) in force. A
-- product that appears in the organisation's reference/token_rates.csv takes its rows from there
-- only; every other product keeps the shipped rows (flex-rules section 3). `effective_to` is
-- inclusive; null = open-ended.
with shipped as (
    select * from {{ ref('token_rates') }}
),

reference_rates as (
    select * from {{ ref('stg_reference__token_rates') }}
    where reject_reason is null
),

aliases as (
    select * from {{ ref('int_product_aliases_unioned') }}
    where match_kind = 'name'
),

reference_mapped as (
    select
        aliases.product,
        reference_rates.tokens_per_day,
        reference_rates.effective_from,
        reference_rates.effective_to
    from reference_rates
    inner join aliases
        on {{ product_match_key('reference_rates.product_raw') }} = aliases.match_value
),

overridden_products as (
    select distinct product from reference_mapped
),

final as (
    select
        product,
        tokens_per_day,
        effective_from,
        effective_to,
        'reference/token_rates.csv' as rate_source,
        'organisation' as confidence
    from reference_mapped
    union all
    select
        shipped.product,
        shipped.tokens_per_day,
        shipped.effective_from,
        shipped.effective_to,
        shipped.source as rate_source,
        shipped.confidence
    from shipped
    left join overridden_products
        on shipped.product = overridden_products.product
    where overridden_products.product is null
)

select * from final
