{{ config(materialized=billing_sql_twin_materialization()) }}
{%- set day = billing_window_seconds() %}
-- One row per Flex 24-hour window or grace interval of a person and product (flex-rules F2-F5a,
-- F9), before rates and coverage: its span, what opened it, and the sessions, hosts, open time and
-- active time inside it. Window n of a chain starts n x 24 hours after the chain's launch; a grace
-- row spans its (under five minutes) interval. The portable SQL engine: int_usage_windows_numpy
-- computes the same rows on DuckDB.
with intervals as (
    select * from {{ ref('int_usage_intervals_chained') }}
),

sessions as (
    select * from {{ ref('int_usage_sessions_merged') }}
),

day_offsets as (
    {{ billing_day_offsets() }}
),

-- the windows (counted from 0 at the chain start) each interval lies in, and those it opens: a
-- launch opens window 0, and every interval opens the windows that start while it runs
interval_positions as (
    select
        *,
        case
            when interval_role = 'grace' then 0
            else {{ billing_floor_div('interval_start_epoch - chain_start_epoch', day) }}
        end as first_window_index,
        case
            when interval_role = 'grace' then 0
            else greatest(
                {{ billing_floor_div('interval_start_epoch - chain_start_epoch', day) }},
                {{ billing_ceil_div('interval_end_epoch - chain_start_epoch', day) }} - 1
            )
        end as last_window_index
    from intervals
),

interval_openings as (
    select
        *,
        case
            when interval_role = 'continuation' then first_window_index + 1
            else 0
        end as first_opened_index,
        last_window_index - case
            when interval_role = 'continuation' then first_window_index + 1
            else 0
        end + 1 as windows_opened
    from interval_positions
),

opened_windows_repeated as (
    {{ billing_repeat_rows('interval_openings', 'windows_opened') }}
),

windows as (
    select
        user_key,
        product,
        chain_start_epoch,
        first_opened_index + step as window_index,
        case
            when interval_role = 'grace' then interval_start_epoch
            else chain_start_epoch + (first_opened_index + step) * {{ day }}
        end as window_start_epoch,
        case
            when interval_role = 'grace' then interval_end_epoch
            else chain_start_epoch + (first_opened_index + step + 1) * {{ day }}
        end as window_end_epoch,
        case when first_opened_index + step = 0 then 'launch' else 'renewal' end as opened_by,
        interval_role = 'grace' as is_grace
    from opened_windows_repeated
),

-- each session lies in the windows of its interval's chain that it overlaps (a session that is
-- zero seconds long at the very end of its interval belongs to the interval's last window)
session_positions as (
    select
        sessions.session_id,
        sessions.user_key,
        sessions.product,
        sessions.host,
        sessions.is_identity_resolved,
        sessions.is_open_at_as_of,
        sessions.started_epoch,
        sessions.ended_epoch,
        sessions.duration_seconds,
        sessions.active_seconds,
        interval_positions.interval_role,
        interval_positions.interval_start_epoch,
        interval_positions.interval_end_epoch,
        interval_positions.chain_start_epoch,
        case
            when interval_positions.interval_role = 'grace' then 0
            else least(
                {{ billing_floor_div('sessions.started_epoch - interval_positions.chain_start_epoch', day) }},
                interval_positions.last_window_index
            )
        end as first_window_index,
        interval_positions.last_window_index as interval_last_window_index
    from sessions
    inner join interval_positions
        on
            sessions.user_key = interval_positions.user_key
            and sessions.product = interval_positions.product
            and sessions.interval_number = interval_positions.interval_number
),

session_spans as (
    select
        *,
        case
            when interval_role = 'grace' then 1
            else least(
                greatest(
                    first_window_index,
                    {{ billing_ceil_div('ended_epoch - chain_start_epoch', day) }} - 1
                ),
                interval_last_window_index
            ) - first_window_index + 1
        end as windows_spanned
    from session_positions
),

session_pieces_repeated as (
    {{ billing_repeat_rows('session_spans', 'windows_spanned') }}
),

session_pieces as (
    select
        *,
        case
            when interval_role = 'grace' then interval_start_epoch
            else chain_start_epoch + (first_window_index + step) * {{ day }}
        end as window_start_epoch,
        case
            when interval_role = 'grace' then interval_end_epoch
            else chain_start_epoch + (first_window_index + step + 1) * {{ day }}
        end as window_end_epoch
    from session_pieces_repeated
),

session_pieces_measured as (
    select
        *,
        greatest(
            0,
            least(ended_epoch, window_end_epoch) - greatest(started_epoch, window_start_epoch)
        ) as overlap_seconds
    from session_pieces
),

session_stats as (
    select
        user_key,
        product,
        window_start_epoch,
        count(*) as sessions,
        count(distinct host) as hosts,
        sum({{ billing_prorated_active('active_seconds', 'overlap_seconds', 'duration_seconds') }}) as active_seconds,
        sum(case when active_seconds is null then 1 else 0 end) as sessions_without_active_seconds,
        min({{ flag_to_int('is_identity_resolved') }}) as identity_resolved_flag,
        max({{ flag_to_int('is_open_at_as_of') }}) as open_at_as_of_flag
    from session_pieces_measured
    group by user_key, product, window_start_epoch
),

-- open time (the union of sessions) inside each window: intervals are disjoint, so their
-- overlaps with a window add up
interval_spans as (
    select
        *,
        last_window_index - first_window_index + 1 as windows_spanned
    from interval_positions
),

interval_pieces_repeated as (
    {{ billing_repeat_rows('interval_spans', 'windows_spanned') }}
),

interval_pieces as (
    select
        user_key,
        product,
        case
            when interval_role = 'grace' then interval_start_epoch
            else chain_start_epoch + (first_window_index + step) * {{ day }}
        end as window_start_epoch,
        interval_start_epoch,
        interval_end_epoch,
        case
            when interval_role = 'grace' then interval_end_epoch
            else chain_start_epoch + (first_window_index + step + 1) * {{ day }}
        end as window_end_epoch
    from interval_pieces_repeated
),

open_stats as (
    select
        user_key,
        product,
        window_start_epoch,
        sum(
            greatest(
                0,
                least(interval_end_epoch, window_end_epoch) - greatest(interval_start_epoch, window_start_epoch)
            )
        ) as open_seconds
    from interval_pieces
    group by user_key, product, window_start_epoch
),

final as (
    select
        windows.user_key,
        windows.product,
        windows.window_start_epoch,
        windows.window_end_epoch,
        windows.window_index,
        windows.opened_by,
        windows.is_grace,
        session_stats.sessions,
        session_stats.hosts,
        cast(open_stats.open_seconds as {{ dbt.type_bigint() }}) as open_seconds,
        session_stats.active_seconds,
        cast(session_stats.sessions_without_active_seconds as {{ dbt.type_bigint() }})
            as sessions_without_active_seconds,
        session_stats.identity_resolved_flag = 1 as is_identity_resolved,
        session_stats.open_at_as_of_flag = 1 as has_session_open_at_as_of
    from windows
    left join session_stats
        on
            windows.user_key = session_stats.user_key
            and windows.product = session_stats.product
            and windows.window_start_epoch = session_stats.window_start_epoch
    left join open_stats
        on
            windows.user_key = open_stats.user_key
            and windows.product = open_stats.product
            and windows.window_start_epoch = open_stats.window_start_epoch
)

select * from final
