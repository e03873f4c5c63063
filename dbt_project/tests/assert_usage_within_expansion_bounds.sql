-- A returned row means a session, or the span of all sessions, is longer than var
-- billing_max_span_days (default 3660): the window and local-day expansions join a list of day
-- offsets that long, so longer use would be cut. Raise the var (or fix the agent data).
with sessions as (
    select * from {{ ref('fct_sessions') }}
),

spans as (
    select
        'session ' || session_id as what,
        {{ billing_floor_div(seconds_between('started_at', 'ended_at'), 86400) }} as days
    from sessions
    union all
    select
        'all sessions' as what,
        {{ billing_floor_div(epoch_seconds('max(ended_at)') ~ ' - ' ~ epoch_seconds('min(started_at)'), 86400) }}
        + 4 as days
    from sessions
)

select * from spans
where days > {{ billing_max_span_days() }}
