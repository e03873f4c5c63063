-- One row per agent log row with its resolved person (`user_key`) and catalogue product, cut at
-- the run's as-of time, and the reason it cannot be used (`reject_reason`: a staging reason,
-- `unknown_product`, or `duplicate_row`). fct_sessions keeps the rows without a reason;
-- int_rows_quarantined keeps the others.
with sessions as (
    select * from {{ ref('stg_agent__sessions') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_mapped') }}
),

aliases as (
    select * from {{ ref('int_product_aliases_unioned') }}
),

catalogue as (
    select * from {{ ref('product_catalogue') }}
),

logins as (
    select distinct login from sessions
    where login is not null
),

login_candidates as (
    select
        login,
        case when login like '%@%' then 'email' else 'sam' end as identifier_kind,
        -- DOMAIN\sam -> sam (chr(92) is a backslash: no escaping differences between engines)
        case
            when login like '%@%' then login
            else reverse(split_part(reverse(login), chr(92), 1))
        end as identifier
    from logins
),

login_map as (
    select
        login_candidates.login,
        coalesce(identifiers.user_key, login_candidates.login) as user_key,
        identifiers.user_key is not null as is_identity_resolved
    from login_candidates
    left join identifiers
        on
            login_candidates.identifier_kind = identifiers.identifier_kind
            and login_candidates.identifier = identifiers.identifier
),

product_names as (
    select distinct
        product_raw,
        product_key
    from sessions
),

product_map as (
    select
        product_names.product_raw,
        product_names.product_key,
        coalesce(by_key.product, by_name.product) as product
    from product_names
    left join aliases as by_key
        on
            by_key.match_kind = 'key_prefix'
            and substring(product_names.product_key, 1, 3) = by_key.match_value
    left join aliases as by_name
        on
            by_name.match_kind = 'name'
            and {{ product_match_key('product_names.product_raw') }} = by_name.match_value
),

mapped as (
    select
        sessions.*,
        login_map.user_key,
        coalesce(login_map.is_identity_resolved, false) as is_identity_resolved,
        product_map.product,
        catalogue.product_kind
    from sessions
    left join login_map
        on sessions.login = login_map.login
    left join product_map
        on
            coalesce(sessions.product_raw, '') = coalesce(product_map.product_raw, '')
            and coalesce(sessions.product_key, '') = coalesce(product_map.product_key, '')
    left join catalogue
        on product_map.product = catalogue.product
),

-- several rows for one session id: the most complete one (latest end, then latest file) is kept
ranked as (
    select
        *,
        row_number() over (
            partition by session_id
            order by
                case when reject_reason is null then 0 else 1 end,
                case when ended_at is null then 1 else 0 end,
                ended_at desc,
                source_file desc,
                source_row desc
        ) as rank_in_session
    from mapped
),

cut as (
    select
        ranked.*,
        context.as_of,
        case
            when ranked.ended_at is null or ranked.ended_at > context.as_of then context.as_of
            else ranked.ended_at
        end as ended_at_cut,
        ranked.ended_at is null or ranked.ended_at > context.as_of as is_open_at_as_of,
        ranked.started_at >= context.as_of as is_after_as_of
    from ranked
    cross join context
),

final as (
    select
        session_id,
        has_agent_session_id,
        user_key,
        login,
        is_identity_resolved,
        product,
        product_raw,
        product_key,
        host,
        started_at,
        ended_at_cut as ended_at,
        ended_at as ended_at_reported,
        is_open_at_as_of,
        is_after_as_of,
        active_seconds,
        licence_method,
        started_at_raw,
        ended_at_raw,
        case
            when reject_reason is not null then reject_reason
            when product is null or product_kind <> 'product' then 'unknown_product'
            when rank_in_session > 1 then 'duplicate_row'
        end as reject_reason,
        case
            when reject_reason is not null then reject_value
            when product is null or product_kind <> 'product'
                then coalesce(product_raw, product_key)
            when rank_in_session > 1 then {{ dbt.concat(["'session_id='", "session_id"]) }}
        end as reject_value,
        source_file,
        source_row
    from cut
)

select * from final
