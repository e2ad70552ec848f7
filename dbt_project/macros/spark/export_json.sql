{#
  Spark versions of macros/export_json.sql. The export JSON must be byte-identical to what
  DuckDB writes, so objects and arrays are assembled as text here rather than with
  to_json(named_struct(...)) (which cannot embed a JSON text as JSON):
  - a text value becomes a JSON string through to_json(array(value)) with the brackets cut
    off; Spark's generator escapes exactly as DuckDB's does (checked on every code point:
    `"` `\` \b \f \n \r \t escaped, other controls as \u00XX upper-case, `/`, DEL, U+2028
    and everything else as is);
  - Spark has no JSON type, so a JSON value is a text whose SQL starts with a marker comment
    (export_json_parse, export_json_value and the builders below add it): the builders embed
    such a value as JSON and quote anything else. DuckDB re-serializes an embedded JSON text
    (minified, string escapes rewritten); spark__export_json_minify does the same on the text,
    see there for its limits.
  Regular expressions are raw literals (r'...'): Spark's ordinary literals eat backslashes.
#}

{#- The marker of a JSON text built by these macros (already in DuckDB's minified form). -#}
{% macro spark__export_json_built_marker() -%}
    /* json:minified */
{%- endmacro %}

{#- The marker of a JSON text from elsewhere (to be minified where it is embedded). -#}
{% macro spark__export_json_text_marker() -%}
    /* json:text */
{%- endmacro %}

{#- A pair value as JSON text: strings quoted and escaped, JSON values embedded. -#}
{% macro spark__export_json_member_value(expression) -%}
    {%- set text = expression | trim -%}
    {%- if text.startswith(tracehouse.spark__export_json_built_marker()) -%}
        ({{ text }})
    {%- elif text.startswith(tracehouse.spark__export_json_text_marker()) -%}
        {{ tracehouse.spark__export_json_minify(text) }}
    {%- else -%}
        case when ({{ text }}) is not null then regexp_replace(to_json(array({{ text }})), r'^\[|\]\z', '') end
    {%- endif -%}
{%- endmacro %}

{#
  A JSON text as DuckDB writes it when it embeds it in an object or array: white space
  outside strings removed, each string decoded and encoded again (so `\u00e9` becomes `é`,
  `\u001f` becomes `\u001F`, `\/` becomes `/`). Strings are found without a regex that
  repeats a group (Java recurses per repetition and overflows on long strings): escaped
  backslashes and quotes are first replaced by \u0001 and \u0002, which valid JSON cannot
  hold raw. Numbers are left as written: DuckDB rewrites them through a double (1E5 as
  100000.0), which is the same text for the numbers export_json_is_python_dumps lets through
  (Python's repr of floats from 1e-4 to 1e16, integers of at most 18 digits), the only JSON
  the export marts embed from outside.
#}
{% macro spark__export_json_minify(expression) -%}
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

{% macro spark__export_json_object(pairs, keep_nulls=false) -%}
    {{ tracehouse.spark__export_json_built_marker() }} ('{' || concat_ws(','
        {%- for key, expression in pairs %},
        '"{{ key }}":' || {% if keep_nulls %}coalesce({{ tracehouse.spark__export_json_member_value(expression) }}, 'null'){% else %}{{ tracehouse.spark__export_json_member_value(expression) }}{% endif %}
        {%- endfor %}
    ) || '}')
{%- endmacro %}

{#- No json_merge_patch cost to avoid on Spark: members whose value is null are left out. -#}
{% macro spark__export_json_object_flat(pairs) -%}
    {{ tracehouse.spark__export_json_object(pairs) }}
{%- endmacro %}

{% macro spark__export_json_parse(expression) -%}
    {{ tracehouse.spark__export_json_text_marker() }} ({{ expression }})
{%- endmacro %}

{% macro spark__export_json_value(expression) -%}
    {{ tracehouse.spark__export_json_built_marker() }} ({{ expression }})
{%- endmacro %}

{% macro spark__export_json_array(expression) -%}
    {{ tracehouse.spark__export_json_built_marker() }} ('[' || coalesce({{ tracehouse.spark__export_json_member_value(expression) }}, 'null') || ']')
{%- endmacro %}

{#
  Ordered aggregation: collect_list does not promise an order (not even over an ordered
  window), so each value travels with its sort key and the list is sorted before it is joined.
  array_join skips nulls, as string_agg does.
#}
{% macro spark__export_sorted_values(collected) -%}
    transform(array_sort({{ collected }}), entry -> entry.value)
{%- endmacro %}

{% macro spark__export_string_agg(expression, separator, order_by) -%}
    case when count({{ expression }}) > 0 then array_join(
        {{ tracehouse.spark__export_sorted_values(
            'collect_list(named_struct(\'sort_key\', ' ~ order_by ~ ', \'value\', ' ~ expression ~ '))'
        ) }},
        {{ separator }}
    ) end
{%- endmacro %}

{% macro spark__export_string_agg_over(expression, separator, window_name, order_by) -%}
    case when count({{ expression }}) over {{ window_name }} > 0 then array_join(
        {{ tracehouse.spark__export_sorted_values(
            'collect_list(named_struct(\'sort_key\', ' ~ order_by ~ ', \'value\', ' ~ expression ~ ')) over ' ~ window_name
        ) }},
        {{ separator }}
    ) end
{%- endmacro %}

{#- A SQL null element is JSON null, as in DuckDB's to_json(list(...)). -#}
{% macro spark__export_json_array_agg_over(expression, window_name, order_by) -%}
    {{ tracehouse.spark__export_json_built_marker() }} ('[' || array_join(transform(
        {{ tracehouse.spark__export_sorted_values(
            'collect_list(named_struct(\'sort_key\', ' ~ order_by ~ ', \'value\', '
            ~ tracehouse.spark__export_json_member_value(expression) ~ ')) over ' ~ window_name
        ) }},
        element -> coalesce(element, 'null')
    ), ',') || ']')
{%- endmacro %}

{% macro spark__export_preceding_text(expression, partition_by, order_by) -%}
    {%- set frame = '(partition by ' ~ partition_by ~ ' order by ' ~ order_by
        ~ ' rows between unbounded preceding and 1 preceding)' -%}
    case when count({{ expression }}) over {{ frame }} > 0 then array_join(
        {{ tracehouse.spark__export_sorted_values(
            'collect_list(named_struct(\'sort_key\', ' ~ order_by ~ ', \'value\', ' ~ expression ~ ')) over ' ~ frame
        ) }},
        ''
    ) end
{%- endmacro %}

{#- json_object_keys lists keys in order, duplicates included, escapes decoded (as json_keys). -#}
{% macro spark__export_json_keys(expression) -%}
    array_join(json_object_keys({{ expression }}), ',')
{%- endmacro %}

{#- conv() reads the hex digits; the division by 2^32 is exact in double, as in DuckDB. -#}
{% macro spark__export_stable_fraction(expression) -%}
    cast(conv(left(md5({{ expression }}), 8), 16, 10) as double) / cast(4294967296 as double)
{%- endmacro %}

{#- Java regex; string literals blanked without a repeated group (see spark__export_json_minify). -#}
{% macro spark__export_json_is_python_dumps(expression) -%}
    (
        not regexp({{ expression }}, r'[^\x20-\x7e]|(?:^|[^\\])(?:\\\\)*\\(?:/|u(?:[0-9a-fA-F]{0,3}[A-F]|000[89acd]|00[2-6][0-9a-f]|007[0-9a-e]))')
        and transform(
            array(regexp_replace(regexp_replace({{ expression }}, r'(?s)\\.', ''), r'"[^"]*"', '""')),
            skeleton -> not regexp(replace(replace(skeleton, ', ', ''), ': ', ''), r'[\s,:]')
                and forall(
                    regexp_extract_all(skeleton, r'[-+0-9.eE]+|[A-Za-z]+', 0),
                    json_token -> json_token in ('true', 'false', 'null')
                        or regexp(json_token, r'^(?:0|-?[1-9][0-9]{0,17})$')
                        or (
                            regexp(json_token, r'^-?(?:0|[1-9][0-9]{0,15})\.(?:0|[0-9]*[1-9])$')
                            and not regexp(json_token, r'^-?0\.000[0-9]*$')
                            and length(regexp_replace(regexp_replace(json_token, r'[-.]', ''), r'^0+', '')) <= 16
                        )
                )
        )[0]
    )
{%- endmacro %}

{% macro spark__export_starts_with(text, prefix) -%}
    startswith({{ text }}, {{ prefix }})
{%- endmacro %}

{#- Whether a valid JSON text is a string: its first character after white space is a quote. -#}
{% macro spark__export_json_is_string(expression) -%}
    (left(regexp_replace({{ expression }}, r'^[ \t\n\r]+', ''), 1) = '"')
{%- endmacro %}
