-- A returned row means fct_daily_usage holds a person, product and local date twice (its grain).
select
    user_key,
    product,
    usage_date_local,
    count(*) as rows_for_day
from {{ ref('fct_daily_usage') }}
group by user_key, product, usage_date_local
having count(*) > 1
