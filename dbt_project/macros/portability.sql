{#- Every dialect difference of the project lives here (see shared portability notes).
    `default__` serves DuckDB and PostgreSQL; `duckdb__`/`spark__` override where they differ. -#}

{% macro type_tstz() %}{{ return(adapter.dispatch('type_tstz')()) }}{% endmacro %}
{% macro default__type_tstz() %}timestamp with time zone{% endmacro %}
{% macro spark__type_tstz() %}timestamp_ltz{% endmacro %}

{% macro type_double() %}{{ return(adapter.dispatch('type_double')()) }}{% endmacro %}
{% macro default__type_double() %}double precision{% endmacro %}
{% macro duckdb__type_double() %}double{% endmacro %}
{% macro spark__type_double() %}double{% endmacro %}

{% macro epoch_seconds(ts) %}{{ return(adapter.dispatch('epoch_seconds')(ts)) }}{% endmacro %}
{% macro default__epoch_seconds(ts) %}cast(floor(extract(epoch from {{ ts }})) as {{ dbt.type_bigint() }}){% endmacro %}
{% macro spark__epoch_seconds(ts) %}unix_timestamp({{ ts }}){% endmacro %}

{% macro seconds_between(a, b) %}({{ epoch_seconds(b) }} - {{ epoch_seconds(a) }}){% endmacro %}

{% macro from_epoch_seconds(secs) %}{{ return(adapter.dispatch('from_epoch_seconds')(secs)) }}{% endmacro %}
{% macro default__from_epoch_seconds(secs) %}to_timestamp({{ secs }}){% endmacro %}
{% macro spark__from_epoch_seconds(secs) %}timestamp_seconds({{ secs }}){% endmacro %}

{#- The UTC calendar date of an instant, whatever the session time zone. -#}
{% macro utc_date(ts) %}{{ return(adapter.dispatch('utc_date')(ts)) }}{% endmacro %}
{% macro default__utc_date(ts) %}cast(({{ ts }} at time zone 'UTC') as date){% endmacro %}
{% macro spark__utc_date(ts) %}date_from_unix_date(cast(floor(unix_timestamp({{ ts }}) / 86400) as int)){% endmacro %}

{#- The calendar date of an instant in a named time zone (a column or a quoted literal). -#}
{% macro local_date(ts, tz) %}{{ return(adapter.dispatch('local_date')(ts, tz)) }}{% endmacro %}
{% macro default__local_date(ts, tz) %}cast(({{ ts }} at time zone {{ tz }}) as date){% endmacro %}
{% macro spark__local_date(ts, tz) %}cast(from_utc_timestamp({{ ts }}, {{ tz }}) as date){% endmacro %}

{#- Wall-clock text without offset, read as local time in zone `tz`, to an instant. -#}
{% macro local_to_tstz(naive_ts, tz) %}{{ return(adapter.dispatch('local_to_tstz')(naive_ts, tz)) }}{% endmacro %}
{% macro default__local_to_tstz(naive_ts, tz) %}({{ naive_ts }} at time zone {{ tz }}){% endmacro %}
{% macro duckdb__local_to_tstz(naive_ts, tz) %}timezone({{ tz }}, {{ naive_ts }}){% endmacro %}
{% macro spark__local_to_tstz(naive_ts, tz) %}to_utc_timestamp({{ naive_ts }}, {{ tz }}){% endmacro %}

{% macro flag_to_int(expr) %}case when {{ expr }} then 1 else 0 end{% endmacro %}

{#- Lenient casts: null when the text is not a value of the type (staging validates with them). -#}
{% macro safe_cast(expr, type) %}{{ return(adapter.dispatch('safe_cast')(expr, type)) }}{% endmacro %}
{% macro default__safe_cast(expr, type) %}cast({{ expr }} as {{ type }}){% endmacro %}
{% macro duckdb__safe_cast(expr, type) %}try_cast({{ expr }} as {{ type }}){% endmacro %}
{% macro spark__safe_cast(expr, type) %}try_cast({{ expr }} as {{ type }}){% endmacro %}

{% macro regex_matches(expr, pattern) %}{{ return(adapter.dispatch('regex_matches')(expr, pattern)) }}{% endmacro %}
{% macro default__regex_matches(expr, pattern) %}({{ expr }} ~ '{{ pattern }}'){% endmacro %}
{% macro duckdb__regex_matches(expr, pattern) %}regexp_matches({{ expr }}, '{{ pattern }}'){% endmacro %}
{% macro spark__regex_matches(expr, pattern) %}({{ expr }} rlike '{{ pattern }}'){% endmacro %}

{% macro regex_replace(expr, pattern, replacement) %}{{ return(adapter.dispatch('regex_replace')(expr, pattern, replacement)) }}{% endmacro %}
{% macro default__regex_replace(expr, pattern, replacement) %}regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g'){% endmacro %}
{% macro spark__regex_replace(expr, pattern, replacement) %}regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}'){% endmacro %}
