{#
  Spark versions of macros/json.sql. They return what DuckDB's do: JSON values as minified
  JSON text, strings quoted, so that json_kind (first character) and json_text work alike.

  Spark has no json_valid, and get_json_object returns a string value unquoted, so:
  - validity: json_array_length of the text wrapped in `[...]` (Jackson, which like Python
    refuses trailing commas, leading zeros and bare control characters) must be 1;
  - extraction: get_json_object gives objects, arrays, numbers and booleans as minified text
    in their original key order (what DuckDB gives); a VARIANT of the same text says which
    values are strings (re-encoded, quoted, by to_json) or JSON null.
#}

{#
  Jackson (as Spark configures it) also accepts single-quoted strings and raw control
  characters inside strings, which Python refuses: with every escape pair (`\` and the
  character after it) removed, then every double-quoted string without control characters,
  no quote may be left. Python accepts NaN, Infinity and -Infinity, which Jackson refuses: a
  text that fails is checked again with its strings blanked and those tokens replaced by 0.
  (No `(?:a|b)*` patterns: Java's regex recurses once per repetition of a group and overflows
  the stack on long strings.)
#}
{% macro spark__json_strict_valid(expression) -%}
    {%- set without_escapes = "regexp_replace(" ~ expression ~ ", "
        ~ tracehouse.spark_regex_literal('\\\\(?s:.)') ~ ", '')" -%}
    {%- set python_string = tracehouse.spark_regex_literal('"[^"\\\\\\x00-\\x1f]*"') -%}
    case
        when {{ expression }} is null then false
        when regexp_like(
            regexp_replace({{ without_escapes }}, {{ python_string }}, ''),
            {{ tracehouse.spark_regex_literal("[\"']") }}
        ) then false
        when coalesce(json_array_length('[' || {{ expression }} || ']') = 1, false) then true
        when not regexp_like({{ expression }}, 'NaN|Infinity') then false
        else coalesce(json_array_length(
            '[' || regexp_replace(
                regexp_replace({{ without_escapes }}, {{ python_string }}, '""'),
                'NaN|-?Infinity',
                '0'
            ) || ']'
        ) = 1, false)
    end
{%- endmacro %}

{# One JSON value at a literal path, as DuckDB's json_extract writes it (null when absent). #}
{% macro spark_json_value(expression, path) -%}
    case schema_of_variant(try_variant_get(try_parse_json({{ expression }}), '{{ path }}'))
        when 'STRING' then to_json(try_variant_get(try_parse_json({{ expression }}), '{{ path }}'))
        when 'VOID' then 'null'
        else get_json_object({{ expression }}, '{{ path }}')
    end
{%- endmacro %}

{% macro spark__json_extract_paths(expression, paths) -%}
    array(
        {%- for path in paths %}
        {{ tracehouse.spark_json_value(expression, path) }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    )
{%- endmacro %}

{# The elements of a JSON array text (null when it is not an array), each as minified text. #}
{% macro spark__json_array_elements(expression) -%}
    zip_with(
        from_json({{ expression }}, 'array<string>'),
        try_cast(try_parse_json({{ expression }}) as array<variant>),
        (raw_element, variant_element) -> case schema_of_variant(variant_element)
            when 'STRING' then to_json(variant_element)
            when 'VOID' then 'null'
            else raw_element
        end
    )
{%- endmacro %}

{# get_json_object(value, '$'): a string unescaped, any other value as its JSON text. #}
{% macro spark__json_text(json_value) -%}
    get_json_object({{ json_value }}, '$')
{%- endmacro %}
