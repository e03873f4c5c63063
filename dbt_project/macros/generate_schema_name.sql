{# Schemas are named after their layer (staging, intermediate, marts, reference), not prefixed
   with the target schema, so BI users find `marts.fct_sessions` on every engine. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
