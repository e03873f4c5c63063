-- One row per DENIED line of the FlexNet logs, with its person and product, and the reason it
-- cannot be used (`reject_reason`: a staging reason, unknown_product, or duplicate_row when an
-- overlapping copy of the same log holds the same line). `is_after_as_of` marks lines after the
-- run's as-of time (not counted).
with events as (
    select * from {{ ref('stg_flexlm__events') }}
    where event = 'denied'
),

context as (
    select * from {{ ref('stg_run__context') }}
),

features as (
    select * from {{ ref('int_network_features_mapped') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_mapped') }}
    where identifier_kind = 'sam'
),

-- identical lines in several files: the first file (by name) keeps them, a copy is a duplicate;
-- repeated identical lines within one file are real retries and all count
ranked as (
    select
        events.*,
        min(events.source_file) over (
            partition by
                events.server, events.feature, events.user_name, events.host, events.event_at,
                events.detail
        ) as first_file
    from events
),

final as (
    select
        ranked.server,
        features.product,
        ranked.feature,
        coalesce(identifiers.user_key, ranked.user_name) as user_key,
        identifiers.user_key is not null as is_identity_resolved,
        ranked.user_name,
        ranked.host,
        ranked.licenses,
        ranked.event_at as denied_at,
        ranked.detail as reason_text,
        coalesce(ranked.event_at >= context.as_of, false) as is_after_as_of,
        case
            when ranked.reject_reason is not null then ranked.reject_reason
            when features.product is null then 'unknown_product'
            when ranked.source_file <> ranked.first_file then 'duplicate_row'
        end as reject_reason,
        case
            when ranked.reject_reason is not null then ranked.reject_value
            when features.product is null then ranked.feature
            when ranked.source_file <> ranked.first_file
                then {{ dbt.concat(["'also in '", "ranked.first_file"]) }}
        end as reject_value,
        ranked.source_file,
        ranked.source_row
    from ranked
    cross join context
    left join features
        on ranked.feature = features.feature
    left join identifiers
        on ranked.user_name = identifiers.identifier
)

select * from final
