-- One row per person x product x UTC usage date that either side knows: the tokens the pipeline
-- computed from agent sessions (fct_usage_windows) against the tokens Autodesk's Token Usage export
-- reported. Status: match (both, equal), differs (both, not equal, or the computed figure is
-- unknown for want of a rate), missing_in_agent_logs (only Autodesk: use on a machine without the
-- agent), not_reported (only computed). Days whose windows charged nothing (grace intervals, F5,
-- or covered by a subscription, F6) appear only when Autodesk reported them. Autodesk lines are
-- joined to people through dim_users: by user_key, else by hashed_autodesk_id (PII off).
with windows as (
    select * from {{ ref('fct_usage_windows') }}
),

token_usage as (
    select * from {{ ref('int_token_usage_resolved') }}
    where reject_reason is null
),

users as (
    select * from {{ ref('dim_users') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

computed as (
    select
        windows.user_key,
        windows.product,
        windows.usage_date,
        count(*) as windows,
        sum(case when windows.charge_status = 'charged' then 1 else 0 end) as windows_charged,
        sum(case when windows.charge_status = 'grace' then 1 else 0 end) as windows_grace,
        sum(case when windows.charge_status = 'covered_by_subscription' then 1 else 0 end) as windows_covered,
        sum(case when windows.charge_status = 'rate_unknown' then 1 else 0 end) as windows_rate_unknown,
        sum(coalesce(windows.tokens_charged, 0)) as tokens_known
    from windows
    cross join context
    where windows.usage_date <= context.as_of_date
    group by windows.user_key, windows.product, windows.usage_date
),

-- PII off: the line carries only the hashed id; dim_users knows which person holds it
hashed_ids as (
    select
        hashed_autodesk_id,
        min(user_key) as user_key
    from users
    where hashed_autodesk_id is not null
    group by hashed_autodesk_id
),

usage_people as (
    select
        token_usage.*,
        coalesce(by_key.user_key, by_hash.user_key, token_usage.user_key) as person_key
    from token_usage
    left join users as by_key
        on token_usage.user_key = by_key.user_key
    left join hashed_ids as by_hash
        on
            by_key.user_key is null
            and token_usage.hashed_autodesk_id = by_hash.hashed_autodesk_id
),

reported as (
    select
        usage_people.person_key as user_key,
        usage_people.product,
        usage_people.usage_date,
        count(*) as report_lines,
        max(case when usage_people.email is null then 1 else 0 end) as has_pii_off_line,
        sum(usage_people.tokens_used) as tokens_reported
    from usage_people
    cross join context
    where usage_people.usage_date <= context.as_of_date
    group by usage_people.person_key, usage_people.product, usage_people.usage_date
),

joined as (
    select
        coalesce(computed.user_key, reported.user_key) as user_key,
        coalesce(computed.product, reported.product) as product,
        coalesce(computed.usage_date, reported.usage_date) as usage_date,
        computed.user_key is not null as has_windows,
        reported.user_key is not null as is_reported,
        coalesce(computed.windows, 0) as windows,
        coalesce(computed.windows_charged, 0) as windows_charged,
        coalesce(computed.windows_grace, 0) as windows_grace,
        coalesce(computed.windows_covered, 0) as windows_covered,
        coalesce(computed.windows_rate_unknown, 0) as windows_rate_unknown,
        case
            when computed.user_key is not null and computed.windows_rate_unknown = 0
                then computed.tokens_known
        end as tokens_computed,
        reported.tokens_reported,
        coalesce(reported.report_lines, 0) as report_lines,
        coalesce(reported.has_pii_off_line, 0) = 1 as has_pii_off_line
    from computed
    full outer join reported
        on
            computed.user_key = reported.user_key
            and computed.product = reported.product
            and computed.usage_date = reported.usage_date
),

-- the dates both sources cover: outside them a one-sided row says more about the export's period
-- than about the usage
coverage as (
    select
        case
            when max(computed_first) > max(reported_first) then max(computed_first) else max(reported_first)
        end as common_from,
        case
            when min(computed_last) < min(reported_last) then min(computed_last) else min(reported_last)
        end as common_to
    from (
        select
            min(usage_date) as computed_first,
            max(usage_date) as computed_last,
            cast(null as date) as reported_first,
            cast(null as date) as reported_last
        from computed
        union all
        select
            null as computed_first,
            null as computed_last,
            min(usage_date) as reported_first,
            max(usage_date) as reported_last
        from reported
    ) as spans
),

final as (
    select
        joined.user_key,
        joined.product,
        joined.usage_date,
        cast(joined.tokens_computed as decimal(18, 2)) as tokens_computed,
        cast(joined.tokens_reported as decimal(18, 2)) as tokens_reported,
        case
            when not joined.has_windows then 'missing_in_agent_logs'
            when not joined.is_reported then 'not_reported'
            when joined.tokens_computed = joined.tokens_reported then 'match'
            else 'differs'
        end as status,
        cast(joined.tokens_reported - joined.tokens_computed as decimal(18, 2)) as token_difference,
        cast(joined.windows as integer) as windows,
        cast(joined.windows_charged as integer) as windows_charged,
        cast(joined.windows_grace as integer) as windows_grace,
        cast(joined.windows_covered as integer) as windows_covered,
        cast(joined.windows_rate_unknown as integer) as windows_rate_unknown,
        cast(joined.report_lines as integer) as report_lines,
        joined.has_pii_off_line,
        coalesce(users.is_identity_resolved, false) as is_identity_resolved,
        coalesce(joined.usage_date between coverage.common_from and coverage.common_to, false)
            as is_in_common_period
    from joined
    cross join coverage
    left join users
        on joined.user_key = users.user_key
    -- a day the pipeline charged nothing for (grace or covered windows only) and Autodesk did
    -- not report is no difference: nothing was billed on either side
    where joined.is_reported or joined.windows_charged + joined.windows_rate_unknown > 0
)

select * from final
