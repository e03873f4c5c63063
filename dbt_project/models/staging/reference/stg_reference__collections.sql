-- One row per line of the organisation's reference/collections.csv: a product a collection contains.
with collections as (
    select * from {{ source('raw', 'reference_collections') }}
),

final as (
    select
        {{ clean_text('collection') }} as collection_raw,
        {{ clean_text('product') }} as product_raw,
        _source_file as source_file,
        _source_row as source_row,
        case
            when {{ clean_text('collection') }} is null or {{ clean_text('product') }} is null
                then 'missing_required'
        end as reject_reason,
        {{ dbt.concat(["coalesce(collection, '')", "' contains '", "coalesce(product, '')"]) }} as reject_value
    from collections
)

select * from final
