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
        cast(break_even_margin as decimal(9, 6)) as break_even_margin,
        cast(token_burn_window_days as integer) as token_burn_window_days,
        cast(token_top_up_lead_days as integer) as token_top_up_lead_days,
        cast(token_horizon_days as integer) as token_horizon_days,
        cast(token_horizon_date as date) as token_horizon_date,
        -- the pack sizes as a comma-separated list without spaces or brackets: 500,1000,5000
        replace(replace(replace(token_pack_sizes, '[', ''), ']', ''), ' ', '') as token_pack_sizes,
        cast(token_run_out_warning_days as integer) as token_run_out_warning_days
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
        break_even_margin,
        token_burn_window_days,
        token_top_up_lead_days,
        token_horizon_days,
        token_horizon_date,
        token_pack_sizes,
        token_run_out_warning_days
    from typed
)

select * from final
