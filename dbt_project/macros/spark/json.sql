{#
  Spark versions of macros/json.sql. They return what DuckDB's do: JSON values as minified
  JSON text, strings quoted, so that json_kind (first character) and json_text work alike.

  Spark has no json_valid, and get_json_object returns a string value unquoted, so:
  - validity: a structural parse plus checks on the text (spark__json_strict_valid);
  - extraction: get_json_object gives objects, arrays, numbers and booleans as minified text
    in their original key order (what DuckDB gives); a VARIANT of the same text says which
    values are strings or JSON null (spark__json_extract_paths).
  Both were compared with DuckDB's on a battery of edge-case texts; the known differences
  are listed beside each.
#}

{#
  Strict validity. Spark's JSON parser is lenient (single quotes, raw control characters, NaN),
  so it only checks the structure: the text, wrapped in brackets, must be an array of exactly
  one value (no trailing comma, nothing after the value). Python's NaN, Infinity and -Infinity,
  which DuckDB's check accepts, are replaced by 0 for that parse, outside strings only. What
  the lenient parser lets through is then ruled out on the text: a control character other
  than JSON white space, or any inside a string; outside strings, anything but brackets,
  separators, numbers, literals and white space (single quotes, bare names, lower-case nan);
  a lone surrogate escape; and the same trailing comma and nan/inf check as DuckDB's
  version. Strings are found without a regex that repeats a group (Java recurses per repetition): escaped backslashes and quotes
  are replaced by \u0001 and \u0002 first (valid JSON holds neither raw), so that a string is
  `"[^"]*"`.
#}
{% macro spark__json_strict_valid(expression) -%}
    {%- set masked = "replace(replace(" ~ expression ~ ", r'\\\\', chr(1)), r'\\\"', chr(2))" -%}
    case
        when {{ expression }} is null then false
        when regexp({{ expression }}, r'[\x00-\x08\x0b\x0c\x0e-\x1f]') then false
        else transform(
            array(regexp_extract_all({{ masked }}, r'"[^"]*"|[^"]+', 0)),
            json_tokens -> coalesce(json_array_length(
                '[' || array_join(transform(
                    json_tokens,
                    json_token -> case
                        when startswith(json_token, '"')
                            then replace(replace(json_token, chr(2), r'\"'), chr(1), r'\\')
                        else regexp_replace(json_token, r'NaN|-?Infinity', '0')
                    end
                ), '') || ']'
            ) = 1, false)
            and not exists(
                json_tokens,
                json_token -> case
                    when startswith(json_token, '"') then regexp(json_token, r'[\t\n\r]')
                    else regexp(
                        regexp_replace(json_token, r'true|false|null|NaN|Infinity', ''),
                        r'[^\[\]{}:,0-9eE.+\- \t\n\r]'
                    )
                end
            )
            and not regexp(
                {{ masked }},
                r'\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}'
            )
            and not regexp(
                regexp_replace(
                    array_join(
                        transform(json_tokens, json_token -> case when startswith(json_token, '"') then '""' else json_token end),
                        ''
                    ),
                    r'NaN|-?Infinity', ''
                ),
                r',[ \t\n\r]*[\]}]|(?i:nan|inf)'
            )
        )[0]
    end
{%- endmacro %}

{#
  The values at `paths` as DuckDB's json_extract gives them: minified JSON text, strings
  quoted, null where a path is absent. get_json_object gives an object or array minified
  with its key order, but a string unquoted; the kind of the value is read from a variant
  (whose own text sorts object keys, so it is used for the kind and for scalars only).
  get_json_object escapes characters outside the BMP as surrogate pairs (\uD83D\uDE00) where
  DuckDB writes them as they are: its strings are encoded again by spark__json_minify.
  Known differences (tested against DuckDB on a battery of texts): a float inside an
  extracted object or array, and a float scalar below 1e-3 or written with an exponent, are
  written by Java (1.0E-5 where DuckDB writes 0.00001); a text with NaN or Infinity, which
  DuckDB's reader takes, gives nulls (Spark's reader rejects it); a text with a duplicate key
  has no variant, and its value is taken as get_json_object gives it (a string unquoted); a
  number beyond double range (1e400) comes back as the string "Infinity".
#}
{% macro spark__json_extract_paths(expression, paths) -%}
    array(
        {%- for path in paths %}
        {%- set variant = "try_variant_get(try_parse_json(" ~ expression ~ "), '" ~ path ~ "')" %}
        {%- set raw = "get_json_object(" ~ expression ~ ", '" ~ path ~ "')" %}
        case left(to_json({{ variant }}), 1)
            when '"' then case
                when schema_of_variant({{ variant }}) = 'STRING'
                    then regexp_replace(to_json(array({{ raw }})), r'^\[|\]\z', '')
                -- a number out of double range: the variant writes "Infinity"
                else {{ raw }}
            end
            when '{' then {{ tracehouse.spark__json_minify(raw) }}
            when '[' then {{ tracehouse.spark__json_minify(raw) }}
            when 'n' then 'null'
            -- numbers and booleans: get_json_object writes a float through Java (-0.0 as
            -- DuckDB does), the variant a decimal as written (12345678.9, not 1.23456789E7)
            else case
                when regexp({{ raw }}, r'[eE]') then coalesce(to_json({{ variant }}), {{ raw }})
                else {{ raw }}
            end
        end{% if not loop.last %},{% endif %}
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

{#- The text of a minified JSON value: a string decoded, JSON null as SQL null, others as is. -#}
{% macro spark__json_text(json_value) -%}
    case
        when left({{ json_value }}, 1) = '"'
            then from_json('[' || {{ json_value }} || ']', 'array<string>')[0]
        when {{ json_value }} != 'null' then {{ json_value }}
    end
{%- endmacro %}

{#
  A JSON text as DuckDB writes it when it embeds it in an object or array: white space
  outside strings removed, each string decoded and encoded again (so `\u00e9` becomes `é`,
  `\u001f` becomes `\u001F`, `\/` becomes `/`). Strings are found without a regex that
  repeats a group (Java recurses per repetition and overflows on long strings): escaped
  backslashes and quotes are first replaced by \u0001 and \u0002, which valid JSON cannot
  hold raw. Numbers are left as written: DuckDB rewrites them through a double (1E5 as
  100000.0), which is the same text for Python's repr of floats from 1e-4 to 1e16 and
  integers of at most 18 digits.
#}
{% macro spark__json_minify(expression) -%}
    array_join(transform(
        regexp_extract_all(
            replace(replace({{ expression }}, r'\\', chr(1)), r'\"', chr(2)),
            r'"[^"]*"|[^"]+',
            0
        ),
        json_token -> case
            when startswith(json_token, '"')
                then regexp_replace(
                    to_json(from_json(
                        '[' || replace(replace(json_token, chr(2), r'\"'), chr(1), r'\\') || ']',
                        'array<string>'
                    )),
                    r'^\[|\]\z',
                    ''
                )
            else regexp_replace(json_token, r'[ \t\n\r]+', '')
        end
    ), '')
{%- endmacro %}
