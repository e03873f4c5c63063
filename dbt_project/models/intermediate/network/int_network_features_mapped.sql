-- One row per FlexNet feature code seen in the debug logs or licence files, with the catalogue
-- product (or collection) it stands for. The organisation's reference/products.csv may name a
-- whole feature code (`87393ACD_2021_0F,AutoCAD`); otherwise the product suffix after the
-- five-digit prefix (ACD, RVT, 3DSMAX, ...) is looked up in the catalogue's `feature_suffix`.
with sessions as (
    select * from {{ ref('stg_flexlm__sessions') }}
),

events as (
    select * from {{ ref('stg_flexlm__events') }}
),

licences as (
    select * from {{ ref('stg_flexlm__licences') }}
),

aliases as (
    select * from {{ ref('int_product_aliases_unioned') }}
),

catalogue as (
    select * from {{ ref('product_catalogue') }}
),

seen as (
    select
        feature,
        feature_suffix
    from sessions
    where feature is not null
    union
    select
        feature,
        feature_suffix
    from events
    where feature is not null
    union
    select
        feature,
        feature_suffix
    from licences
    where feature is not null
),

features as (
    select
        feature,
        max(feature_suffix) as feature_suffix
    from seen
    group by feature
),

mapped as (
    select
        features.feature,
        features.feature_suffix,
        coalesce(by_code.product, by_suffix.product) as product,
        case
            when by_code.product is not null then 'reference_alias'
            when by_suffix.product is not null then 'feature_suffix'
        end as matched_by
    from features
    left join aliases as by_code
        on
            by_code.match_kind = 'name'
            and by_code.priority = 1
            and {{ product_match_key('features.feature') }} = by_code.match_value
    left join aliases as by_suffix
        on
            by_suffix.match_kind = 'feature_suffix'
            and features.feature_suffix = by_suffix.match_value
),

final as (
    select
        mapped.feature,
        mapped.feature_suffix,
        case when catalogue.product_kind in ('product', 'collection') then mapped.product end as product,
        catalogue.product_kind,
        mapped.matched_by
    from mapped
    left join catalogue
        on mapped.product = catalogue.product
)

select * from final
