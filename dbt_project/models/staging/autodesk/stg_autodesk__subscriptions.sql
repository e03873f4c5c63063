-- One row per line of an Autodesk Subscriptions export: a contract line with its seats and term.
with subscriptions as (
    select * from {{ source('raw', 'autodesk_subscriptions') }}
),

final as (
    select
        {{ clean_text('subscription_id') }} as subscription_id,
        {{ clean_text('offering_name') }} as offering_name,
        cast({{ safe_cast(clean_text('seat_quantity'), 'integer') }} as integer) as seat_quantity,
        {{ parse_date(clean_text('start_date')) }} as start_date,
        {{ parse_date(clean_text('end_date')) }} as end_date,
        {{ clean_text('term') }} as term,
        {{ clean_text('contract_number') }} as contract_number,
        _source_file as source_file,
        _source_row as source_row,
        case
            when {{ clean_text('subscription_id') }} is null or {{ clean_text('offering_name') }} is null
                then 'missing_required'
            when
                {{ clean_text('seat_quantity') }} is not null
                and {{ safe_cast(clean_text('seat_quantity'), 'integer') }} is null
                then 'bad_value'
        end as reject_reason,
        case
            when {{ clean_text('subscription_id') }} is null then 'subscription_id'
            when {{ clean_text('offering_name') }} is null then 'offering_name'
            when
                {{ clean_text('seat_quantity') }} is not null
                and {{ safe_cast(clean_text('seat_quantity'), 'integer') }} is null
                then {{ dbt.concat(["'seat_quantity='", clean_text('seat_quantity')]) }}
        end as reject_value
    from subscriptions
)

select * from final
