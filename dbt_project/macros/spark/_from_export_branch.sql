{#
  Spark versions of core macros (json.sql, text.sql, lists.sql, parse.sql) written on the
  spark-export branch, which needed them before spark-core had them: the first four are what
  the export and report marts call; the rest are stubs so that dbt can parse every model on
  the spark target (they fail if a model that uses them is compiled). To reconcile with
  spark-core's versions at merge: keep one definition of each, and drop the stubs.
#}

{#
  Strict validity: the text, wrapped in brackets, must be a JSON array of exactly one value
  (Spark's parser rejects trailing commas and garbage after the value), then the same
  nan/inf checks as DuckDB's version. Strings are blanked without a repeated group (Java
  recurses per repetition): escapes are removed first, then `"[^"]*"` is a whole string.
#}
{% macro spark__json_strict_valid(expression) -%}
    case
        when {{ expression }} is null then false
        when not coalesce(json_array_length('[' || {{ expression }} || ']') = 1, false) then false
        when not regexp(
            {{ expression }},
            r',[ \t\n\r]*[\]}]|(?:^|[:\[,])[ \t\n\r]*-?(?i:nan|inf|infinity)[ \t\n\r]*(?:[,\]}]|$)'
        ) then true
        else not regexp(
            regexp_replace(
                regexp_replace(regexp_replace({{ expression }}, r'(?s)\\.', ''), r'"[^"]*"', '""'),
                r'NaN|-?Infinity', ''
            ),
            r',[ \t\n\r]*[\]}]|(?i:nan|inf)'
        )
    end
{%- endmacro %}

{#
  The values at `paths` as DuckDB's json_extract gives them: minified JSON text, strings
  quoted, null where a path is absent. get_json_object gives an object or array minified
  with its key order, but a string unquoted; the kind of the value is read from a variant
  (whose own text sorts object keys, so it is used for the kind and for scalars only).
  get_json_object escapes characters outside the BMP as surrogate pairs (\uD83D\uDE00) where
  DuckDB writes them as they are: its strings are encoded again by spark__export_json_minify.
  Known differences: a float inside an object or array is written by Java (1.23456789E7
  where DuckDB writes 12345678.9); a text with a duplicate key has no variant, and its value
  is taken as get_json_object gives it.
#}
{% macro spark__json_extract_paths(expression, paths) -%}
    array(
        {%- for path in paths %}
        {%- set variant = "try_variant_get(try_parse_json(" ~ expression ~ "), '" ~ path ~ "')" %}
        {%- set raw = "get_json_object(" ~ expression ~ ", '" ~ path ~ "')" %}
        case left(to_json({{ variant }}), 1)
            when '"' then regexp_replace(to_json(array({{ raw }})), r'^\[|\]\z', '')
            when '{' then {{ tracehouse.spark__export_json_minify(raw) }}
            when '[' then {{ tracehouse.spark__export_json_minify(raw) }}
            when 'n' then 'null'
            else coalesce(to_json({{ variant }}), {{ raw }})
        end{% if not loop.last %},{% endif %}
        {%- endfor %}
    )
{%- endmacro %}

{#- The text of a minified JSON value: a string decoded, JSON null as SQL null, others as is. -#}
{% macro spark__json_text(json_value) -%}
    case
        when left({{ json_value }}, 1) = '"'
            then from_json('[' || {{ json_value }} || ']', 'array<string>')[0]
        when {{ json_value }} != 'null' then {{ json_value }}
    end
{%- endmacro %}

{#- Java regex, anchored at both ends; \z, not $ (which also matches before a final newline). -#}
{% macro spark__strip_whitespace(expression) -%}
    regexp_replace(
        regexp_replace({{ expression }}, r'^{{ tracehouse.python_whitespace_class() }}+', ''),
        r'{{ tracehouse.python_whitespace_class() }}+\z', ''
    )
{%- endmacro %}

{#- Stubs: parse only. -#}
{% macro spark__export_branch_stub(name) -%}
    {%- if execute -%}
        {{ exceptions.raise_compiler_error(
            "macro " ~ name ~ " has no Spark version on the spark-export branch (spark-core ports it)"
        ) }}
    {%- endif -%}
    null
{%- endmacro %}

{% macro spark__struct_field(struct_expression, field_name) -%}
    {{ tracehouse.spark__export_branch_stub('struct_field') }}
{%- endmacro %}

{% macro spark__parse_blocks(text, role) -%}
    {{ tracehouse.spark__export_branch_stub('parse_blocks') }}
{%- endmacro %}

{% macro spark__word_count(expression) -%}
    {{ tracehouse.spark__export_branch_stub('word_count') }}
{%- endmacro %}

{% macro spark__is_blank(expression) -%}
    {{ tracehouse.spark__export_branch_stub('is_blank') }}
{%- endmacro %}

{% macro spark__regex_matches(expression, pattern) -%}
    {{ tracehouse.spark__export_branch_stub('regex_matches') }}
{%- endmacro %}

{% macro spark__json_array_elements(expression) -%}
    {{ tracehouse.spark__export_branch_stub('json_array_elements') }}
{%- endmacro %}
