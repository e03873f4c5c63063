-- One row per landing row that the pipeline could not use, with the landing sub-folder it came
-- from (`source`), what it was meant to be (`entity`), a stable reason code, the offending value,
-- and its file and row. Nothing read from the landing folder leaves the pipeline without either
-- reaching a model or appearing here.
with connector_rows as (
    select * from {{ ref('stg_connector__quarantine') }}
),

sessions as (
    select * from {{ ref('int_sessions_resolved') }}
),

people as (
    select * from {{ ref('stg_directory__people') }}
),

assignments as (
    select * from {{ ref('int_assignments_resolved') }}
),

token_usage as (
    select * from {{ ref('int_token_usage_resolved') }}
),

subscriptions as (
    select * from {{ ref('stg_autodesk__subscriptions') }}
),

-- staging rejects, plus packs expiring before they are bought and repeated order ids
packs as (
    select * from {{ ref('int_token_packs_deduplicated') }}
),

reference_prices as (
    select * from {{ ref('stg_reference__prices') }}
),

reference_token_rates as (
    select * from {{ ref('stg_reference__token_rates') }}
),

reference_products as (
    select * from {{ ref('stg_reference__products') }}
),

reference_collections as (
    select * from {{ ref('stg_reference__collections') }}
),

name_aliases as (
    select * from {{ ref('int_product_aliases_unioned') }}
    where match_kind = 'name'
),

catalogue as (
    select * from {{ ref('product_catalogue') }}
),

network_sessions as (
    select * from {{ ref('int_network_sessions_resolved') }}
),

network_events as (
    select * from {{ ref('stg_flexlm__events') }}
),

network_denials as (
    select * from {{ ref('int_network_denials_resolved') }}
),

network_licences as (
    select * from {{ ref('stg_flexlm__licences') }}
),

network_features as (
    select * from {{ ref('int_network_features_mapped') }}
),

unioned as (
    select
        source,
        'file' as entity,
        reason,
        value,
        source_file,
        source_row
    from connector_rows
    union all
    select
        'usage' as source,
        'sessions' as entity,
        reject_reason as reason,
        reject_value as value,
        source_file,
        source_row
    from sessions
    where reject_reason is not null
    union all
    select
        'directory' as source,
        'people' as entity,
        reject_reason as reason,
        reject_value as value,
        source_file,
        source_row
    from people
    where reject_reason is not null
    union all
    select
        'autodesk' as source,
        'assignments' as entity,
        reject_reason as reason,
        reject_value as value,
        source_file,
        source_row
    from assignments
    where reject_reason is not null
    union all
    select
        'autodesk' as source,
        'token_usage' as entity,
        reject_reason as reason,
        reject_value as value,
        source_file,
        source_row
    from token_usage
    where reject_reason is not null
    union all
    select
        'autodesk' as source,
        'subscriptions' as entity,
        reject_reason as reason,
        reject_value as value,
        source_file,
        source_row
    from subscriptions
    where reject_reason is not null
    union all
    select
        'tokens' as source,
        'packs' as entity,
        reject_reason as reason,
        reject_value as value,
        source_file,
        source_row
    from packs
    where reject_reason is not null
    union all
    select
        'reference' as source,
        'prices' as entity,
        reject_reason as reason,
        reject_value as value,
        source_file,
        source_row
    from reference_prices
    where reject_reason is not null
    union all
    select
        'reference' as source,
        'prices' as entity,
        'unknown_product' as reason,
        reference_prices.product_or_collection_raw as value,
        reference_prices.source_file,
        reference_prices.source_row
    from reference_prices
    left join
        name_aliases
        on {{ product_match_key('reference_prices.product_or_collection_raw') }} = name_aliases.match_value
    where reference_prices.reject_reason is null and name_aliases.product is null
    union all
    select
        'reference' as source,
        'token_rates' as entity,
        reject_reason as reason,
        reject_value as value,
        source_file,
        source_row
    from reference_token_rates
    where reject_reason is not null
    union all
    select
        'reference' as source,
        'token_rates' as entity,
        'unknown_product' as reason,
        reference_token_rates.product_raw as value,
        reference_token_rates.source_file,
        reference_token_rates.source_row
    from reference_token_rates
    left join name_aliases
        on {{ product_match_key('reference_token_rates.product_raw') }} = name_aliases.match_value
    where reference_token_rates.reject_reason is null and name_aliases.product is null
    union all
    select
        'reference' as source,
        'products' as entity,
        reject_reason as reason,
        reject_value as value,
        source_file,
        source_row
    from reference_products
    where reject_reason is not null
    union all
    select
        'reference' as source,
        'products' as entity,
        'unknown_product' as reason,
        reference_products.product_raw as value,
        reference_products.source_file,
        reference_products.source_row
    from reference_products
    left join catalogue on reference_products.product_raw = catalogue.product
    where reference_products.reject_reason is null and catalogue.product is null
    union all
    select
        'reference' as source,
        'collections' as entity,
        reject_reason as reason,
        reject_value as value,
        source_file,
        source_row
    from reference_collections
    where reject_reason is not null
    union all
    select
        'flexlm' as source,
        'sessions' as entity,
        reject_reason as reason,
        reject_value as value,
        source_file,
        source_row
    from network_sessions
    where reject_reason is not null
    union all
    select
        'flexlm' as source,
        'denials' as entity,
        reject_reason as reason,
        reject_value as value,
        source_file,
        source_row
    from network_denials
    where reject_reason is not null
    union all
    select
        'flexlm' as source,
        'events' as entity,
        reject_reason as reason,
        reject_value as value,
        source_file,
        source_row
    from network_events
    where reject_reason is not null and coalesce(event, '') <> 'denied'
    union all
    select
        'flexlm' as source,
        'licences' as entity,
        coalesce(network_licences.reject_reason, 'unknown_product') as reason,
        case
            when network_licences.reject_reason is not null then network_licences.reject_value
            else network_licences.feature
        end as value,
        network_licences.source_file,
        network_licences.source_row
    from network_licences
    left join network_features
        on network_licences.feature = network_features.feature
    where network_licences.reject_reason is not null or network_features.product is null
),

final as (
    select
        source,
        entity,
        reason,
        value,
        source_file,
        source_row
    from unioned
)

select * from final
