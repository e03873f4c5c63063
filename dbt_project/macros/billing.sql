{#- Helpers of the Flex billing engine (models/intermediate/billing, models/marts/billing).
    Durations are whole epoch seconds (bigint) from portability.sql's `epoch_seconds()`, so every
    engine does the same integer arithmetic; the dialect differences stay in portability.sql's
    dispatched macros, which these call. -#}

{#- Seconds in one Flex window (flex-rules F2: 24 hours, not a calendar day). -#}
{% macro billing_window_seconds() %}86400{% endmacro %}

{#- floor(a / b) and ceil(a / b) of whole seconds, as bigint. The quotient goes through an exact
    decimal or double division: epoch differences are far below 2^53, so the result is exact. -#}
{% macro billing_floor_div(numerator, denominator) -%}
    cast(floor(({{ numerator }}) / {{ denominator }}.0) as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro billing_ceil_div(numerator, denominator) -%}
    cast(ceil(({{ numerator }}) / {{ denominator }}.0) as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- An instant from whole epoch seconds, typed as the project's timestamp with time zone. -#}
{% macro billing_epoch_to_tstz(secs) -%}
    cast({{ from_epoch_seconds(secs) }} as {{ type_tstz() }})
{%- endmacro %}

{#- The largest number of days one usage interval (or one session) may span: the expansions of
    intervals into windows and local days join a list of day offsets 0..N. An interval longer
    than that fails tests/assert_usage_within_expansion_bounds.sql rather than being cut. -#}
{% macro billing_max_span_days() %}{{ return(var('billing_max_span_days', 3660) | int) }}{% endmacro %}

{#- One row per day offset 0..billing_max_span_days(), column `day_offset` (bigint). -#}
{% macro billing_day_offsets() -%}
    select cast(generated_number - 1 as {{ dbt.type_bigint() }}) as day_offset
    from ({{ dbt.generate_series(billing_max_span_days() + 1) }}) as series
{%- endmacro %}

{#- Rows of CTE `cte` repeated `count_column` times, with `step` = 0, 1, ...: the common case of
    one piece is a plain select; only rows spanning several days join the `day_offsets` CTE,
    which the calling model defines from billing_day_offsets(). Rows with a count < 1 vanish. -#}
{% macro billing_repeat_rows(cte, count_column) -%}
    select
        {{ cte }}.*,
        cast(0 as {{ dbt.type_bigint() }}) as step
    from {{ cte }}
    where {{ cte }}.{{ count_column }} >= 1
    union all
    select
        {{ cte }}.*,
        day_offsets.day_offset as step
    from {{ cte }}
    inner join day_offsets
        on day_offsets.day_offset >= 1
        and day_offsets.day_offset < {{ cte }}.{{ count_column }}
    where {{ cte }}.{{ count_column }} >= 2
{%- endmacro %}

{#- The share of a session's active seconds that falls into a piece of it: active time is only
    known per session, so it is spread evenly over the session's open time. -#}
{% macro billing_prorated_active(active, overlap, duration) -%}
    case
        when ({{ duration }}) = 0 then cast({{ active }} as {{ type_double() }})
        else cast({{ active }} as {{ type_double() }}) * ({{ overlap }}) / ({{ duration }})
    end
{%- endmacro %}

{#- A text form of a bigint for building keys (`cast(... as string)` differs per engine). -#}
{% macro billing_bigint_text(expr) -%}
    cast({{ expr }} as {{ dbt.type_string() }})
{%- endmacro %}

{#- The UTC calendar date of an instant given in epoch seconds (date + integer days works on
    every engine, and costs no time-zone conversion). -#}
{% macro billing_epoch_utc_date(secs) -%}
    (cast('1970-01-01' as date) + cast({{ billing_floor_div(secs, 86400) }} as integer))
{%- endmacro %}

{#- Which engine computes the windows: 'numpy' (int_usage_windows_numpy, a dbt Python model) on
    DuckDB, 'sql' (int_usage_windows_sql and the recursive chain before it) on other engines, or
    on DuckDB with var billing_engine = 'sql'. -#}
{% macro billing_engine() -%}
    {%- if target.type == 'duckdb' and var('billing_engine', 'numpy') != 'sql' -%}
        {{ return('numpy') }}
    {%- else -%}
        {{ return('sql') }}
    {%- endif -%}
{%- endmacro %}

{#- The materialization of the SQL twin's models: views where the numpy engine does the work
    (unit tests and the engine comparison read them), tables where they are the engine. -#}
{% macro billing_sql_twin_materialization() -%}
    {{ return('view' if billing_engine() == 'numpy' else 'table') }}
{%- endmacro %}
