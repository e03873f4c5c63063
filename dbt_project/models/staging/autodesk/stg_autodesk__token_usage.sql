-- One row per line of an Autodesk Token Usage export: tokens Autodesk billed per person,
-- product and UTC day. PII-off rows keep only the hashed id.
with usage as (
    select * from {{ source('raw', 'autodesk_token_usage') }}
),

cleaned as (
    select
        {{ parse_date(clean_text('day_used')) }} as usage_date,
        {{ clean_text('day_used') }} as day_used_raw,
        case
            when {{ clean_text('email') }} like '%*%' then null
            else lower({{ clean_text('email') }})
        end as email,
        lower({{ clean_text('hashed_autodesk_id') }}) as hashed_autodesk_id,
        case
            when {{ clean_text('first_name') }} like '%*%' then null
            else {{ clean_text('first_name') }}
        end as first_name,
        case
            when {{ clean_text('last_name') }} like '%*%' then null
            else {{ clean_text('last_name') }}
        end as last_name,
        {{ clean_text('product') }} as product_raw,
        {{ clean_text('feature') }} as feature,
        {{ clean_text('team') }} as team,
        {{ clean_text('tokens_used') }} as tokens_used_raw,
        cast({{ safe_cast(clean_text('tokens_used'), 'decimal(18,2)') }} as decimal(18, 2)) as tokens_used,
        _source_file as source_file,
        _source_row as source_row
    from usage
),

final as (
    select
        *,
        case
            when
                day_used_raw is null or product_raw is null or tokens_used_raw is null
                or coalesce(email, hashed_autodesk_id) is null
                then 'missing_required'
            when usage_date is null then 'unparseable_timestamp'
            when tokens_used is null or tokens_used < 0 then 'bad_value'
        end as reject_reason,
        case
            when day_used_raw is null then 'Day used'
            when product_raw is null then 'Product'
            when tokens_used_raw is null then 'Tokens used'
            when coalesce(email, hashed_autodesk_id) is null then 'Email/hashed_autodesk_id'
            when usage_date is null then day_used_raw
            when tokens_used is null or tokens_used < 0
                then {{ dbt.concat(["'Tokens used='", "tokens_used_raw"]) }}
        end as reject_value
    from cleaned
)

select * from final
