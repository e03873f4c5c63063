-- One row per Flex 24-hour window, or per grace interval, of a person (Autodesk ID) and product:
-- what it cost (flex-rules F1-F9). Rate and coverage are judged on the UTC date the window
-- started (`usage_date`, F8/F8a).
with windows as (
    select * from {{ ref('int_usage_windows') }}
),

rates as (
    select * from {{ ref('int_token_rates_effective') }}
),

coverage as (
    select * from {{ ref('int_subscription_coverage') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

dated as (
    select
        *,
        {{ billing_epoch_to_tstz('window_start_epoch') }} as window_start_at,
        {{ billing_epoch_to_tstz('window_end_epoch') }} as window_end_at,
        {{ billing_epoch_utc_date('window_start_epoch') }} as usage_date
    from windows
),

-- the rate in force on each product and day that has windows (F7); overlapping rate rows: the
-- one that started last
product_days as (
    select distinct
        product,
        usage_date
    from dated
),

product_day_rates as (
    select
        product_days.product,
        product_days.usage_date,
        rates.tokens_per_day,
        row_number() over (
            partition by product_days.product, product_days.usage_date
            order by rates.effective_from desc, rates.tokens_per_day desc
        ) as rate_rank
    from product_days
    inner join rates
        on
            product_days.product = rates.product
            and (rates.effective_from is null or product_days.usage_date >= rates.effective_from)
            and (rates.effective_to is null or product_days.usage_date <= rates.effective_to)
),

-- the assignment that makes each window free (F6/F6a): active on the window's start date d when
-- covered_from <= d < covered_until; a direct assignment is preferred to a collection, named to
-- trial, for the record
window_coverage as (
    select
        dated.user_key,
        dated.product,
        dated.window_start_epoch,
        coverage.covered_by,
        coverage.via_collection,
        row_number() over (
            partition by dated.user_key, dated.product, dated.window_start_epoch
            order by
                case when coverage.via_collection is null then 0 else 1 end,
                case when coverage.covered_by = 'named' then 0 else 1 end,
                coverage.via_collection,
                coverage.covered_from
        ) as coverage_rank
    from dated
    inner join coverage
        on
            dated.user_key = coverage.user_key
            and dated.product = coverage.product
            and (coverage.covered_from is null or dated.usage_date >= coverage.covered_from)
            and (coverage.covered_until is null or dated.usage_date < coverage.covered_until)
),

priced as (
    select
        dated.*,
        product_day_rates.tokens_per_day,
        window_coverage.covered_by,
        window_coverage.via_collection,
        case
            when dated.is_grace then 'grace'
            when window_coverage.user_key is not null then 'covered_by_subscription'
            when product_day_rates.tokens_per_day is null then 'rate_unknown'
            else 'charged'
        end as charge_status
    from dated
    left join product_day_rates
        on
            dated.product = product_day_rates.product
            and dated.usage_date = product_day_rates.usage_date
            and product_day_rates.rate_rank = 1
    left join window_coverage
        on
            dated.user_key = window_coverage.user_key
            and dated.product = window_coverage.product
            and dated.window_start_epoch = window_coverage.window_start_epoch
            and window_coverage.coverage_rank = 1
),

flagged as (
    select
        priced.*,
        case
            when priced.charge_status = 'charged' then priced.tokens_per_day
            when priced.charge_status in ('grace', 'covered_by_subscription') then 0
        end as tokens_charged,
        priced.opened_by = 'renewal' as is_renewal,
        -- F9: mostly idle when the sessions' active time in the window is under the share
        -- `idle_active_share` of the time the product was open in it; unknown active time
        -- (an agent that does not report it) never makes a window idle
        priced.sessions_without_active_seconds = 0
        and priced.active_seconds < {{ var('idle_active_share', 0.5) }} * priced.open_seconds as is_mostly_idle
    from priced
),

final as (
    select
        {{ dbt.concat([
            "flagged.user_key", "'|'", "flagged.product", "'|'",
            billing_bigint_text('flagged.window_start_epoch')
        ]) }} as window_id,
        flagged.user_key,
        flagged.product,
        flagged.window_start_at,
        flagged.window_end_at,
        flagged.usage_date,
        flagged.opened_by,
        flagged.charge_status,
        flagged.tokens_per_day,
        flagged.tokens_charged,
        flagged.covered_by,
        flagged.via_collection as covered_via_collection,
        flagged.is_identity_resolved,
        flagged.window_index,
        flagged.sessions,
        flagged.hosts,
        flagged.open_seconds,
        cast(flagged.active_seconds as {{ type_double() }}) as active_seconds,
        flagged.sessions_without_active_seconds,
        flagged.is_renewal,
        flagged.is_mostly_idle,
        flagged.charge_status in ('charged', 'rate_unknown')
        and (flagged.is_renewal or flagged.is_mostly_idle) as is_avoidable,
        case
            when
                flagged.charge_status in ('charged', 'rate_unknown')
                and (flagged.is_renewal or flagged.is_mostly_idle)
                then flagged.tokens_charged
            else 0
        end as tokens_avoidable,
        flagged.has_session_open_at_as_of,
        flagged.window_end_at > context.as_of as is_in_progress_at_as_of
    from flagged
    cross join context
)

select * from final
