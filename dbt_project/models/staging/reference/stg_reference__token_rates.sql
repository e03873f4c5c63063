-- One row per line of the organisation's reference/token_rates.csv (tokens per 24 hours, dated).
with rates as (
    select * from {{ source('raw', 'reference_token_rates') }}
),

final as (
    select
        {{ clean_text('product') }} as product_raw,
        cast({{ safe_cast(clean_text('tokens_per_day'), 'integer') }} as integer) as tokens_per_day,
        {{ parse_date(clean_text('effective_from')) }} as effective_from,
        {{ parse_date(clean_text('effective_to')) }} as effective_to,
        _source_file as source_file,
        _source_row as source_row,
        case
            when
                {{ clean_text('product') }} is null or {{ clean_text('tokens_per_day') }} is null
                or {{ clean_text('effective_from') }} is null then 'missing_required'
            when
                {{ safe_cast(clean_text('tokens_per_day'), 'integer') }} is null
                or {{ safe_cast(clean_text('tokens_per_day'), 'integer') }} < 0 then 'bad_value'
            when {{ parse_date(clean_text('effective_from')) }} is null then 'bad_value'
            when
                {{ clean_text('effective_to') }} is not null
                and {{ parse_date(clean_text('effective_to')) }} is null then 'bad_value'
        end as reject_reason,
        {{ dbt.concat([
            "coalesce(product, '')", "': '", "coalesce(tokens_per_day, '')",
            "' from '", "coalesce(effective_from, '')"
        ]) }} as reject_value
    from rates
)

select * from final
