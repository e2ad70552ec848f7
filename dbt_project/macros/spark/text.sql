{#
  Spark versions of macros/text.sql (Java regex; patterns through spark_regex_literal).
  text_contains and byte_length use the defaults (position, octet_length).
#}

{# `\z`: the very end (Java's `$` also matches before a final line terminator). #}
{% macro spark__strip_whitespace(expression) -%}
    regexp_replace(
        regexp_replace(
            {{ expression }},
            {{ tracehouse.spark_regex_literal('^' ~ tracehouse.python_whitespace_class() ~ '+') }},
            ''
        ),
        {{ tracehouse.spark_regex_literal(tracehouse.python_whitespace_class() ~ '+\\z') }},
        ''
    )
{%- endmacro %}

{% macro spark__is_blank(expression) -%}
    not regexp_like(
        {{ expression }},
        {{ tracehouse.spark_regex_literal(tracehouse.python_whitespace_class(negated=true)) }}
    )
{%- endmacro %}

{% macro spark__word_count(expression) -%}
    case
        when {{ expression }} is not null
            then cast(size(regexp_extract_all(
                {{ expression }},
                {{ tracehouse.spark_regex_literal(tracehouse.python_whitespace_class(negated=true) ~ '+') }},
                0
            )) as bigint)
    end
{%- endmacro %}

{% macro spark__regex_matches(expression, pattern) -%}
    regexp_like({{ expression }}, {{ tracehouse.spark_regex_literal(pattern) }})
{%- endmacro %}

{# `^...$` around the pattern: Java's matches() is the whole text; \z is the very end. #}
{% macro spark__regex_full_match(expression, pattern) -%}
    regexp_like({{ expression }}, {{ tracehouse.spark_regex_literal('^(?:' ~ pattern ~ ')\\z') }})
{%- endmacro %}
