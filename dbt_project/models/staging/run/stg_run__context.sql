-- The run being built: one row. Every model that needs the cut-off time or the organisation's
-- time zone joins this (as data, so changing the as-of never forces dbt to re-parse).
with context as (
    select * from {{ source('raw', 'run_context') }}
),

typed as (
    select
        run_id,
        cast(as_of as {{ type_tstz() }}) as as_of,
        org_timezone,
        currency,
        cast(token_price as decimal(18, 6)) as token_price,
        cast(analysis_window_days as integer) as analysis_window_days,
        cast(inactivity_days as integer) as inactivity_days,
        cast(new_starter_grace_days as integer) as new_starter_grace_days,
        cast(break_even_margin as decimal(9, 6)) as break_even_margin
    from context
),

final as (
    select
        run_id,
        as_of,
        {{ utc_date('as_of') }} as as_of_date,
        org_timezone,
        currency,
        token_price,
        analysis_window_days,
        inactivity_days,
        new_starter_grace_days,
        break_even_margin
    from typed
)

select * from final
