-- One row per (match_kind, match_value): how any written product name, product key prefix or
-- FlexNet feature suffix maps to a catalogue product or collection. The organisation's
-- reference/products.csv wins over the shipped aliases, which win over the canonical names.
with catalogue as (
    select * from {{ ref('product_catalogue') }}
),

shipped_aliases as (
    select * from {{ ref('product_aliases') }}
),

-- an alias pointing at a product the catalogue does not know is quarantined, not used
reference_aliases as (
    select reference_products.*
    from {{ ref('stg_reference__products') }} as reference_products
    inner join catalogue
        on reference_products.product_raw = catalogue.product
    where reference_products.reject_reason is null
),

candidates as (
    select
        'name' as match_kind,
        {{ product_match_key('alias_raw') }} as match_value,
        product_raw as product,
        1 as priority
    from reference_aliases
    union all
    select
        'key_prefix' as match_kind,
        upper(substring(alias_raw, 1, 3)) as match_value,
        product_raw as product,
        1 as priority
    from reference_aliases
    where {{ regex_matches('upper(alias_raw)', '^[0-9A-Z]{3}[A-Z][0-9]$') }}
    union all
    select
        'name' as match_kind,
        {{ product_match_key('alias') }} as match_value,
        product,
        2 as priority
    from shipped_aliases
    union all
    select
        'name' as match_kind,
        {{ product_match_key('product') }} as match_value,
        product,
        3 as priority
    from catalogue
    union all
    select
        'key_prefix' as match_kind,
        upper(product_key_prefix) as match_value,
        product,
        3 as priority
    from catalogue
    where product_key_prefix is not null
    union all
    select
        'feature_suffix' as match_kind,
        upper(feature_suffix) as match_value,
        product,
        3 as priority
    from catalogue
    where feature_suffix is not null
),

ranked as (
    select
        *,
        row_number() over (partition by match_kind, match_value order by priority, product) as rank_in_value
    from candidates
),

final as (
    select
        match_kind,
        match_value,
        product,
        priority
    from ranked
    where rank_in_value = 1
)

select * from final
