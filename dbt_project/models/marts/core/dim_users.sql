-- One row per person: everyone the directory knows, plus every Autodesk identity and every agent
-- login that could not be traced to a directory person (kept, flagged, never dropped).
-- two directory accounts with one e-mail (a re-hire, say): the one seen last describes the person
with directory_people as (
    select *
    from (
        select
            *,
            row_number() over (partition by user_key order by last_seen_on desc, person_id asc) as rank_in_key
        from {{ ref('int_directory_people_resolved') }}
    ) as ranked
    where rank_in_key = 1
),

sessions as (
    select * from {{ ref('int_sessions_resolved') }}
    where reject_reason is null
),

assignments as (
    select * from {{ ref('int_assignments_resolved') }}
    where reject_reason is null
),

token_usage as (
    select * from {{ ref('int_token_usage_resolved') }}
    where reject_reason is null
),

identifiers as (
    select * from {{ ref('int_identifiers_mapped') }}
),

directory_users as (
    select
        user_key,
        email,
        sam_account,
        display_name,
        department,
        country,
        office,
        title,
        case when left_on is null then 'active' else 'left' end as status,
        started_on,
        left_on,
        left_reason,
        true as is_identity_resolved,
        true as is_in_directory,
        'directory' as identity_source,
        cast(null as {{ dbt.type_string() }}) as hashed_autodesk_id
    from directory_people
),

autodesk_identities as (
    select
        user_key,
        email,
        hashed_autodesk_id,
        first_name,
        last_name
    from assignments
    union all
    select
        user_key,
        email,
        hashed_autodesk_id,
        null as first_name,
        null as last_name
    from token_usage
),

autodesk_users as (
    select
        user_key,
        max(email) as email,
        max(hashed_autodesk_id) as hashed_autodesk_id,
        max(first_name) as first_name,
        max(last_name) as last_name
    from autodesk_identities
    group by user_key
),

autodesk_only as (
    select
        autodesk_users.user_key,
        autodesk_users.email,
        cast(null as {{ dbt.type_string() }}) as sam_account,
        nullif(
            trim(
                {{ dbt.concat([
                    "coalesce(autodesk_users.first_name, '')", "' '",
                    "coalesce(autodesk_users.last_name, '')"
                ]) }}
            ),
            ''
        )
            as display_name,
        cast(null as {{ dbt.type_string() }}) as department,
        cast(null as {{ dbt.type_string() }}) as country,
        cast(null as {{ dbt.type_string() }}) as office,
        cast(null as {{ dbt.type_string() }}) as title,
        'active' as status,
        cast(null as date) as started_on,
        cast(null as date) as left_on,
        cast(null as {{ dbt.type_string() }}) as left_reason,
        true as is_identity_resolved,
        false as is_in_directory,
        case when autodesk_users.email is null then 'autodesk_hashed_id' else 'autodesk' end as identity_source,
        autodesk_users.hashed_autodesk_id
    from autodesk_users
    left join directory_people
        on autodesk_users.user_key = directory_people.user_key
    where directory_people.user_key is null
),

login_only as (
    select
        sessions.user_key,
        case when min(sessions.login) like '%@%' then min(sessions.login) end as email,
        case
            when min(sessions.login) like '%@%' then null
            else reverse(split_part(reverse(min(sessions.login)), chr(92), 1))
        end as sam_account,
        cast(null as {{ dbt.type_string() }}) as display_name,
        cast(null as {{ dbt.type_string() }}) as department,
        cast(null as {{ dbt.type_string() }}) as country,
        cast(null as {{ dbt.type_string() }}) as office,
        cast(null as {{ dbt.type_string() }}) as title,
        'active' as status,
        {{ utc_date('min(sessions.started_at)') }} as started_on,
        cast(null as date) as left_on,
        cast(null as {{ dbt.type_string() }}) as left_reason,
        false as is_identity_resolved,
        false as is_in_directory,
        'agent_login' as identity_source,
        cast(null as {{ dbt.type_string() }}) as hashed_autodesk_id
    from sessions
    left join directory_people
        on sessions.user_key = directory_people.user_key
    left join autodesk_users
        on sessions.user_key = autodesk_users.user_key
    where
        not sessions.is_identity_resolved
        and directory_people.user_key is null
        and autodesk_users.user_key is null
    group by sessions.user_key
),

directory_hashed_ids as (
    select
        user_key,
        max(identifier) as hashed_autodesk_id
    from identifiers
    where identifier_kind = 'hashed_id'
    group by user_key
),

unioned as (
    select * from directory_users
    union all
    select * from autodesk_only
    union all
    select * from login_only
),

final as (
    select
        unioned.user_key,
        unioned.email,
        unioned.sam_account,
        unioned.display_name,
        unioned.department,
        unioned.country,
        unioned.office,
        unioned.title,
        unioned.status,
        unioned.started_on,
        unioned.left_on,
        unioned.left_reason,
        unioned.is_identity_resolved,
        unioned.is_in_directory,
        unioned.identity_source,
        coalesce(unioned.hashed_autodesk_id, directory_hashed_ids.hashed_autodesk_id) as hashed_autodesk_id
    from unioned
    left join directory_hashed_ids
        on unioned.user_key = directory_hashed_ids.user_key
)

select * from final
