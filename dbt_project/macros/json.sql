{#
  JSON helpers. A JSON text is parsed once per body: `json_extract_paths` pulls every field a
  model needs in one parse, and the (minified) values it returns are classified by their first
  character (`json_kind`) instead of being parsed again.
#}

{#
  Whether the text is one JSON value (surrounding JSON white space allowed), as DuckDB's reader
  takes it, less the trailing commas it also accepts (`[1,]`), which are checked on a copy of
  the text whose string literals are blanked, and only when a comma before a closing bracket
  occurs at all. DuckDB's reader, like Python's json module, also takes NaN and Infinity; it
  takes lower-case nan and inf too, which Python rejects (a difference no generated or real
  trace has shown).
#}
{% macro json_strict_valid(expression) -%}
    {{ return(adapter.dispatch('json_strict_valid', 'tracehouse')(expression)) }}
{%- endmacro %}

{% macro duckdb__json_strict_valid(expression) -%}
    case
        when {{ expression }} is null or not json_valid({{ expression }}) then false
        when not regexp_matches({{ expression }}, ',[ \t\n\r]*[\]}]') then true
        else not regexp_matches(
            regexp_replace({{ expression }}, '"(?:[^"\\]|\\.)*"', '""', 'g'),
            ',[ \t\n\r]*[\]}]'
        )
    end
{%- endmacro %}

{#
  A list of the JSON values at `paths` (JSONPath strings like '$.content.error'), null where
  a path is absent. The text must be valid JSON: guard the call with json_strict_valid.
#}
{% macro json_extract_paths(expression, paths) -%}
    {{ return(adapter.dispatch('json_extract_paths', 'tracehouse')(expression, paths)) }}
{%- endmacro %}

{% macro duckdb__json_extract_paths(expression, paths) -%}
    json_extract({{ expression }}, [{% for path in paths %}'{{ path }}'{% if not loop.last %}, {% endif %}{% endfor %}])
{%- endmacro %}

{#
  json_extract_paths of a text that may not be JSON: null unless the text passes
  json_strict_valid, read with one parse.
#}
{% macro json_extract_paths_or_null(expression, paths) -%}
    {{ return(adapter.dispatch('json_extract_paths_or_null', 'tracehouse')(expression, paths)) }}
{%- endmacro %}

{% macro default__json_extract_paths_or_null(expression, paths) -%}
    case
        when {{ tracehouse.json_strict_valid(expression) }}
            then {{ tracehouse.json_extract_paths(expression, paths) }}
    end
{%- endmacro %}

{# One parse where DuckDB can: try() is null where the reader fails. #}
{% macro duckdb__json_extract_paths_or_null(expression, paths) -%}
    case
        when not regexp_matches({{ expression }}, ',[ \t\n\r]*[\]}]')
            then try({{ tracehouse.json_extract_paths(expression, paths) }})
        when {{ tracehouse.json_strict_valid(expression) }}
            then {{ tracehouse.json_extract_paths(expression, paths) }}
    end
{%- endmacro %}

{# The elements of a JSON array text, as a list of JSON values. #}
{% macro json_array_elements(expression) -%}
    {{ return(adapter.dispatch('json_array_elements', 'tracehouse')(expression)) }}
{%- endmacro %}

{% macro duckdb__json_array_elements(expression) -%}
    json_extract({{ expression }}, '$[*]')
{%- endmacro %}

{#
  The kind of a minified JSON value: object, array, string, boolean, null or number
  (null when the value itself is SQL null, i.e. the path was absent).
#}
{% macro json_kind(json_value) -%}
    case left(cast({{ json_value }} as {{ dbt.type_string() }}), 1)
        when '{' then 'object'
        when '[' then 'array'
        when '"' then 'string'
        when 't' then 'boolean'
        when 'f' then 'boolean'
        when 'n' then 'null'
        else case when {{ json_value }} is not null then 'number' end
    end
{%- endmacro %}

{# The text of a JSON string value, unescaped; for other scalars their JSON text. #}
{% macro json_text(json_value) -%}
    {{ return(adapter.dispatch('json_text', 'tracehouse')(json_value)) }}
{%- endmacro %}

{% macro duckdb__json_text(json_value) -%}
    json_extract_string({{ json_value }}, '$')
{%- endmacro %}

{# The text of a JSON value that is a string, else null. #}
{% macro json_string_or_null(json_value) -%}
    case when {{ tracehouse.json_kind(json_value) }} = 'string' then {{ tracehouse.json_text(json_value) }} end
{%- endmacro %}

{# A JSON value as minified text (varchar). #}
{% macro json_to_text(json_value) -%}
    cast({{ json_value }} as {{ dbt.type_string() }})
{%- endmacro %}

{# The column type of a JSON value in the marts: DuckDB's json; text where there is none. #}
{% macro json_type() -%}
    {{ return(adapter.dispatch('json_type', 'tracehouse')()) }}
{%- endmacro %}

{% macro default__json_type() -%}
    {{ dbt.type_string() }}
{%- endmacro %}

{% macro duckdb__json_type() -%}
    json
{%- endmacro %}
