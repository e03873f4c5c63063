-- One row per network session x local day it touches: the seconds of the session within that
-- day (0 for a checkout that started and ended at the same instant). Who used a product on a
-- day, and how long, for distinct users per day and days used per person.
with sessions as (
    select * from {{ ref('int_network_sessions_resolved') }}
    where status = 'used'
),

days as (
    select * from {{ ref('int_network_days_spanned') }}
),

spans as (
    select
        session_id,
        product,
        user_key,
        licenses,
        is_end_estimated,
        {{ epoch_seconds('started_at') }} as start_epoch,
        {{ epoch_seconds('ended_at') }} as end_epoch
    from sessions
),

final as (
    select
        spans.session_id,
        spans.product,
        spans.user_key,
        days.usage_date,
        spans.licenses,
        spans.is_end_estimated,
        least(spans.end_epoch, days.day_end_epoch)
        - greatest(spans.start_epoch, days.day_start_epoch) as seconds
    from spans
    inner join days
        on
            spans.product = days.product
            and spans.start_epoch < days.day_end_epoch
            and (
                spans.end_epoch > days.day_start_epoch
                or (spans.end_epoch = spans.start_epoch and spans.start_epoch >= days.day_start_epoch)
            )
)

select * from final
