{{ config(materialized='view') }}
-- One row per Flex 24-hour window or grace interval of a person and product, before rates and
-- coverage, from this target's engine: int_usage_windows_numpy on DuckDB, int_usage_windows_sql
-- elsewhere (macro billing_engine()). The one name the marts read.
with windows as (
    {% if billing_engine() == 'numpy' -%}
        select * from {{ ref('int_usage_windows_numpy') }}
    {%- else -%}
        select * from {{ ref('int_usage_windows_sql') }}
    {%- endif %}
),

final as (
    select
        user_key,
        product,
        window_start_epoch,
        window_end_epoch,
        window_index,
        opened_by,
        is_grace,
        sessions,
        hosts,
        open_seconds,
        active_seconds,
        sessions_without_active_seconds,
        is_identity_resolved,
        has_session_open_at_as_of
    from windows
)

select * from final
