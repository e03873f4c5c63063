{{ config(meta={'dagster': {'ref': {'name': 'fct_sessions'}}}) }}
-- A returned row means agent log rows went missing: every raw row must end as a session, a
-- quarantined row, or a row that starts after the as-of time.
with raw_rows as (
    select count(*) as n from {{ source('raw', 'agent_sessions') }}
),

sessions as (
    select count(*) as n from {{ ref('fct_sessions') }}
),

quarantined as (
    select count(*) as n from {{ ref('int_rows_quarantined') }}
    where entity = 'sessions'
),

after_as_of as (
    select count(*) as n from {{ ref('int_sessions_resolved') }}
    where reject_reason is null and is_after_as_of
),

final as (
    select
        raw_rows.n as raw_rows,
        sessions.n + quarantined.n + after_as_of.n as accounted_rows
    from raw_rows
    cross join sessions
    cross join quarantined
    cross join after_as_of
)

select * from final
where raw_rows <> accounted_rows
