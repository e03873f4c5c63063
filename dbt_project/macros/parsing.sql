{#- Text-to-value parsing used by staging. Each returns null when the text is not usable, so the
    staging model can name the reason (unparseable_timestamp, bad_value) instead of failing. -#}

{#- ISO 8601 text to an instant: with an offset (Z, +01:00, +0100, +01) it is exact; without one it
    is wall-clock time in the organisation's zone `tz` (a column or a quoted literal). Text that
    does not start with an ISO date is null on every engine (PostgreSQL would read 'yesterday',
    'now' or 'epoch' as instants). -#}
{% macro parse_tstz(text, tz) -%}
    case
        when not {{ regex_matches(text, '^[0-9]{4}-[0-9]{2}-[0-9]{2}') }} then null
        when {{ regex_matches(text, '[0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)? ?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$') }}
            then {{ safe_cast(text, type_tstz()) }}
        else {{ local_to_tstz(safe_cast(text, type_wallclock()), tz) }}
    end
{%- endmacro %}

{#- A calendar date from ISO text (2026-01-31, optionally followed by a time). Day-first and
    month-first spellings are ambiguous and are not guessed: they come out null. -#}
{% macro parse_date(text) -%}
    case
        when {{ regex_matches(text, '^[0-9]{4}-[0-9]{2}-[0-9]{2}') }}
            then {{ safe_cast("substring(" ~ text ~ ", 1, 10)", "date") }}
    end
{%- endmacro %}

{#- Lower-case, trimmed text; empty -> null. -#}
{% macro clean_text(text) -%}
    nullif(trim({{ text }}), '')
{%- endmacro %}

{#- Boolean from directory flags: True/False, 1/0, yes/no. -#}
{% macro parse_bool(text) -%}
    case
        when lower(trim({{ text }})) in ('true', '1', 'yes', 'y') then true
        when lower(trim({{ text }})) in ('false', '0', 'no', 'n') then false
    end
{%- endmacro %}

{#- A product name as written anywhere (agent, Autodesk export, FlexNet) folded for alias
    lookup: lower case, "autodesk " prefix and a trailing version year removed, spaces collapsed. -#}
{% macro product_match_key(text) -%}
    trim({{ regex_replace(regex_replace(regex_replace("lower(trim(" ~ text ~ "))", '^autodesk ', ''), ' *(19|20)[0-9]{2}( *[.]?[0-9]*)?$', ''), ' +', ' ') }})
{%- endmacro %}
