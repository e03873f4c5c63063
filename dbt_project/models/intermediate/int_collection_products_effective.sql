-- One row per collection x product it contains. A collection named in the organisation's
-- reference/collections.csv takes its contents from there only.
with shipped as (
    select * from {{ ref('collection_products') }}
),

reference_collections as (
    select * from {{ ref('stg_reference__collections') }}
    where reject_reason is null
),

aliases as (
    select * from {{ ref('int_product_aliases_unioned') }}
    where match_kind = 'name'
),

reference_mapped as (
    select
        collection_alias.product as collection,
        product_alias.product
    from reference_collections
    inner join aliases as collection_alias
        on {{ product_match_key('reference_collections.collection_raw') }} = collection_alias.match_value
    inner join aliases as product_alias
        on {{ product_match_key('reference_collections.product_raw') }} = product_alias.match_value
),

overridden as (
    select distinct collection from reference_mapped
),

final as (
    select distinct
        collection,
        product
    from reference_mapped
    union all
    select
        shipped.collection,
        shipped.product
    from shipped
    left join overridden
        on shipped.collection = overridden.collection
    where overridden.collection is null
)

select * from final
