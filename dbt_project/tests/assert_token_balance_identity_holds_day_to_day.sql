{{ config(meta={'dagster': {'ref': {'name': 'rpt_token_balance_daily'}}}) }}
-- A returned row is a day of the token balance that breaks its identity: the balance is not the
-- previous day's balance + added - consumed - expired, or not tokens in packs - tokens overdrawn
-- to date, or a day is missing between the first day and the as-of date, or the ledger's packs
-- hold a different total that day.
with balance as (
    select * from {{ ref('rpt_token_balance_daily') }}
),

ledger as (
    select * from {{ ref('fct_token_ledger') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

stepped as (
    select
        *,
        lag(balance) over (order by balance_date) as previous_balance,
        lag(balance_date) over (order by balance_date) as previous_date
    from balance
),

-- what each pack holds at the end of each balance day, read from the ledger: a pack's
-- tokens_remaining holds from one of its rows to its next
pack_spans as (
    select
        order_id,
        ledger_date,
        lead(ledger_date) over (partition by order_id order by ledger_date) as next_ledger_date,
        tokens_remaining
    from ledger
    where not is_overdraft
),

held as (
    select
        balance.balance_date,
        sum(pack_spans.tokens_remaining) as tokens_held
    from balance
    inner join pack_spans
        on
            balance.balance_date >= pack_spans.ledger_date
            and (pack_spans.next_ledger_date is null or balance.balance_date < pack_spans.next_ledger_date)
    group by balance.balance_date
),

broken as (
    select
        stepped.balance_date,
        'balance <> previous + added - consumed - expired' as broken_rule
    from stepped
    where
        stepped.previous_balance is not null
        and stepped.balance
        <> stepped.previous_balance + stepped.tokens_added - stepped.tokens_consumed - stepped.tokens_expired
    union all
    select
        balance_date,
        'first balance <> added - consumed - expired' as broken_rule
    from stepped
    where previous_balance is null and balance <> tokens_added - tokens_consumed - tokens_expired
    union all
    select
        balance_date,
        'balance <> tokens_in_packs - tokens_overdrawn_to_date' as broken_rule
    from stepped
    where balance <> tokens_in_packs - tokens_overdrawn_to_date
    union all
    select
        stepped.balance_date,
        'a day is missing before this one' as broken_rule
    from stepped
    where {{ token_days_between('stepped.previous_date', 'stepped.balance_date') }} <> 1
    union all
    select
        stepped.balance_date,
        'tokens_in_packs <> what the ledger packs hold' as broken_rule
    from stepped
    left join held
        on stepped.balance_date = held.balance_date
    where stepped.tokens_in_packs <> coalesce(held.tokens_held, 0)
    union all
    select
        context.as_of_date as balance_date,
        'the balance does not end on the as-of date' as broken_rule
    from context
    where
        exists (select 1 from balance)
        and not exists (
            select 1 from balance
            where balance.balance_date = context.as_of_date
        )
)

select * from broken
