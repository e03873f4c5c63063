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
{#- Spark: convert_timezone reads the instant as the session's wall clock and moves that wall
    clock to `tz`, so the date does not depend on the session time zone. -#}
{% macro spark__local_date(ts, tz) %}cast(convert_timezone({{ tz }}, {{ ts }}) as date){% endmacro %}

{#- A wall clock without a zone (what text without an offset means): `timestamp` on DuckDB and
    PostgreSQL; on Spark plain `timestamp` is an instant read in the session time zone, so the
    wall clock is `timestamp_ntz`. -#}
{% macro type_wallclock() %}{{ return(adapter.dispatch('type_wallclock')()) }}{% endmacro %}
{% macro default__type_wallclock() %}{{ dbt.type_timestamp() }}{% endmacro %}
{% macro spark__type_wallclock() %}timestamp_ntz{% endmacro %}

{#- A wall clock (type_wallclock()), read as local time in zone `tz`, to an instant. Spark moves
    the wall clock from `tz` to the session's zone, where the cast to an instant reads it. -#}
{% macro local_to_tstz(naive_ts, tz) %}{{ return(adapter.dispatch('local_to_tstz')(naive_ts, tz)) }}{% endmacro %}
{% macro default__local_to_tstz(naive_ts, tz) %}({{ naive_ts }} at time zone {{ tz }}){% endmacro %}
{% macro duckdb__local_to_tstz(naive_ts, tz) %}timezone({{ tz }}, {{ naive_ts }}){% endmacro %}
{% macro spark__local_to_tstz(naive_ts, tz) -%}
    cast(convert_timezone({{ tz }}, current_timezone(), {{ naive_ts }}) as timestamp_ltz)
{%- endmacro %}

{% macro flag_to_int(expr) %}case when {{ expr }} then 1 else 0 end{% endmacro %}

{#- Lenient casts: null when the text is not a value of the type (staging validates with them). -#}
{% macro safe_cast(expr, type) %}{{ return(adapter.dispatch('safe_cast')(expr, type)) }}{% endmacro %}
{% macro default__safe_cast(expr, type) %}cast({{ expr }} as {{ type }}){% endmacro %}
{% macro duckdb__safe_cast(expr, type) %}try_cast({{ expr }} as {{ type }}){% endmacro %}
{% macro spark__safe_cast(expr, type) %}try_cast({{ expr }} as {{ type }}){% endmacro %}
{#- PostgreSQL 15 has no try_cast (and no pg_input_is_valid before 16): one small function per
    target type, created by the on-run-start hook below, returns null where the cast fails. -#}
{#- (This macro also stands in for dbt's own `safe_cast`, which unit-test fixtures call: types
    without a function, such as text, get a plain cast as dbt's would.) -#}
{% macro postgres__safe_cast(expr, type) -%}
    {%- set function = postgres_try_cast_function(type) -%}
    {%- if function -%}cast({{ function }}(cast({{ expr }} as text)) as {{ type }}){%- else -%}cast({{ expr }} as {{ type }}){%- endif -%}
{%- endmacro %}

{#- The PostgreSQL try-cast functions: name suffix -> the type they return. Decimal types return
    numeric (callers cast the result to their precision). -#}
{% macro postgres_try_cast_types() %}
    {{ return({
        'timestamptz': 'timestamp with time zone',
        'timestamp': 'timestamp',
        'date': 'date',
        'integer': 'integer',
        'bigint': 'bigint',
        'numeric': 'numeric',
        'double': 'double precision',
    }) }}
{% endmacro %}

{% macro postgres_try_cast_function(type) %}
    {%- set normalised = type | string | lower | trim -%}
    {%- if normalised in ('timestamp with time zone', 'timestamptz') -%}{%- set suffix = 'timestamptz' -%}
    {%- elif normalised in ('timestamp', 'timestamp without time zone') -%}{%- set suffix = 'timestamp' -%}
    {%- elif normalised in ('int', 'integer') -%}{%- set suffix = 'integer' -%}
    {%- elif normalised.startswith('decimal') or normalised.startswith('numeric') -%}{%- set suffix = 'numeric' -%}
    {%- elif normalised in ('double', 'double precision', 'float8') -%}{%- set suffix = 'double' -%}
    {%- elif normalised in ('date', 'bigint') -%}{%- set suffix = normalised -%}
    {%- else -%}{%- set suffix = none -%}
    {%- endif -%}
    {{ return(target.schema ~ '.flexlens_try_' ~ suffix if suffix else none) }}
{%- endmacro %}

{#- Run once before every dbt command (on-run-start): creates what an engine lacks. Nothing on
    DuckDB and Spark. -#}
{% macro create_portability_functions() %}{{ return(adapter.dispatch('create_portability_functions')()) }}{% endmacro %}
{% macro default__create_portability_functions() %}{% endmacro %}
{% macro postgres__create_portability_functions() %}
    create schema if not exists {{ target.schema }};
    {% for suffix, type in postgres_try_cast_types().items() %}
    create or replace function {{ target.schema }}.flexlens_try_{{ suffix }}(value text)
    returns {{ type }}
    language plpgsql stable
    as $fn$
    begin
        return cast(value as {{ type }});
    exception when others then
        return null;
    end
    $fn$;
    {% endfor %}
{% endmacro %}

{% macro regex_matches(expr, pattern) %}{{ return(adapter.dispatch('regex_matches')(expr, pattern)) }}{% endmacro %}
{% macro default__regex_matches(expr, pattern) %}({{ expr }} ~ '{{ pattern }}'){% endmacro %}
{% macro duckdb__regex_matches(expr, pattern) %}regexp_matches({{ expr }}, '{{ pattern }}'){% endmacro %}
{% macro spark__regex_matches(expr, pattern) %}({{ expr }} rlike '{{ pattern }}'){% endmacro %}

{% macro regex_replace(expr, pattern, replacement) %}{{ return(adapter.dispatch('regex_replace')(expr, pattern, replacement)) }}{% endmacro %}
{% macro default__regex_replace(expr, pattern, replacement) %}regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g'){% endmacro %}
{% macro spark__regex_replace(expr, pattern, replacement) %}regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}'){% endmacro %}

{#- Spark reads a backslash in a string literal as an escape ('acme\jdoe' -> 'acmejdoe'); dbt's own
    version escapes only the quote, so unit-test fixtures holding DOMAIN\login lost the backslash. -#}
{% macro spark__escape_single_quotes(expression) -%}
    {{ expression | replace('\\', '\\\\') | replace("'", "\\'") }}
{%- endmacro %}

{#- Hooks of a model built by a recursive CTE that steps through a table row by row (one join per
    step). PostgreSQL plans each step as a merge or hash join over the whole table (216 s for the
    921 steps of the sample's billing chain); with those joins off for this statement it looks
    each next row up in the index `recursive_step_index()` declares (0.8 s). Spark (4.1+) stops a
    recursion at 100 levels and a row limit unless told otherwise. -#}
{% macro recursive_cte_hooks(max_steps) %}{{ return(adapter.dispatch('recursive_cte_hooks')(max_steps)) }}{% endmacro %}
{% macro default__recursive_cte_hooks(max_steps) %}{{ return([]) }}{% endmacro %}
{% macro postgres__recursive_cte_hooks(max_steps) %}
    {{ return(['set local enable_mergejoin = off', 'set local enable_hashjoin = off']) }}
{% endmacro %}
{% macro spark__recursive_cte_hooks(max_steps) %}
    {{ return([
        'set spark.sql.cteRecursionLevelLimit=' ~ max_steps,
        'set spark.sql.cteRecursionRowLimit=-1',
    ]) }}
{% endmacro %}

{#- The index a recursive step looks its next row up in (config `indexes`; PostgreSQL only). -#}
{% macro recursive_step_index(columns) %}{{ return(adapter.dispatch('recursive_step_index')(columns)) }}{% endmacro %}
{% macro default__recursive_step_index(columns) %}{{ return([]) }}{% endmacro %}
{% macro postgres__recursive_step_index(columns) %}{{ return([{'columns': columns}]) }}{% endmacro %}

{#- Hooks of a table that the next model reads in a large join: PostgreSQL plans that join before
    autovacuum has looked at the new table (int_usage_windows_sql took 130 s instead of 15 s
    without statistics on the chain), so it gathers them right away. -#}
{% macro fresh_statistics_hooks() %}{{ return(adapter.dispatch('fresh_statistics_hooks')()) }}{% endmacro %}
{% macro default__fresh_statistics_hooks() %}{{ return([]) }}{% endmacro %}
{% macro postgres__fresh_statistics_hooks() %}{{ return(['analyze {{ this }}']) }}{% endmacro %}

{#- dbt-spark's listagg drops the order (collect_list, with a warning): Spark 4 has listagg with
    `within group`, so the lists come out in the same order as on DuckDB and PostgreSQL. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if order_by_clause and not limit_num -%}
        listagg({{ measure }}, {{ delimiter_text }}) within group ({{ order_by_clause }})
    {%- else -%}
        {{ return(spark__listagg_unordered(measure, delimiter_text, limit_num)) }}
    {%- endif -%}
{%- endmacro %}

{% macro spark__listagg_unordered(measure, delimiter_text, limit_num) -%}
    {%- if limit_num -%}
        array_join(slice(collect_list({{ measure }}), 1, {{ limit_num }}), {{ delimiter_text }})
    {%- else -%}
        array_join(collect_list({{ measure }}), {{ delimiter_text }})
    {%- endif -%}
{%- endmacro %}

{#- dbt-spark's seed loader binds every cell, and the local session renders an empty cell (None)
    as the text 'None': empty seed cells are written as null literals here instead. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {% set batch_size = get_batch_size() %}
    {% set column_override = model['config'].get('column_types', {}) %}
    {% set statements = [] %}
    {% for chunk in agate_table.rows | batch(batch_size) %}
        {% set bindings = [] %}
        {% for row in chunk %}
            {% for value in row if value is not none %}{% do bindings.append(value) %}{% endfor %}
        {% endfor %}
        {% set sql %}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                    {%- set type = column_override.get(col_name, inferred_type) -%}
                    {%- if row[loop.index0] is none -%}cast(null as {{ type }}){%- else -%}cast({{ get_binding_char() }} as {{ type }}){%- endif -%}
                    {%- if not loop.last %},{% endif %}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {%- endfor %}
        {% endset %}
        {% do adapter.add_query(sql, bindings=bindings, abridge_sql_log=True) %}
        {% if loop.index0 == 0 %}{% do statements.append(sql) %}{% endif %}
    {% endfor %}
    {{ return(statements[0]) }}
{% endmacro %}
