{{ config(severity='warn', store_failures=true) }}
-- A returned row names a product whose windows could not be priced: no token rate is known for
-- it on their usage dates, so they are rate_unknown with null tokens (flex-rules section 3). Add
-- its rate to reference/token_rates.csv.
with windows as (
    select * from {{ ref('fct_usage_windows') }}
    where charge_status = 'rate_unknown'
)

select
    product,
    count(*) as windows,
    min(usage_date) as first_usage_date,
    max(usage_date) as last_usage_date,
    {{ dbt.concat([
        "'No token rate for '", "product", "' on '",
        "cast(count(*) as " ~ dbt.type_string() ~ ")", "' windows: add it to reference/token_rates.csv'"
    ]) }} as message
from windows
group by product
