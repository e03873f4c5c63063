-- One row per line of an Autodesk Account Users export: who holds which product, how
-- (named / flex / trial) and from when to when. PII-off rows (`*****`) keep only the hashed id.
with assignments as (
    select * from {{ source('raw', 'autodesk_assignments') }}
),

cleaned as (
    select
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
        lower({{ clean_text('access_option') }}) as access_option_raw,
        {{ clean_text('assigned_on') }} as assigned_on_raw,
        {{ clean_text('unassigned_on') }} as unassigned_on_raw,
        {{ parse_date(clean_text('assigned_on')) }} as assigned_on,
        {{ parse_date(clean_text('unassigned_on')) }} as unassigned_on,
        {{ clean_text('team') }} as team,
        {{ parse_date(clean_text('last_accessed')) }} as last_accessed_on,
        {{ clean_text('contract_number') }} as contract_number,
        {{ clean_text('subscription_id') }} as subscription_id,
        _source_file as source_file,
        _source_row as source_row
    from assignments
),

typed as (
    select
        *,
        case
            when access_option_raw like '%flex%' then 'flex'
            when access_option_raw like '%trial%' then 'trial'
            when
                access_option_raw like '%single%' or access_option_raw like '%named%'
                or access_option_raw like '%subscription%' or access_option_raw like '%standard%'
                or access_option_raw like '%premium%'
                then 'named'
        end as access_option
    from cleaned
),

final as (
    select
        *,
        case
            when coalesce(email, hashed_autodesk_id) is null then 'missing_required'
            when product_raw is null or access_option_raw is null then 'missing_required'
            when access_option is null then 'bad_value'
            when assigned_on_raw is not null and assigned_on is null then 'bad_value'
            when unassigned_on_raw is not null and unassigned_on is null then 'bad_value'
            when unassigned_on < assigned_on then 'end_before_start'
        end as reject_reason,
        case
            when coalesce(email, hashed_autodesk_id) is null then 'Email/hashed_autodesk_id'
            when product_raw is null then 'Product'
            when access_option_raw is null then 'Access option'
            when access_option is null then {{ dbt.concat(["'Access option='", "access_option_raw"]) }}
            when assigned_on_raw is not null and assigned_on is null
                then {{ dbt.concat(["'Assigned date='", "assigned_on_raw"]) }}
            when unassigned_on_raw is not null and unassigned_on is null
                then {{ dbt.concat(["'Unassigned date='", "unassigned_on_raw"]) }}
            when unassigned_on < assigned_on
                then {{ dbt.concat(["assigned_on_raw", "' > '", "unassigned_on_raw"]) }}
        end as reject_value
    from typed
)

select * from final
