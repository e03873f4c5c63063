{#- Generic data tests of the project (no package downloads needed). -#}
{% test non_negative(model, column_name) %}
    -- a returned row is a negative value
    select {{ column_name }} from {{ model }} where {{ column_name }} < 0
{% endtest %}

{% test unique_combination(model, columns) %}
    -- a returned row is a combination of the columns that occurs more than once
    select {{ columns | join(', ') }}, count(*) as occurrences
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
