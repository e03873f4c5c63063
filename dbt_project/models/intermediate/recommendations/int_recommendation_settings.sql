-- One row: the run's settings as the recommendations use them, and the periods they look at.
-- The analysis window is the `analysis_window_days` days ending on the as-of date; the history
-- actually analysed starts at the later of the window start and the first day with usage data
-- (a shorter history is annualised, and the reasons say so). The trend period is the last
-- var('trend_window_days', 90) days. Costs and break-even use the E5 token price.
with context as (
    select * from {{ ref('stg_run__context') }}
),

token_price as (
    select * from {{ ref('int_token_price_effective') }}
),

windows as (
    select * from {{ ref('fct_usage_windows') }}
),

data_span as (
    select min(windows.usage_date) as data_start_on
    from windows
    cross join context
    where windows.usage_date <= context.as_of_date
),

bounds as (
    select
        context.run_id,
        context.as_of_date,
        coalesce(context.currency, 'USD') as currency,
        context.analysis_window_days,
        context.inactivity_days,
        context.new_starter_grace_days,
        context.break_even_margin,
        cast({{ var('trend_window_days', 90) }} as integer) as trend_window_days,
        token_price.token_price,
        token_price.token_price_source,
        data_span.data_start_on,
        cast({{ dbt.dateadd('day', '1 - context.analysis_window_days', 'context.as_of_date') }} as date)
            as window_start_on,
        cast({{ dbt.dateadd('day', '1 - ' ~ var('trend_window_days', 90), 'context.as_of_date') }} as date)
            as trend_start_on
    from context
    cross join token_price
    cross join data_span
),

final as (
    select
        run_id,
        as_of_date,
        currency,
        analysis_window_days,
        inactivity_days,
        new_starter_grace_days,
        break_even_margin,
        trend_window_days,
        token_price,
        token_price_source,
        window_start_on,
        coalesce(data_start_on, as_of_date) as data_start_on,
        case
            when data_start_on is null or data_start_on < window_start_on then window_start_on
            else data_start_on
        end as history_start_on,
        trend_start_on
    from bounds
)

select * from final
