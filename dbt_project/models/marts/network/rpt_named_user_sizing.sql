-- One row per product (or collection) used over the network or holding network licences: how
-- many named-user seats the people who used it need, and what each way out of network licensing
-- costs a year (flex-rules E1, E4):
--   all named        one named seat per distinct user;
--   2-for-1 trade-in two named seats per current network licence (the pool size);
--   recommended mix  a named seat for each person used on more days a year than the break-even
--                    (annual named price / (tokens per day x token price)), Flex for the rest at
--                    their expected token cost (days a year x tokens per day x token price).
-- Days a year are the days used in the sizing period (int_network_user_days_counted) scaled to
-- 365 days. Prices and rates are those in force at the end of the period. Without a token rate
-- (collections, products whose rate is unknown) or a price, the mix is not computed:
-- `sizing_status` says why.
with user_days as (
    select * from {{ ref('int_network_user_days_counted') }}
),

pools as (
    select * from {{ ref('int_network_pools_sized') }}
),

prices as (
    select * from {{ ref('int_prices_effective') }}
),

rates as (
    select * from {{ ref('int_token_rates_effective') }}
),

token_price as (
    select * from {{ ref('int_token_price_effective') }}
),

segments as (
    select * from {{ ref('int_network_usage_segments') }}
),

period as (
    select
        max(period_start) as period_start,
        max(period_end) as period_end,
        max(observed_days) as observed_days
    from user_days
),

products as (
    select product from user_days
    union
    select product from pools
),

price_candidates as (
    select
        products.product,
        prices.annual_price,
        prices.currency,
        row_number() over (
            partition by products.product order by prices.effective_from desc
        ) as rank_in_product
    from products
    cross join period
    inner join prices
        on
            products.product = prices.product_or_collection
            and prices.effective_from <= coalesce(period.period_end, prices.effective_from)
),

rate_candidates as (
    select
        products.product,
        rates.tokens_per_day,
        row_number() over (
            partition by products.product order by rates.effective_from desc
        ) as rank_in_product
    from products
    cross join period
    inner join rates
        on
            products.product = rates.product
            and rates.effective_from <= coalesce(period.period_end, rates.effective_from)
            and (rates.effective_to is null or coalesce(period.period_end, rates.effective_to) <= rates.effective_to)
),

economics as (
    select
        products.product,
        cast(price_candidates.annual_price as decimal(18, 2)) as annual_price,
        price_candidates.currency,
        rate_candidates.tokens_per_day,
        token_price.token_price,
        token_price.token_price_source,
        -- casts outside a case: a case with a null branch drops the scale on PostgreSQL
        cast(
            case
                when rate_candidates.tokens_per_day > 0 and price_candidates.annual_price is not null
                    then
                        price_candidates.annual_price
                        / (rate_candidates.tokens_per_day * token_price.token_price)
            end as decimal(18, 4)
        ) as break_even_days
    from products
    cross join token_price
    left join price_candidates
        on products.product = price_candidates.product and price_candidates.rank_in_product = 1
    left join rate_candidates
        on products.product = rate_candidates.product and rate_candidates.rank_in_product = 1
),

users as (
    select
        user_days.product,
        user_days.user_key,
        user_days.days_used,
        cast(
            cast(user_days.days_used as decimal(18, 4)) * 365 / user_days.observed_days as decimal(18, 4)
        ) as days_per_year
    from user_days
),

judged as (
    select
        users.product,
        users.user_key,
        users.days_per_year,
        case
            when economics.break_even_days is null then null
            when users.days_per_year > economics.break_even_days then 1
            else 0
        end as is_named,
        users.days_per_year * economics.tokens_per_day as expected_tokens
    from users
    inner join economics
        on users.product = economics.product
),

per_product as (
    select
        product,
        count(*) as distinct_users,
        sum(is_named) as named_seats,
        sum(1 - is_named) as flex_users,
        sum(case when is_named = 0 then expected_tokens else 0 end) as flex_tokens,
        max(days_per_year) as max_days_per_year
    from judged
    group by product
),

peaks as (
    select
        segments.product,
        max(case when segments.seconds > 0 then segments.in_use else 0 end) as peak_in_use
    from segments
    cross join period
    where segments.usage_date between period.period_start and period.period_end
    group by segments.product
),

costed as (
    select
        economics.product,
        cast(coalesce(per_product.distinct_users, 0) as {{ dbt.type_bigint() }}) as distinct_users,
        pools.pool_size as network_seats,
        pools.pool_source,
        cast(coalesce(peaks.peak_in_use, 0) as {{ dbt.type_bigint() }}) as peak_in_use,
        period.period_start,
        period.period_end,
        period.observed_days,
        economics.annual_price,
        economics.currency,
        economics.tokens_per_day,
        economics.token_price,
        economics.token_price_source,
        economics.break_even_days,
        case
            when economics.annual_price is null then 'price_unknown'
            when economics.break_even_days is null then 'rate_unknown'
            else 'sized'
        end as sizing_status,
        cast(per_product.named_seats as {{ dbt.type_bigint() }}) as named_seats,
        cast(per_product.flex_users as {{ dbt.type_bigint() }}) as flex_users,
        per_product.flex_tokens
    from economics
    cross join period
    left join per_product
        on economics.product = per_product.product
    left join pools
        on economics.product = pools.product
    left join peaks
        on economics.product = peaks.product
),

final as (
    select
        product,
        distinct_users,
        case
            when sizing_status = 'sized' then coalesce(named_seats, 0)
        end as named_seats_recommended,
        case
            when sizing_status = 'sized' then coalesce(flex_users, 0)
        end as flex_users,
        network_seats,
        pool_source,
        peak_in_use,
        period_start,
        period_end,
        observed_days,
        annual_price,
        currency,
        tokens_per_day,
        token_price,
        token_price_source,
        break_even_days,
        sizing_status,
        cast(
            case when sizing_status = 'sized' then coalesce(flex_tokens, 0) end as decimal(18, 2)
        ) as flex_tokens_expected,
        cast(
            case when sizing_status = 'sized' then coalesce(flex_tokens, 0) * token_price end as decimal(18, 2)
        ) as flex_cost_expected,
        cast(distinct_users * annual_price as decimal(18, 2)) as cost_all_named,
        cast(2 * network_seats as {{ dbt.type_bigint() }}) as trade_in_seats,
        cast(2 * network_seats * annual_price as decimal(18, 2)) as cost_trade_in,
        case
            when network_seats is not null and distinct_users > 2 * network_seats
                then distinct_users - 2 * network_seats
            when network_seats is not null then 0
        end as trade_in_users_without_seat,
        cast(
            case
                when sizing_status = 'sized'
                    then coalesce(named_seats, 0) * annual_price + coalesce(flex_tokens, 0) * token_price
            end as decimal(18, 2)
        ) as cost_recommended_mix
    from costed
),

with_savings as (
    select
        *,
        cast(cost_all_named - cost_recommended_mix as decimal(18, 2)) as saving_vs_all_named,
        cast(cost_trade_in - cost_recommended_mix as decimal(18, 2)) as saving_vs_trade_in
    from final
)

select * from with_savings
