{{ config(
    materialized=billing_sql_twin_materialization(),
    indexes=recursive_step_index(['user_key', 'product', 'interval_number']),
    post_hook=fresh_statistics_hooks(),
) }}
-- One row per usage interval: person x product x maximal stretch of time during which at least
-- one session of the product was open on any host (overlapping or touching sessions merged,
-- flex-rules F5a). Numbered 1, 2, ... in time order per person and product.
-- Part of the portable SQL engine (on DuckDB a view: int_usage_windows_numpy does the work).
with sessions as (
    select * from {{ ref('int_usage_sessions_merged') }}
),

final as (
    select
        user_key,
        product,
        interval_number,
        min(started_epoch) as interval_start_epoch,
        max(ended_epoch) as interval_end_epoch,
        count(*) as sessions
    from sessions
    group by user_key, product, interval_number
)

select * from final
