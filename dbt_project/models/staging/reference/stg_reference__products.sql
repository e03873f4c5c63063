-- One row per line of the organisation's reference/products.csv: an alias (name, product key or
-- FlexNet feature code) and the catalogue product it stands for.
with products as (
    select * from {{ source('raw', 'reference_products') }}
),

final as (
    select
        {{ clean_text('alias') }} as alias_raw,
        {{ clean_text('product') }} as product_raw,
        _source_file as source_file,
        _source_row as source_row,
        case
            when {{ clean_text('alias') }} is null or {{ clean_text('product') }} is null
                then 'missing_required'
        end as reject_reason,
        {{ dbt.concat(["coalesce(alias, '')", "' -> '", "coalesce(product, '')"]) }} as reject_value
    from products
)

select * from final
