-- One row per product (or collection) with network licences: the pool size, i.e. how many
-- licences can be in use at once, and where it comes from. The organisation's licence files
-- (flexlm/*.lic) win: per server its last licence file by path, counted features summed over
-- servers. Otherwise the shipped reference seed network_pool_sizes gives the size.
with licences as (
    select * from {{ ref('stg_flexlm__licences') }}
    where reject_reason is null
),

features as (
    select * from {{ ref('int_network_features_mapped') }}
),

seeded as (
    select * from {{ ref('network_pool_sizes') }}
),

latest_files as (
    select
        server,
        max(source_file) as source_file
    from licences
    group by server
),

counted as (
    select
        features.product,
        licences.server,
        sum(licences.licenses) as licenses
    from licences
    inner join latest_files
        on
            licences.server = latest_files.server
            and licences.source_file = latest_files.source_file
    inner join features
        on licences.feature = features.feature
    where features.product is not null
    group by features.product, licences.server
),

from_licence_files as (
    select
        product,
        cast(sum(licenses) as {{ dbt.type_bigint() }}) as pool_size,
        count(*) as servers,
        'licence_file' as pool_source
    from counted
    group by product
),

final as (
    select
        product,
        pool_size,
        servers,
        pool_source
    from from_licence_files
    union all
    select
        seeded.product,
        cast(seeded.seats as {{ dbt.type_bigint() }}) as pool_size,
        cast(null as {{ dbt.type_bigint() }}) as servers,
        'reference' as pool_source
    from seeded
    left join from_licence_files
        on seeded.product = from_licence_files.product
    where from_licence_files.product is null
)

select * from final
