-- One row per weekday (0 = Monday .. 6 = Sunday): the tokens charged per day on that weekday over
-- the trailing burn window, the token_burn_window_days complete UTC days before the as-of date
-- (the as-of day itself is still running). A window longer than the history starts at the first
-- day of the history. Weekends burn differently from weekdays, so each weekday has its own rate.
with balance as (
    select * from {{ ref('rpt_token_balance_daily') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

weekdays as (
    select cast(generated_number - 1 as integer) as weekday
    from ({{ dbt.generate_series(7) }}) as series
),

burn_window as (
    select
        cast(context.as_of_date - context.token_burn_window_days as date) as window_start,
        cast(context.as_of_date - 1 as date) as window_end
    from context
),

days_in_window as (
    select
        balance.weekday,
        count(*) as days,
        sum(balance.tokens_consumed) as tokens_consumed
    from balance
    cross join burn_window
    where balance.balance_date between burn_window.window_start and burn_window.window_end
    group by balance.weekday
),

window_days as (
    select
        min(balance.balance_date) as first_date,
        count(*) as days
    from balance
    cross join burn_window
    where balance.balance_date between burn_window.window_start and burn_window.window_end
),

final as (
    select
        weekdays.weekday,
        case weekdays.weekday
            when 0 then 'Monday'
            when 1 then 'Tuesday'
            when 2 then 'Wednesday'
            when 3 then 'Thursday'
            when 4 then 'Friday'
            when 5 then 'Saturday'
            else 'Sunday'
        end as weekday_name,
        window_days.first_date as window_start,
        burn_window.window_end,
        cast(window_days.days as integer) as window_days,
        cast(coalesce(days_in_window.days, 0) as integer) as days_sampled,
        cast(coalesce(days_in_window.tokens_consumed, 0) as {{ dbt.type_bigint() }}) as tokens_consumed,
        cast(
            coalesce(
                cast(days_in_window.tokens_consumed as {{ dbt.type_numeric() }}) / nullif(days_in_window.days, 0),
                0
            ) as {{ dbt.type_numeric() }}
        ) as tokens_per_day
    from weekdays
    cross join burn_window
    cross join window_days
    left join days_in_window
        on weekdays.weekday = days_in_window.weekday
)

select * from final
