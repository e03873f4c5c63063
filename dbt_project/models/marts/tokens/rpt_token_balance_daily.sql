-- One row per UTC day, every day from the first pack purchase (or the first charged window, if
-- earlier) to the as-of date: tokens added, consumed (every token charged, also those no pack
-- could serve), expired, and the balance at the end of the day. balance = yesterday's balance +
-- added - consumed - expired = tokens left in packs - tokens overdrawn to date: it goes below zero
-- when charges exceed what the packs held (T4: never clipped), and the day is flagged overdrawn
-- when a charge found no usable tokens.
with ledger as (
    select * from {{ ref('fct_token_ledger') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

day_offsets as (
    {{ token_day_offsets(var('token_max_history_days', 36600)) }}
),

span as (
    select min(ledger_date) as first_date
    from ledger
),

calendar as (
    select cast(span.first_date + day_offsets.day_offset as date) as balance_date
    from span
    cross join day_offsets
    cross join context
    where day_offsets.day_offset <= {{ token_days_between('span.first_date', 'context.as_of_date') }}
),

movements as (
    select
        ledger_date,
        sum(tokens_added) as tokens_added,
        sum(tokens_consumed) as tokens_consumed,
        sum(case when is_overdraft then 0 else tokens_consumed end) as tokens_drawn,
        sum(case when is_overdraft then tokens_consumed else 0 end) as tokens_overdrawn,
        sum(tokens_expired) as tokens_expired,
        sum(consumed_cost) as consumed_cost
    from ledger
    group by ledger_date
),

days as (
    select
        calendar.balance_date,
        coalesce(movements.tokens_added, 0) as tokens_added,
        coalesce(movements.tokens_consumed, 0) as tokens_consumed,
        coalesce(movements.tokens_drawn, 0) as tokens_drawn,
        coalesce(movements.tokens_overdrawn, 0) as tokens_overdrawn,
        coalesce(movements.tokens_expired, 0) as tokens_expired,
        coalesce(movements.consumed_cost, 0) as consumed_cost
    from calendar
    left join movements
        on calendar.balance_date = movements.ledger_date
),

running as (
    select
        *,
        sum(tokens_added - tokens_drawn - tokens_expired) over (
            order by balance_date rows between unbounded preceding and current row
        ) as tokens_in_packs,
        sum(tokens_overdrawn) over (
            order by balance_date rows between unbounded preceding and current row
        ) as tokens_overdrawn_to_date
    from days
),

final as (
    select
        running.balance_date,
        {{ token_weekday('running.balance_date') }} as weekday,
        cast(running.tokens_added as {{ dbt.type_bigint() }}) as tokens_added,
        cast(running.tokens_consumed as {{ dbt.type_bigint() }}) as tokens_consumed,
        cast(running.tokens_drawn as {{ dbt.type_bigint() }}) as tokens_drawn,
        cast(running.tokens_overdrawn as {{ dbt.type_bigint() }}) as tokens_overdrawn,
        cast(running.tokens_expired as {{ dbt.type_bigint() }}) as tokens_expired,
        cast(running.tokens_in_packs as {{ dbt.type_bigint() }}) as tokens_in_packs,
        cast(running.tokens_overdrawn_to_date as {{ dbt.type_bigint() }}) as tokens_overdrawn_to_date,
        cast(running.tokens_in_packs - running.tokens_overdrawn_to_date as {{ dbt.type_bigint() }}) as balance,
        running.tokens_overdrawn > 0 as is_overdrawn,
        cast(running.consumed_cost as decimal(18, 4)) as consumed_cost,
        context.currency
    from running
    cross join context
)

select * from final
