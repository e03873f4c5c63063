-- A returned row means two windows (or a window and a grace row) of one person and product
-- overlap in time: each instant of use is billed by at most one window (flex-rules F2/F3).
with windows as (
    select * from {{ ref('fct_usage_windows') }}
),

ordered as (
    select
        user_key,
        product,
        window_id,
        window_start_at,
        window_end_at,
        lead(window_id) over (
            partition by user_key, product order by window_start_at
        ) as next_window_id,
        lead(window_start_at) over (
            partition by user_key, product order by window_start_at
        ) as next_window_start_at
    from windows
)

select * from ordered
where next_window_start_at < window_end_at
