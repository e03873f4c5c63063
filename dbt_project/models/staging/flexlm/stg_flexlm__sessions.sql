-- One row per licence checkout read from a FlexNet debug log (connectors/flexlm), typed. Times
-- are the server's wall clock, read in the organisation's time zone (or exact, when the log wrote
-- an offset). Rows that cannot be used keep a `reject_reason` and the offending value.
with sessions as (
    select * from {{ source('raw', 'flexlm_sessions') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

cleaned as (
    select
        lower({{ clean_text('sessions.server') }}) as server,
        upper({{ clean_text('sessions.feature') }}) as feature,
        upper({{ clean_text('sessions.feature_suffix') }}) as feature_suffix,
        {{ clean_text('sessions.feature_version') }} as feature_version,
        lower({{ clean_text('sessions.user_name') }}) as user_name,
        lower({{ clean_text('sessions.host') }}) as host,
        {{ clean_text('sessions.licenses') }} as licenses_raw,
        {{ clean_text('sessions.out_at') }} as out_at_raw,
        {{ clean_text('sessions.in_at') }} as in_at_raw,
        lower({{ clean_text('sessions.opened_by') }}) as opened_by,
        lower({{ clean_text('sessions.closed_by') }}) as closed_by,
        cast({{ safe_cast(clean_text('sessions.out_row'), dbt.type_bigint()) }} as {{ dbt.type_bigint() }}) as out_row,
        cast({{ safe_cast(clean_text('sessions.in_row'), dbt.type_bigint()) }} as {{ dbt.type_bigint() }}) as in_row,
        {{ clean_text('sessions.in_reason') }} as in_reason,
        sessions._source_file as source_file,
        sessions._source_row as source_row,
        context.org_timezone
    from sessions
    cross join context
),

typed as (
    select
        *,
        {{ parse_tstz('out_at_raw', 'org_timezone') }} as out_at,
        {{ parse_tstz('in_at_raw', 'org_timezone') }} as in_at,
        cast({{ safe_cast('licenses_raw', 'decimal(18,4)') }} as decimal(18, 4)) as licenses_decimal
    from cleaned
),

validated as (
    select
        *,
        case
            when feature is null or user_name is null or out_at_raw is null or in_at_raw is null
                then 'missing_required'
            when out_at is null or in_at is null then 'unparseable_timestamp'
            when in_at < out_at then 'end_before_start'
            when
                licenses_decimal is null or licenses_decimal < 1
                or licenses_decimal <> floor(licenses_decimal) then 'bad_value'
            when coalesce(opened_by, '') not in ('out', 'start_of_log', 'restart') then 'bad_value'
            when coalesce(closed_by, '') not in ('in', 'restart', 'end_of_log') then 'bad_value'
        end as reject_reason,
        case
            when feature is null then 'feature'
            when user_name is null then 'user'
            when out_at_raw is null then 'out_at'
            when in_at_raw is null then 'in_at'
            when out_at is null then out_at_raw
            when in_at is null then in_at_raw
            when in_at < out_at then {{ dbt.concat(["out_at_raw", "' > '", "in_at_raw"]) }}
            when
                licenses_decimal is null or licenses_decimal < 1
                or licenses_decimal <> floor(licenses_decimal)
                then {{ dbt.concat(["'licenses='", "coalesce(licenses_raw, '')"]) }}
            when coalesce(opened_by, '') not in ('out', 'start_of_log', 'restart')
                then {{ dbt.concat(["'opened_by='", "coalesce(opened_by, '')"]) }}
            when coalesce(closed_by, '') not in ('in', 'restart', 'end_of_log')
                then {{ dbt.concat(["'closed_by='", "coalesce(closed_by, '')"]) }}
        end as reject_value
    from typed
),

final as (
    select
        server,
        feature,
        feature_suffix,
        feature_version,
        user_name,
        host,
        case
            when licenses_decimal = floor(licenses_decimal)
                then cast(licenses_decimal as {{ dbt.type_bigint() }})
        end as licenses,
        out_at,
        in_at,
        opened_by,
        closed_by,
        out_row,
        in_row,
        in_reason,
        out_at_raw,
        in_at_raw,
        reject_reason,
        reject_value,
        source_file,
        source_row
    from validated
)

select * from final
