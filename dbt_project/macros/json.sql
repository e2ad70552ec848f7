{#
  JSON helpers. A JSON text is parsed once per body: `json_extract_paths` pulls every field a
  model needs in one parse, and the (minified) values it returns are classified by their first
  character (`json_kind`) instead of being parsed again.
#}

{#
  Whether the text parses as JSON under Python's json.loads rules. DuckDB's reader also
  accepts trailing commas and lower-case nan/inf, which Python rejects: those are ruled out
  on a copy of the text whose string literals are blanked.
#}
{% macro json_strict_valid(expression) -%}
    {{ return(adapter.dispatch('json_strict_valid', 'tracehouse')(expression)) }}
{%- endmacro %}

{% macro duckdb__json_strict_valid(expression) -%}
    case
        when {{ expression }} is null or not json_valid({{ expression }}) then false
        -- fast path: no trailing comma or bare nan/inf can hide anywhere in the text
        when not regexp_matches(
            {{ expression }},
            ',[ \t\n\r]*[\]}]|(?:^|[:\[,])[ \t\n\r]*-?(?i:nan|inf|infinity)[ \t\n\r]*(?:[,\]}]|$)'
        ) then true
        -- slow path (a CASE branch, so only evaluated when taken): the same checks outside
        -- string literals
        else not regexp_matches(
            regexp_replace(
                regexp_replace({{ expression }}, '"(?:[^"\\]|\\.)*"', '""', 'g'),
                'NaN|-?Infinity', '', 'g'
            ),
            ',[ \t\n\r]*[\]}]|(?i:nan|inf)'
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
