{{ config(meta={'dagster': {'ref': {'name': 'fct_token_ledger'}}}) }}
-- A returned row is a UTC day on which the tokens the ledger consumed (packs and the overdraft
-- account) differ from the tokens charged by the windows that started that day: every charged
-- token must be drawn exactly once, none clipped, none invented.
with ledger as (
    select * from {{ ref('fct_token_ledger') }}
),

windows as (
    select * from {{ ref('fct_usage_windows') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

consumed as (
    select
        ledger_date as usage_date,
        sum(tokens_consumed) as tokens_consumed
    from ledger
    group by ledger_date
    having sum(tokens_consumed) > 0
),

charged as (
    select
        windows.usage_date,
        sum(windows.tokens_charged) as tokens_charged
    from windows
    cross join context
    where windows.charge_status = 'charged' and windows.usage_date <= context.as_of_date
    group by windows.usage_date
    having sum(windows.tokens_charged) > 0
),

compared as (
    select
        coalesce(consumed.usage_date, charged.usage_date) as usage_date,
        coalesce(consumed.tokens_consumed, 0) as tokens_consumed,
        coalesce(charged.tokens_charged, 0) as tokens_charged
    from consumed
    full outer join charged
        on consumed.usage_date = charged.usage_date
)

select * from compared
where tokens_consumed <> tokens_charged
