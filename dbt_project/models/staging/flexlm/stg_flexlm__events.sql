-- One row per FlexNet debug log line that is not a checkout but counts: `denied` (a request
-- refused, with the server's reason in `detail`), `unsupported` (a feature this server does not
-- serve) and `server_start`. Typed like stg_flexlm__sessions; unusable rows keep a reason.
with events as (
    select * from {{ source('raw', 'flexlm_events') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

cleaned as (
    select
        lower({{ clean_text('events.server') }}) as server,
        lower({{ clean_text('events.event') }}) as event,
        {{ clean_text('events.event_at') }} as event_at_raw,
        upper({{ clean_text('events.feature') }}) as feature,
        upper({{ clean_text('events.feature_suffix') }}) as feature_suffix,
        {{ clean_text('events.feature_version') }} as feature_version,
        lower({{ clean_text('events.user_name') }}) as user_name,
        lower({{ clean_text('events.host') }}) as host,
        {{ clean_text('events.licenses') }} as licenses_raw,
        {{ clean_text('events.detail') }} as detail,
        events._source_file as source_file,
        events._source_row as source_row,
        context.org_timezone
    from events
    cross join context
),

typed as (
    select
        *,
        {{ parse_tstz('event_at_raw', 'org_timezone') }} as event_at,
        cast({{ safe_cast('licenses_raw', 'decimal(18,4)') }} as decimal(18, 4)) as licenses_decimal
    from cleaned
),

validated as (
    select
        *,
        case
            when event is null or event_at_raw is null then 'missing_required'
            when event in ('denied', 'unsupported') and (feature is null or user_name is null)
                then 'missing_required'
            when event_at is null then 'unparseable_timestamp'
            when event not in ('denied', 'unsupported', 'server_start') then 'bad_value'
            when
                licenses_raw is not null
                and (licenses_decimal is null or licenses_decimal < 1 or licenses_decimal <> floor(licenses_decimal))
                then 'bad_value'
        end as reject_reason,
        case
            when event is null then 'event'
            when event_at_raw is null then 'event_at'
            when event in ('denied', 'unsupported') and feature is null then 'feature'
            when event in ('denied', 'unsupported') and user_name is null then 'user'
            when event_at is null then event_at_raw
            when event not in ('denied', 'unsupported', 'server_start')
                then {{ dbt.concat(["'event='", "event"]) }}
            when
                licenses_raw is not null
                and (licenses_decimal is null or licenses_decimal < 1 or licenses_decimal <> floor(licenses_decimal))
                then {{ dbt.concat(["'licenses='", "licenses_raw"]) }}
        end as reject_value
    from typed
),

final as (
    select
        server,
        event,
        event_at,
        feature,
        feature_suffix,
        feature_version,
        user_name,
        host,
        cast(coalesce(licenses_decimal, 1) as {{ dbt.type_bigint() }}) as licenses,
        detail,
        event_at_raw,
        reject_reason,
        reject_value,
        source_file,
        source_row
    from validated
)

select * from final
