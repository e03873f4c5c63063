{# Moving tables in and out of a Spark target (flexlens run --engine spark). The raw tables are
   written by the file connectors into DuckDB; flexlens writes them as Parquet files and these
   operations, run with `dbt run-operation` in dbt's own local Spark session (the one profiles.yml
   configures), copy them into Spark tables before the build and write the marts back out as
   Parquet after it. PostgreSQL needs no macro: flexlens copies with COPY (connectors/engines). #}

{% macro spark_load_raw_tables(folder, tables, schema='raw') %}
    {% do run_query('create schema if not exists ' ~ schema) %}
    {% for table in tables %}
        {% do run_query('drop table if exists ' ~ schema ~ '.' ~ table) %}
        {% do run_query(
            'create table ' ~ schema ~ '.' ~ table ~ ' using parquet as select * from parquet.`'
            ~ folder ~ '/' ~ table ~ '.parquet`'
        ) %}
    {% endfor %}
    {% do log('loaded ' ~ (tables | length) ~ ' tables into ' ~ schema, info=true) %}
{% endmacro %}

{% macro spark_unload_tables(folder, tables) %}
    {# tables: "schema.table" names; each becomes the folder <folder>/<schema>.<table>/ #}
    {% for table in tables %}
        {% do run_query(
            "insert overwrite directory '" ~ folder ~ '/' ~ table ~ "' using parquet select * from "
            ~ table
        ) %}
    {% endfor %}
    {% do log('wrote ' ~ (tables | length) ~ ' tables to ' ~ folder, info=true) %}
{% endmacro %}
