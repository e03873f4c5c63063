-- One row per product-or-collection x effective date: the annual named-user price. The
-- organisation's reference/prices.csv replaces the shipped list prices of the products it names.
with shipped as (
    select * from {{ ref('list_prices') }}
),

reference_prices as (
    select * from {{ ref('stg_reference__prices') }}
    where reject_reason is null
),

aliases as (
    select * from {{ ref('int_product_aliases_unioned') }}
    where match_kind = 'name'
),

reference_mapped as (
    select
        aliases.product as product_or_collection,
        reference_prices.annual_price,
        reference_prices.currency,
        reference_prices.effective_from
    from reference_prices
    inner join aliases
        on {{ product_match_key('reference_prices.product_or_collection_raw') }} = aliases.match_value
),

overridden as (
    select distinct product_or_collection from reference_mapped
),

final as (
    select
        product_or_collection,
        annual_price,
        currency,
        effective_from,
        'reference/prices.csv' as price_source
    from reference_mapped
    union all
    select
        shipped.product_or_collection,
        shipped.annual_price,
        shipped.currency,
        shipped.effective_from,
        shipped.source as price_source
    from shipped
    left join overridden
        on shipped.product_or_collection = overridden.product_or_collection
    where overridden.product_or_collection is null
)

select * from final
