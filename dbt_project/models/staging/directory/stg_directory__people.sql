-- One row per person per directory snapshot, typed. Identifiers are lower-cased; a row with no
-- identifier at all, or whose snapshot date cannot be read, carries a `reject_reason`.
with people as (
    select * from {{ source('raw', 'directory_people') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

cleaned as (
    select
        {{ parse_date('people.snapshot_date') }} as snapshot_date,
        people.snapshot_date as snapshot_date_raw,
        people.directory_kind,
        lower({{ clean_text('people.object_id') }}) as object_id,
        lower({{ clean_text('people.sam_account') }}) as sam_account,
        lower({{ clean_text('people.upn') }}) as upn,
        lower({{ clean_text('people.email') }}) as email,
        {{ clean_text('people.display_name') }} as display_name,
        {{ clean_text('people.given_name') }} as given_name,
        {{ clean_text('people.surname') }} as surname,
        {{ clean_text('people.department') }} as department,
        {{ clean_text('people.country') }} as country,
        {{ clean_text('people.office') }} as office,
        {{ clean_text('people.title') }} as title,
        {{ clean_text('people.manager') }} as manager,
        {{ parse_bool('people.enabled') }} as is_enabled,
        {{ parse_tstz(clean_text('people.created_at'), 'context.org_timezone') }} as created_at,
        {{ parse_tstz(clean_text('people.last_logon_at'), 'context.org_timezone') }} as last_logon_at,
        {{ parse_date(clean_text('people.account_expires_at')) }} as account_expires_on,
        {{ parse_date(clean_text('people.leave_at')) }} as leave_on,
        people._source_file as source_file,
        people._source_row as source_row
    from people
    cross join context
),

final as (
    select
        lower(coalesce(object_id, sam_account, upn, email)) as person_id,
        *,
        case
            when coalesce(object_id, sam_account, upn, email) is null then 'missing_required'
            when snapshot_date is null then 'bad_value'
        end as reject_reason,
        case
            when coalesce(object_id, sam_account, upn, email) is null
                then 'SamAccountName/UserPrincipalName/EmailAddress'
            when snapshot_date is null then {{ dbt.concat(["'snapshot_date='", "coalesce(snapshot_date_raw, '')"]) }}
        end as reject_value
    from cleaned
)

select * from final
