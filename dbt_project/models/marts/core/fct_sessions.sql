-- One row per cleaned agent session: de-duplicated, in UTC, with its resolved person and
-- catalogue product, cut at the run's as-of time (a session still running then ends there;
-- a session starting after it does not count).
with sessions as (
    select * from {{ ref('int_sessions_resolved') }}
    where
        reject_reason is null
        and not is_after_as_of
),

users as (
    select * from {{ ref('dim_users') }}
),

final as (
    select
        sessions.session_id,
        sessions.user_key,
        sessions.product,
        sessions.host,
        sessions.started_at,
        sessions.ended_at,
        {{ seconds_between('sessions.started_at', 'sessions.ended_at') }} as duration_seconds,
        case
            when sessions.active_seconds > {{ seconds_between('sessions.started_at', 'sessions.ended_at') }}
                then {{ seconds_between('sessions.started_at', 'sessions.ended_at') }}
            else sessions.active_seconds
        end as active_seconds,
        sessions.is_open_at_as_of,
        sessions.ended_at_reported,
        sessions.login,
        sessions.product_raw as product_reported,
        sessions.product_key,
        sessions.licence_method,
        coalesce(users.is_identity_resolved, false) as is_identity_resolved,
        sessions.source_file,
        sessions.source_row
    from sessions
    left join users
        on sessions.user_key = users.user_key
)

select * from final
