-- The run being built: one row. Every model that needs the cut-off time or the organisation's
-- time zone joins this (as data, so changing the as-of never forces dbt to re-parse).
with context as (
    select * from {{ source('raw', 'run_context') }}
),

typed as (
    select
        run_id,
        cast(as_of as {{ type_tstz() }}) as as_of,
        org_timezone
    from context
),

final as (
    select
        run_id,
        as_of,
        {{ utc_date('as_of') }} as as_of_date,
        org_timezone
    from typed
)

select * from final
