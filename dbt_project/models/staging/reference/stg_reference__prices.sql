-- One row per line of the organisation's reference/prices.csv (annual price of a product or collection).
with prices as (
    select * from {{ source('raw', 'reference_prices') }}
),

final as (
    select
        {{ clean_text('product_or_collection') }} as product_or_collection_raw,
        cast({{ safe_cast(clean_text('annual_price'), 'decimal(18,2)') }} as decimal(18, 2)) as annual_price,
        upper(coalesce({{ clean_text('currency') }}, 'USD')) as currency,
        coalesce({{ parse_date(clean_text('effective_from')) }}, cast('1900-01-01' as date)) as effective_from,
        _source_file as source_file,
        _source_row as source_row,
        case
            when {{ clean_text('product_or_collection') }} is null or {{ clean_text('annual_price') }} is null
                then 'missing_required'
            when {{ safe_cast(clean_text('annual_price'), 'decimal(18,2)') }} is null then 'bad_value'
            when
                {{ clean_text('effective_from') }} is not null
                and {{ parse_date(clean_text('effective_from')) }} is null then 'bad_value'
        end as reject_reason,
        {{ dbt.concat(["coalesce(product_or_collection, '')", "': '", "coalesce(annual_price, '')"]) }} as reject_value
    from prices
)

select * from final
