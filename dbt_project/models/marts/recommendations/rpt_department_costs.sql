-- One row per department x calendar month of the analysed history with any licence cost: Flex
-- tokens charged and their cost (at the E5 token price), the cost of named seats and collections
-- held (the annual price in force, spread evenly over the days held: price x days / 365), and the
-- people behind them. Tokens fall in the month of the local date their window started
-- (fct_daily_usage, flex-rules F8a: showback uses the organisation's time zone); seats count the
-- days held inside the analysed history (from the later of the analysis window start and the first
-- day with usage data, so seat and Flex costs cover the same days). The first and the as-of month
-- may be partial (`days_counted`).
-- People without a department (not in the directory, unresolved logins) are `(no department)`.
with settings as (
    select * from {{ ref('int_recommendation_settings') }}
),

daily_usage as (
    select * from {{ ref('fct_daily_usage') }}
),

assignments as (
    select * from {{ ref('int_assignments_resolved') }}
    where
        reject_reason is null
        and is_current_record
        and access_option = 'named'
        and product_kind in ('product', 'collection')
),

prices as (
    select * from {{ ref('int_prices_effective') }}
),

users as (
    select * from {{ ref('dim_users') }}
),

month_numbers as (
    select cast(generated_number - 1 as integer) as month_offset
    from ({{ dbt.generate_series(1200) }}) as series
),

first_month as (
    select cast({{ dbt.date_trunc('month', 'history_start_on') }} as date) as first_month_on
    from settings
),

months as (
    select
        cast({{ dbt.dateadd('month', 'month_numbers.month_offset', 'first_month.first_month_on') }} as date)
            as month_start_on
    from month_numbers
    cross join first_month
),

month_bounds as (
    select
        months.month_start_on,
        case
            when months.month_start_on < settings.history_start_on then settings.history_start_on
            else months.month_start_on
        end as first_day_counted,
        case
            when
                cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'months.month_start_on')) }} as date)
                > settings.as_of_date
                then settings.as_of_date
            else cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'months.month_start_on')) }} as date)
        end as last_day_counted
    from months
    cross join settings
    where months.month_start_on <= settings.as_of_date
),

month_spans as (
    select
        *,
        {{ rec_days_between('first_day_counted', 'last_day_counted') }} + 1 as days_counted
    from month_bounds
),

flex_by_person_month as (
    select
        daily_usage.user_key,
        month_spans.month_start_on,
        sum(daily_usage.tokens_charged) as flex_tokens
    from daily_usage
    inner join month_spans
        on daily_usage.usage_date_local between month_spans.first_day_counted and month_spans.last_day_counted
    group by daily_usage.user_key, month_spans.month_start_on
),

-- each seat's days held inside each month, priced on the last day counted
seat_months as (
    select
        assignments.user_key,
        assignments.product,
        month_spans.month_start_on,
        month_spans.last_day_counted,
        case
            when assignments.assigned_on > month_spans.first_day_counted then assignments.assigned_on
            else month_spans.first_day_counted
        end as held_from,
        case
            when
                assignments.unassigned_on is not null
                and cast({{ dbt.dateadd('day', -1, 'assignments.unassigned_on') }} as date)
                < month_spans.last_day_counted
                then cast({{ dbt.dateadd('day', -1, 'assignments.unassigned_on') }} as date)
            else month_spans.last_day_counted
        end as held_to
    from assignments
    inner join month_spans
        on
            assignments.assigned_on <= month_spans.last_day_counted
            and (assignments.unassigned_on is null or assignments.unassigned_on > month_spans.first_day_counted)
),

seat_month_prices as (
    select
        seat_months.*,
        prices.annual_price,
        row_number() over (
            partition by seat_months.user_key, seat_months.product, seat_months.month_start_on, seat_months.held_from
            order by prices.effective_from desc
        ) as price_rank
    from seat_months
    left join prices
        on
            seat_months.product = prices.product_or_collection
            and seat_months.last_day_counted >= prices.effective_from
    where seat_months.held_to >= seat_months.held_from
),

seats_by_person_month as (
    select
        user_key,
        month_start_on,
        sum(
            coalesce(annual_price, 0)
            * ({{ rec_days_between('held_from', 'held_to') }} + 1)
            / 365.0
        ) as subscription_cost
    from seat_month_prices
    where price_rank = 1
    group by user_key, month_start_on
),

person_months as (
    select
        coalesce(flex.user_key, seats.user_key) as user_key,
        coalesce(flex.month_start_on, seats.month_start_on) as month_start_on,
        coalesce(flex.flex_tokens, 0) as flex_tokens,
        coalesce(seats.subscription_cost, 0) as subscription_cost,
        case when flex.flex_tokens > 0 then 1 else 0 end as is_flex_user,
        case when seats.user_key is not null then 1 else 0 end as is_seat_holder
    from flex_by_person_month as flex
    full outer join seats_by_person_month as seats
        on
            flex.user_key = seats.user_key
            and flex.month_start_on = seats.month_start_on
),

departments as (
    select
        coalesce(users.department, '(no department)') as department,
        person_months.month_start_on as month,
        cast(sum(person_months.flex_tokens) as {{ dbt.type_bigint() }}) as flex_tokens,
        sum(person_months.subscription_cost) as subscription_cost,
        count(
            distinct case
                when person_months.flex_tokens > 0 or person_months.is_seat_holder = 1 then person_months.user_key
            end
        ) as users,
        count(distinct case when person_months.flex_tokens > 0 then person_months.user_key end) as flex_users,
        count(distinct case when person_months.is_seat_holder = 1 then person_months.user_key end) as seat_holders
    from person_months
    left join users
        on person_months.user_key = users.user_key
    group by coalesce(users.department, '(no department)'), person_months.month_start_on
),

final as (
    select
        departments.department,
        departments.month,
        departments.flex_tokens,
        cast(departments.flex_tokens * settings.token_price as decimal(18, 2)) as flex_cost,
        cast(round(departments.subscription_cost, 2) as decimal(18, 2)) as subscription_cost,
        cast(
            round(departments.flex_tokens * settings.token_price + departments.subscription_cost, 2) as decimal(18, 2)
        ) as total_cost,
        cast(departments.users as integer) as users,
        cast(departments.flex_users as integer) as flex_users,
        cast(departments.seat_holders as integer) as seat_holders,
        cast(month_spans.days_counted as integer) as days_counted,
        settings.currency
    from departments
    inner join month_spans
        on departments.month = month_spans.month_start_on
    cross join settings
    where departments.users > 0
)

select * from final
