-- One row per person x product x local date (the organisation's time zone, stg_run__context;
-- UTC when unset) with any use: sessions, hours open (the union of sessions, never a sum of
-- overlapping ones), hours active, and the tokens of the windows that started that local day.
-- Use is split at local midnights, DST-correctly: a local day lasts 23, 24 or 25 hours.
with fct_sessions as (
    select * from {{ ref('fct_sessions') }}
),

windows as (
    select * from {{ ref('fct_usage_windows') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

user_product_pairs as (
    select distinct
        user_key,
        product
    from fct_sessions
),

-- a number per person and product: the heavy steps below sort and group by it, not by two texts
user_products as (
    select
        user_key,
        product,
        row_number() over (order by user_key, product) as user_product_id
    from user_product_pairs
),

sessions as (
    select
        user_products.user_product_id,
        fct_sessions.active_seconds,
        {{ epoch_seconds('fct_sessions.started_at') }} as started_epoch,
        {{ epoch_seconds('fct_sessions.ended_at') }} as ended_epoch,
        {{ seconds_between('fct_sessions.started_at', 'fct_sessions.ended_at') }} as duration_seconds
    from fct_sessions
    inner join user_products
        on
            fct_sessions.user_key = user_products.user_key
            and fct_sessions.product = user_products.product
),

day_offsets as (
    {{ billing_day_offsets() }}
),

minutes_of_day as (
    select cast(generated_number - 1 as {{ dbt.type_bigint() }}) as minute_of_day
    from ({{ dbt.generate_series(1440) }}) as series
),

-- A calendar of the minutes around the data (from the UTC day before the first session to two
-- UTC days after the last one), each with its local date. Local dates change only on whole
-- minutes, so a session's local day follows from the minute it starts or ends in: an integer
-- join instead of a time-zone conversion per row.
data_span as (
    select
        {{ billing_floor_div('min(started_epoch)', 86400) }} - 1 as first_utc_day,
        {{ billing_floor_div('max(ended_epoch)', 86400) }} + 2 as last_utc_day
    from sessions
),

calendar_minutes as (
    select
        (data_span.first_utc_day + day_offsets.day_offset) * 1440 + minutes_of_day.minute_of_day as minute_number,
        coalesce(context.org_timezone, 'UTC') as org_timezone
    from data_span
    cross join day_offsets
    cross join minutes_of_day
    cross join context
    where day_offsets.day_offset <= data_span.last_utc_day - data_span.first_utc_day
),

minute_dates as (
    select
        minute_number,
        {{ local_date(billing_epoch_to_tstz('minute_number * 60'), 'org_timezone') }} as usage_date_local
    from calendar_minutes
),

-- runs of minutes with the same local date (one per local day, two where a zone turns its
-- clocks back across midnight)
minute_date_changes as (
    select
        minute_number,
        usage_date_local,
        case
            when lag(usage_date_local) over (order by minute_number) = usage_date_local then 0
            else 1
        end as starts_run
    from minute_dates
),

minute_runs as (
    select
        minute_number,
        usage_date_local,
        sum(starts_run) over (
            order by minute_number rows between unbounded preceding and current row
        ) as run_number
    from minute_date_changes
),

local_run_spans as (
    select
        run_number,
        min(usage_date_local) as usage_date_local,
        min(minute_number) * 60 as run_start_epoch,
        (max(minute_number) + 1) * 60 as run_end_epoch
    from minute_runs
    group by run_number
),

-- the previous run of the same local date (none, unless the clocks went back across midnight):
-- a session piece in a run counts once per date
local_runs as (
    select
        *,
        lag(run_number) over (partition by usage_date_local order by run_number) as previous_run_of_date
    from local_run_spans
),

-- sessions split at local midnights
session_run_spans as (
    select
        sessions.*,
        start_minute.run_number as first_run_number,
        end_minute.run_number - start_minute.run_number + 1 as runs_spanned
    from sessions
    inner join minute_runs as start_minute
        on {{ billing_floor_div('sessions.started_epoch', 60) }} = start_minute.minute_number
    inner join minute_runs as end_minute
        on {{ billing_floor_div('sessions.ended_epoch', 60) }} = end_minute.minute_number
),

session_runs_repeated as (
    {{ billing_repeat_rows('session_run_spans', 'runs_spanned') }}
),

session_pieces as (
    select
        session_runs_repeated.user_product_id,
        local_runs.usage_date_local,
        session_runs_repeated.duration_seconds,
        session_runs_repeated.active_seconds,
        session_runs_repeated.step,
        case
            when local_runs.previous_run_of_date >= session_runs_repeated.first_run_number then 1
            else 0
        end as is_date_repeat,
        greatest(session_runs_repeated.started_epoch, local_runs.run_start_epoch) as piece_start_epoch,
        least(session_runs_repeated.ended_epoch, local_runs.run_end_epoch) as piece_end_epoch
    from session_runs_repeated
    inner join local_runs
        on session_runs_repeated.first_run_number + session_runs_repeated.step = local_runs.run_number
),

-- a piece counts when it has open time (a session ending exactly at midnight does not touch the
-- next day); a session of zero seconds counts once, on its day
session_pieces_kept as (
    select * from session_pieces
    where piece_end_epoch > piece_start_epoch or (duration_seconds = 0 and step = 0)
),

-- open time = the union of the day's pieces: each piece adds what it covers beyond the latest end
-- of the pieces that started before it (pieces never cross a local midnight, so earlier days'
-- pieces, which end before this day starts, change nothing)
session_pieces_ordered as (
    select
        *,
        max(piece_end_epoch) over (
            partition by user_product_id
            order by piece_start_epoch
            rows between unbounded preceding and 1 preceding
        ) as previous_end_epoch
    from session_pieces_kept
),

session_measures as (
    select
        user_product_id,
        usage_date_local,
        1 - is_date_repeat as sessions,
        greatest(
            0,
            piece_end_epoch - greatest(piece_start_epoch, coalesce(previous_end_epoch, piece_start_epoch))
        ) as open_seconds,
        {{ billing_prorated_active('active_seconds', 'piece_end_epoch - piece_start_epoch', 'duration_seconds') }}
            as active_seconds,
        0 as windows,
        0 as windows_charged,
        0 as windows_rate_unknown,
        cast(null as {{ dbt.type_bigint() }}) as tokens_charged,
        cast(null as {{ dbt.type_bigint() }}) as tokens_avoidable
    from session_pieces_ordered
),

-- the windows, on the local day they started (every window starts while a session is open, so
-- that day has session pieces too)
window_measures as (
    select
        user_products.user_product_id,
        minute_runs.usage_date_local,
        0 as sessions,
        0 as open_seconds,
        cast(null as {{ type_double() }}) as active_seconds,
        case when windows.charge_status <> 'grace' then 1 else 0 end as windows,
        case when windows.charge_status = 'charged' then 1 else 0 end as windows_charged,
        case when windows.charge_status = 'rate_unknown' then 1 else 0 end as windows_rate_unknown,
        windows.tokens_charged,
        windows.tokens_avoidable
    from windows
    inner join user_products
        on
            windows.user_key = user_products.user_key
            and windows.product = user_products.product
    inner join minute_runs
        on {{ billing_floor_div(epoch_seconds('windows.window_start_at'), 60) }} = minute_runs.minute_number
),

measures as (
    select * from session_measures
    union all
    select * from window_measures
),

days as (
    select
        user_product_id,
        usage_date_local,
        sum(sessions) as sessions,
        sum(open_seconds) as open_seconds,
        sum(active_seconds) as active_seconds,
        sum(windows) as windows,
        sum(windows_charged) as windows_charged,
        sum(windows_rate_unknown) as windows_rate_unknown,
        sum(tokens_charged) as tokens_charged,
        sum(tokens_avoidable) as tokens_avoidable
    from measures
    group by user_product_id, usage_date_local
),

final as (
    select
        user_products.user_key,
        user_products.product,
        days.usage_date_local,
        cast(days.sessions as {{ dbt.type_bigint() }}) as sessions,
        cast(days.open_seconds / 3600.0 as decimal(18, 6)) as hours_open,
        cast(days.active_seconds / 3600.0 as decimal(18, 6)) as hours_active,
        cast(days.windows as {{ dbt.type_bigint() }}) as windows,
        cast(days.windows_charged as {{ dbt.type_bigint() }}) as windows_charged,
        cast(days.windows_rate_unknown as {{ dbt.type_bigint() }}) as windows_rate_unknown,
        cast(coalesce(days.tokens_charged, 0) as {{ dbt.type_bigint() }}) as tokens_charged,
        cast(coalesce(days.tokens_avoidable, 0) as {{ dbt.type_bigint() }}) as tokens_avoidable
    from days
    inner join user_products
        on days.user_product_id = user_products.user_product_id
)

select * from final
