{#
  Engine-specific SQL of the export marts (marts/export): building JSON objects and arrays,
  ordered list aggregation, and the check that a JSON text is exactly what Python's
  `json.dumps(value)` (default arguments) writes for its own parse. The export's lossless
  claim rests on that check: a value that passes it is rebuilt byte-exact by
  `tracehouse.export.messages_to_sharegpt`; one that fails is exported as plain text.
#}

{#
  A JSON object from (key, expression) pairs, in order; keys whose value is SQL null are left
  out (a message has `reasoning_content` only when it has reasoning) unless keep_nulls. A varchar value becomes
  a JSON string, a JSON-typed value is embedded as JSON.
#}
{% macro export_json_object(pairs, keep_nulls=false) -%}
    {{ return(adapter.dispatch('export_json_object', 'tracehouse')(pairs, keep_nulls)) }}
{%- endmacro %}

{% macro duckdb__export_json_object(pairs, keep_nulls=false) -%}
    {% if not keep_nulls %}json_merge_patch('{}', {% endif %}json_object(
        {%- for key, expression in pairs %}
        '{{ key }}', {{ expression }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    ){% if not keep_nulls %}){% endif %}
{%- endmacro %}

{# JSON text as a JSON-typed value (embedded as JSON, not as a string, by export_json_object). #}
{% macro export_json_parse(expression) -%}
    {{ return(adapter.dispatch('export_json_parse', 'tracehouse')(expression)) }}
{%- endmacro %}

{% macro duckdb__export_json_parse(expression) -%}
    cast({{ expression }} as json)
{%- endmacro %}

{#
  A column that already holds JSON built by these macros (JSON-typed on DuckDB), so that
  export_json_object embeds it as JSON rather than as a string.
#}
{% macro export_json_value(expression) -%}
    {{ return(adapter.dispatch('export_json_value', 'tracehouse')(expression)) }}
{%- endmacro %}

{% macro duckdb__export_json_value(expression) -%}
    {{ expression }}
{%- endmacro %}

{# Whether a valid JSON text is a JSON string (null when the text is null). #}
{% macro export_json_is_string(expression) -%}
    {{ return(adapter.dispatch('export_json_is_string', 'tracehouse')(expression)) }}
{%- endmacro %}

{% macro duckdb__export_json_is_string(expression) -%}
    (json_type({{ expression }}) = 'VARCHAR')
{%- endmacro %}

{#
  A JSON array of one `expression`: what export_json_array_agg_over gives for a partition of
  one row, for the rows that need no window.
#}
{% macro export_json_array(expression) -%}
    {{ return(adapter.dispatch('export_json_array', 'tracehouse')(expression)) }}
{%- endmacro %}

{% macro duckdb__export_json_array(expression) -%}
    to_json([{{ expression }}])
{%- endmacro %}

{# Aggregate: text joined by `separator` in `order_by` order; null when there is no row. #}
{% macro export_string_agg(expression, separator, order_by) -%}
    {{ return(adapter.dispatch('export_string_agg', 'tracehouse')(expression, separator, order_by)) }}
{%- endmacro %}

{% macro duckdb__export_string_agg(expression, separator, order_by) -%}
    string_agg({{ expression }}, {{ separator }} order by {{ order_by }})
{%- endmacro %}

{#
  Window aggregates over a named window `window_name` that is a bare partition (no ORDER BY,
  so the frame is the whole partition): the text of the partition's values in `order_by`
  order, as export_string_agg gives (and as `to_json(list(expression order by ...))` for the
  array), on every row.

  The order is the aggregate's own, not the window's: with an ORDER BY in the window and a
  frame of the whole partition, DuckDB computed the whole aggregate again for every row
  (3.7x slower on the kimi-sized multi-response tool messages, same result).
#}
{% macro export_string_agg_over(expression, separator, window_name, order_by) -%}
    {{ return(adapter.dispatch('export_string_agg_over', 'tracehouse')(expression, separator, window_name, order_by)) }}
{%- endmacro %}

{% macro duckdb__export_string_agg_over(expression, separator, window_name, order_by) -%}
    string_agg({{ expression }}, {{ separator }} order by {{ order_by }}) over {{ window_name }}
{%- endmacro %}

{% macro export_json_array_agg_over(expression, window_name, order_by) -%}
    {{ return(adapter.dispatch('export_json_array_agg_over', 'tracehouse')(expression, window_name, order_by)) }}
{%- endmacro %}

{% macro duckdb__export_json_array_agg_over(expression, window_name, order_by) -%}
    to_json(list({{ expression }} order by {{ order_by }}) over {{ window_name }})
{%- endmacro %}

{# The top-level keys of a JSON object text, in order, joined by ','. #}
{% macro export_json_keys(expression) -%}
    {{ return(adapter.dispatch('export_json_keys', 'tracehouse')(expression)) }}
{%- endmacro %}

{% macro duckdb__export_json_keys(expression) -%}
    array_to_string(json_keys({{ expression }}), ',')
{%- endmacro %}

{#
  A stable number in [0, 1) from a text: the first 8 hex digits of its md5 over 2^32.
  The same in Python: int(hashlib.md5(text.encode()).hexdigest()[:8], 16) / 2**32.
  (DuckDB's `hash` is not stable across versions; md5 is.)
#}
{% macro export_stable_fraction(expression) -%}
    {{ return(adapter.dispatch('export_stable_fraction', 'tracehouse')(expression)) }}
{%- endmacro %}

{% macro duckdb__export_stable_fraction(expression) -%}
    cast(cast('0x' || left(md5({{ expression }}), 8) as ubigint) as double) / 4294967296.0
{%- endmacro %}

{#
  Whether a valid JSON text is written exactly as Python's `json.dumps(json.loads(text))`
  writes it (default arguments: ", " and ": " separators, ensure_ascii, no other white space).
  Checked on the text, conservatively (a value this rejects is exported as plain text, never
  lost):
  - only printable ASCII (ensure_ascii escapes everything else);
  - outside strings, white space only as the ", " and ": " separators;
  - inside strings, no escape Python would write otherwise: no `\/`, no upper-case hex, no
    \uXXXX for printable ASCII or for \b \t \n \f \r (invalid escapes fail JSON validity);
  - numbers as Python writes them: integers without a sign on zero and of at most 18 digits,
    floats in repr form (no exponent, no trailing zero except `.0`, at most 16 significant
    digits, magnitude from 1e-4 to below 1e16); no NaN or Infinity.
  Not checked: duplicate keys in an object (json.loads keeps the last one).
#}
{% macro export_json_is_python_dumps(expression) -%}
    {{ return(adapter.dispatch('export_json_is_python_dumps', 'tracehouse')(expression)) }}
{%- endmacro %}

{% macro duckdb__export_json_is_python_dumps(expression) -%}
    (
        not regexp_matches({{ expression }}, '[^\x20-\x7e]|(?:^|[^\\])(?:\\\\)*\\(?:/|u(?:[0-9a-fA-F]{0,3}[A-F]|000[89acd]|00[2-6][0-9a-f]|007[0-9a-e]))')
        and list_transform(
            [regexp_replace({{ expression }}, '"[^"\\]*(?:\\.[^"\\]*)*"', '""', 'g')],
            skeleton -> regexp_full_match(replace(replace(skeleton, ', ', ''), ': ', ''), '[^\s,:]*')
                and len(list_filter(
                    regexp_extract_all(skeleton, '[-+0-9.eE]+|[A-Za-z]+'),
                    token -> not (
                        token in ('true', 'false', 'null')
                        or regexp_full_match(token, '0|-?[1-9][0-9]{0,17}')
                        or (
                            regexp_full_match(token, '-?(?:0|[1-9][0-9]{0,15})\.(?:0|[0-9]*[1-9])')
                            and not regexp_full_match(token, '-?0\.000[0-9]*')
                            and len(regexp_replace(regexp_replace(token, '[-.]', '', 'g'), '^0+', '')) <= 16
                        )
                    )
                )) = 0
        )[1]
    )
{%- endmacro %}

{#
  Window: the text of `expression` over the rows before the current one in `order_by` order
  (null on the first row). Used to render the prompt of each assistant turn.
#}
{% macro export_preceding_text(expression, partition_by, order_by) -%}
    {{ return(adapter.dispatch('export_preceding_text', 'tracehouse')(expression, partition_by, order_by)) }}
{%- endmacro %}

{% macro duckdb__export_preceding_text(expression, partition_by, order_by) -%}
    string_agg({{ expression }}, '' order by {{ order_by }}) over (
        partition by {{ partition_by }}
        order by {{ order_by }}
        rows between unbounded preceding and 1 preceding
    )
{%- endmacro %}

{#
  export_json_object for values that are never JSON objects (varchar, JSON arrays, scalars):
  the same text, but json_merge_patch (slow: it parses and rewrites the whole object, message
  text included) runs only on rows where a value is null and its key must be left out. Not for
  JSON-object values: json_merge_patch also drops null members nested inside those.
#}
{% macro export_json_object_flat(pairs) -%}
    {{ return(adapter.dispatch('export_json_object_flat', 'tracehouse')(pairs)) }}
{%- endmacro %}

{% macro duckdb__export_json_object_flat(pairs) -%}
    case
        when {% for key, expression in pairs %}({{ expression }}) is not null{% if not loop.last %} and {% endif %}{% endfor %}
            then {{ tracehouse.export_json_object(pairs, keep_nulls=true) }}
        else {{ tracehouse.export_json_object(pairs) }}
    end
{%- endmacro %}

{# Whether `text` starts with `prefix`. #}
{% macro export_starts_with(text, prefix) -%}
    {{ return(adapter.dispatch('export_starts_with', 'tracehouse')(text, prefix)) }}
{%- endmacro %}

{% macro duckdb__export_starts_with(text, prefix) -%}
    starts_with({{ text }}, {{ prefix }})
{%- endmacro %}
