{#- Text helpers of the licence recommendations (reason sentences): portable SQL only (floor,
    %, lpad and || behave alike on DuckDB, PostgreSQL and Spark). -#}

{#- A whole number (rounded) as text with thousands separators: 2310.4 -> '2,310'. -#}
{% macro rec_amount_text(expr) -%}
    (
        case when round({{ expr }}) < 0 then '-' else '' end
        || case
            when abs(round({{ expr }})) >= 1000000
                then cast(cast(floor(abs(round({{ expr }})) / 1000000) as {{ dbt.type_bigint() }}) as {{ dbt.type_string() }})
                || ','
                || lpad(cast(cast(floor(abs(round({{ expr }})) / 1000) as {{ dbt.type_bigint() }}) % 1000 as {{ dbt.type_string() }}), 3, '0')
                || ','
                || lpad(cast(cast(abs(round({{ expr }})) as {{ dbt.type_bigint() }}) % 1000 as {{ dbt.type_string() }}), 3, '0')
            when abs(round({{ expr }})) >= 1000
                then cast(cast(floor(abs(round({{ expr }})) / 1000) as {{ dbt.type_bigint() }}) as {{ dbt.type_string() }})
                || ','
                || lpad(cast(cast(abs(round({{ expr }})) as {{ dbt.type_bigint() }}) % 1000 as {{ dbt.type_string() }}), 3, '0')
            else cast(cast(abs(round({{ expr }})) as {{ dbt.type_bigint() }}) as {{ dbt.type_string() }})
        end
    )
{%- endmacro %}

{#- A number rounded to a whole number, as text without separators (days): 103.6 -> '104'. -#}
{% macro rec_int_text(expr) -%}
    cast(cast(round({{ expr }}) as {{ dbt.type_bigint() }}) as {{ dbt.type_string() }})
{%- endmacro %}

{#- A date as ISO text: 2026-10-31. -#}
{% macro rec_date_text(expr) -%}
    cast({{ expr }} as {{ dbt.type_string() }})
{%- endmacro %}

{#- Whole days from date `a` to date `b` (dbt.datediff on dates, whitespace trimmed). -#}
{% macro rec_days_between(a, b) -%}
    {{ dbt.datediff(a, b, 'day') | trim }}
{%- endmacro %}
