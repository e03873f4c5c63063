-- A returned row means a window's tokens do not follow from its status: a charged window costs
-- exactly its product's rate of the day; grace and covered rows cost 0; a window without a
-- rate has null tokens and a null rate, never a silent 0 (flex-rules F5, F6, F7).
with windows as (
    select * from {{ ref('fct_usage_windows') }}
)

select
    window_id,
    charge_status,
    tokens_per_day,
    tokens_charged
from windows
where
    (
        charge_status = 'charged'
        and (tokens_per_day is null or tokens_charged is null or tokens_charged <> tokens_per_day)
    )
    or (charge_status in ('grace', 'covered_by_subscription') and (tokens_charged is null or tokens_charged <> 0))
    or (charge_status = 'rate_unknown' and (tokens_per_day is not null or tokens_charged is not null))
