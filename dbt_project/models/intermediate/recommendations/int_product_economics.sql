-- One row per catalogue product or collection: the annual named-user price and the token rate
-- in force on the as-of date (dim_products: the organisation's prices and rates first), the token
-- price (E5), what a day on Flex costs and the break-even days a year (E1):
-- annual price / (tokens per day x token price). Null where the rate or the price is unknown.
with products as (
    select * from {{ ref('dim_products') }}
),

settings as (
    select * from {{ ref('int_recommendation_settings') }}
),

final as (
    select
        products.product,
        products.product_kind,
        cast(products.annual_price as decimal(18, 2)) as annual_price,
        products.currency as price_currency,
        products.current_tokens_per_day as tokens_per_day,
        settings.token_price,
        cast(products.current_tokens_per_day * settings.token_price as {{ dbt.type_numeric() }}) as daily_flex_cost,
        -- numeric, not double, inside round(): PostgreSQL has no round(double precision, int)
        cast(
            round(
                cast(products.annual_price as {{ dbt.type_numeric() }})
                / nullif(cast(products.current_tokens_per_day * settings.token_price as {{ dbt.type_numeric() }}), 0),
                2
            ) as decimal(18, 2)
        ) as break_even_days
    from products
    cross join settings
)

select * from final
