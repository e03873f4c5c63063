{#- The smallest non-null of several expressions (least() is null-propagating on some engines). -#}
{% macro least_of(exprs) -%}
    {%- set parts = [] -%}
    {%- for e in exprs -%}
        {%- set others = [] -%}
        {%- for o in exprs if o != e -%}{%- do others.append('(' ~ o ~ ' is null or ' ~ e ~ ' <= ' ~ o ~ ')') -%}{%- endfor -%}
        {%- do parts.append('when ' ~ e ~ ' is not null and ' ~ (others | join(' and ')) ~ ' then ' ~ e) -%}
    {%- endfor -%}
    case {{ parts | join(' ') }} end
{%- endmacro %}
