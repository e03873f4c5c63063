{{ config(meta={'dagster': {'ref': {'name': 'fct_daily_usage'}}}) }}
-- A returned row means fct_daily_usage and fct_usage_windows disagree for a person and product:
-- total tokens charged, windows started, or hours open (the union of sessions, cut at local
-- midnights in one and at window ends in the other, so the totals must match).
with windows as (
    select * from {{ ref('fct_usage_windows') }}
),

daily as (
    select * from {{ ref('fct_daily_usage') }}
),

window_totals as (
    select
        user_key,
        product,
        coalesce(sum(tokens_charged), 0) as tokens_charged,
        sum(case when charge_status <> 'grace' then 1 else 0 end) as windows,
        sum(open_seconds) as open_seconds
    from windows
    group by user_key, product
),

daily_totals as (
    select
        user_key,
        product,
        sum(tokens_charged) as tokens_charged,
        sum(windows) as windows,
        sum(hours_open) * 3600 as open_seconds,
        count(*) as days
    from daily
    group by user_key, product
),

compared as (
    select
        coalesce(window_totals.user_key, daily_totals.user_key) as user_key,
        coalesce(window_totals.product, daily_totals.product) as product,
        window_totals.tokens_charged as window_tokens,
        daily_totals.tokens_charged as daily_tokens,
        window_totals.windows as window_count,
        daily_totals.windows as daily_window_count,
        window_totals.open_seconds as window_open_seconds,
        daily_totals.open_seconds as daily_open_seconds,
        daily_totals.days
    from window_totals
    full outer join daily_totals
        on
            window_totals.user_key = daily_totals.user_key
            and window_totals.product = daily_totals.product
)

select * from compared
where
    window_tokens is null
    or daily_tokens is null
    or window_tokens <> daily_tokens
    or window_count <> daily_window_count
    -- hours_open keeps 6 decimals: up to 0.0018 s of rounding per day
    or abs(window_open_seconds - daily_open_seconds) > 0.002 * days
