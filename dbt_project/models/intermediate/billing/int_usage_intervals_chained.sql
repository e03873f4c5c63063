{#- The chain of the portable SQL engine: a recursive CTE, one step per interval of each person and
    product (int_usage_windows_numpy does the same in numpy on DuckDB, where this is a view that
    unit tests and tests/assert_usage_window_engines_agree.sql read). The engines' settings for a
    recursion come from recursive_cte_hooks() (portability.sql). -#}
{{ config(
    materialized=billing_sql_twin_materialization(),
    pre_hook=recursive_cte_hooks(var('billing_max_intervals_per_chain', 1000000)),
    post_hook=fresh_statistics_hooks(),
) }}
{%- set day = billing_window_seconds() %}
-- One row per usage interval with its role in the chain of 24-hour Flex windows and the start of
-- that chain (flex-rules F2-F5a). An interval that starts outside an open window is `grace` (under
-- var grace_seconds: it opens nothing) or `launch` (it opens a window at its start); one that
-- starts inside an open window is a `continuation`. Windows of a chain start every 24 hours from
-- its launch for as long as use runs past a window's end (renewals, F4).
with intervals as (
    select * from {{ ref('int_usage_intervals_merged') }}
),

-- an interval that starts 24 hours or more after the previous one ended is judged afresh whatever
-- came before (an open window always ends less than 24 hours after the last interval in it), so
-- the recursion starts at each such interval and walks only up to the next one: its depth is the
-- longest run of intervals less than a day apart (47 in the sample), not the longest history (921)
segment_starts as (
    select *
    from (
        select
            *,
            interval_start_epoch - lag(interval_end_epoch) over (
                partition by user_key, product order by interval_number
            ) as seconds_since_previous
        from intervals
    ) as with_gaps
    where seconds_since_previous is null or seconds_since_previous >= {{ day }}
),

chained as (
    select *
    from (
        with recursive chain as (
            select
                user_key,
                product,
                interval_number,
                interval_start_epoch,
                interval_end_epoch,
                sessions,
                case
                    when interval_end_epoch - interval_start_epoch < {{ var('grace_seconds') }}
                        then cast('grace' as {{ dbt.type_string() }})
                    else cast('launch' as {{ dbt.type_string() }})
                end as interval_role,
                interval_start_epoch as chain_start_epoch,
                -- the end of the window open after this interval (null: none open)
                case
                    when interval_end_epoch - interval_start_epoch < {{ var('grace_seconds') }}
                        then cast(null as {{ dbt.type_bigint() }})
                    else interval_start_epoch + {{ day }} * greatest(
                        1,
                        {{ billing_ceil_div('interval_end_epoch - interval_start_epoch', day) }}
                    )
                end as window_end_epoch
            from segment_starts

            union all

            select
                next_interval.user_key,
                next_interval.product,
                next_interval.interval_number,
                next_interval.interval_start_epoch,
                next_interval.interval_end_epoch,
                next_interval.sessions,
                case
                    when next_interval.interval_start_epoch < chain.window_end_epoch
                        then cast('continuation' as {{ dbt.type_string() }})
                    when
                        next_interval.interval_end_epoch - next_interval.interval_start_epoch
                        < {{ var('grace_seconds') }}
                        then cast('grace' as {{ dbt.type_string() }})
                    else cast('launch' as {{ dbt.type_string() }})
                end as interval_role,
                case
                    when next_interval.interval_start_epoch < chain.window_end_epoch
                        then chain.chain_start_epoch
                    else next_interval.interval_start_epoch
                end as chain_start_epoch,
                case
                    when next_interval.interval_start_epoch < chain.window_end_epoch
                        then chain.window_end_epoch + {{ day }} * greatest(
                            0,
                            {{ billing_ceil_div('next_interval.interval_end_epoch - chain.window_end_epoch', day) }}
                        )
                    when
                        next_interval.interval_end_epoch - next_interval.interval_start_epoch
                        < {{ var('grace_seconds') }}
                        then cast(null as {{ dbt.type_bigint() }})
                    else next_interval.interval_start_epoch + {{ day }} * greatest(
                        1,
                        {{ billing_ceil_div(
                            'next_interval.interval_end_epoch - next_interval.interval_start_epoch', day
                        ) }}
                    )
                end as window_end_epoch
            from chain
            -- the table itself, not the import CTE: a CTE read twice is materialised on
            -- PostgreSQL and loses the table's index on (user_key, product, interval_number)
            inner join {{ ref('int_usage_intervals_merged') }} as next_interval
                on
                    chain.user_key = next_interval.user_key
                    and chain.product = next_interval.product
                    and chain.interval_number + 1 = next_interval.interval_number
                    and next_interval.interval_start_epoch - chain.interval_end_epoch < {{ day }}
        )

        select * from chain
    ) as chain_result
),

final as (
    select
        user_key,
        product,
        interval_number,
        interval_start_epoch,
        interval_end_epoch,
        sessions,
        interval_role,
        chain_start_epoch
    from chained
)

select * from final
