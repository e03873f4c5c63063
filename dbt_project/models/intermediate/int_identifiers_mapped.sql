-- One row per identifier (an e-mail or UPN, a SAM account name, a hashed Autodesk id) that can be
-- traced to a person: the `user_key` it resolves to. Directory people come first; Autodesk rows
-- that carry both an e-mail and a hashed id link the hashed id (used when PII is off) to the e-mail.
with people as (
    select * from {{ ref('int_directory_people_resolved') }}
),

assignments as (
    select * from {{ ref('stg_autodesk__assignments') }}
),

token_usage as (
    select * from {{ ref('stg_autodesk__token_usage') }}
),

directory_identifiers as (
    select
        'email' as identifier_kind,
        email as identifier,
        user_key,
        last_seen_on,
        1 as priority
    from people
    where email is not null
    union all
    select
        'email' as identifier_kind,
        upn as identifier,
        user_key,
        last_seen_on,
        2 as priority
    from people
    where upn is not null
    union all
    select
        'sam' as identifier_kind,
        sam_account as identifier,
        user_key,
        last_seen_on,
        3 as priority
    from people
    where sam_account is not null
),

directory_ranked as (
    select
        identifier_kind,
        identifier,
        user_key,
        row_number() over (
            partition by identifier_kind, identifier order by priority asc, last_seen_on desc, user_key asc
        ) as rank_in_identifier
    from directory_identifiers
),

directory_map as (
    select
        identifier_kind,
        identifier,
        user_key
    from directory_ranked
    where rank_in_identifier = 1
),

hashed_links as (
    select distinct
        hashed_autodesk_id,
        email
    from assignments
    where hashed_autodesk_id is not null and email is not null
    union
    select distinct
        hashed_autodesk_id,
        email
    from token_usage
    where hashed_autodesk_id is not null and email is not null
),

hashed_resolved as (
    select
        hashed_links.hashed_autodesk_id,
        coalesce(directory_map.user_key, hashed_links.email) as user_key,
        row_number() over (
            partition by hashed_links.hashed_autodesk_id
            order by case when directory_map.user_key is null then 1 else 0 end, hashed_links.email
        ) as rank_in_identifier
    from hashed_links
    left join directory_map
        on
            directory_map.identifier_kind = 'email'
            and hashed_links.email = directory_map.identifier
),

final as (
    select
        identifier_kind,
        identifier,
        user_key,
        'directory' as identity_source
    from directory_map
    union all
    select
        'hashed_id' as identifier_kind,
        hashed_autodesk_id as identifier,
        user_key,
        'autodesk' as identity_source
    from hashed_resolved
    where rank_in_identifier = 1
)

select * from final
