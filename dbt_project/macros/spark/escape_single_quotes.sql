{#
  Overrides dbt-spark's spark__escape_single_quotes (dbt's dispatch finds the root project's
  version first). A Spark SQL string literal also treats `\` as an escape character, which
  dbt-spark does not escape: a unit-test fixture row holding `\n` inside a JSON string reached
  Spark as a raw newline. Doubling backslashes keeps fixture text as written.
#}
{% macro spark__escape_single_quotes(expression) -%}
{{ expression | replace("\\", "\\\\") | replace("'", "\\'") }}
{%- endmacro %}
