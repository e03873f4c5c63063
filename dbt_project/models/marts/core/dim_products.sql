-- One row per catalogue product or collection: the collections that contain it, the token rate in
-- force on the as-of date (null when unknown), and the annual named-user price in force.
with catalogue as (
    select * from {{ ref('product_catalogue') }}
    where product_kind in ('product', 'collection')
),

context as (
    select * from {{ ref('stg_run__context') }}
),

collection_products as (
    select * from {{ ref('int_collection_products_effective') }}
),

rates as (
    select * from {{ ref('int_token_rates_effective') }}
),

prices as (
    select * from {{ ref('int_prices_effective') }}
),

collections_of_product as (
    select
        product,
        {{ dbt.listagg('collection', "', '", "order by collection") }} as collections
    from collection_products
    group by product
),

current_rates as (
    select
        rates.product,
        rates.tokens_per_day,
        rates.rate_source,
        rates.confidence as rate_confidence,
        row_number() over (partition by rates.product order by rates.effective_from desc) as rank_current
    from rates
    cross join context
    where
        rates.effective_from <= context.as_of_date
        and (rates.effective_to is null or rates.effective_to >= context.as_of_date)
),

current_prices as (
    select
        prices.product_or_collection,
        prices.annual_price,
        prices.currency,
        prices.price_source,
        row_number() over (
            partition by prices.product_or_collection order by prices.effective_from desc
        ) as rank_current
    from prices
    cross join context
    where prices.effective_from <= context.as_of_date
),

final as (
    select
        catalogue.product,
        catalogue.product_kind,
        collections_of_product.collections,
        cast(current_rates.tokens_per_day as integer) as current_tokens_per_day,
        current_rates.rate_source,
        current_rates.rate_confidence,
        current_prices.annual_price,
        current_prices.currency,
        current_prices.price_source,
        catalogue.product_key_prefix,
        catalogue.feature_suffix
    from catalogue
    left join collections_of_product
        on catalogue.product = collections_of_product.product
    left join current_rates
        on
            catalogue.product = current_rates.product
            and current_rates.rank_current = 1
    left join current_prices
        on
            catalogue.product = current_prices.product_or_collection
            and current_prices.rank_current = 1
)

select * from final
