{# Spark version of macros/block_facts.sql: a struct is named_struct. #}

{% macro spark__facts_struct(values) -%}
    named_struct(
        {%- for name, type in tracehouse.block_facts_fields() %}
        '{{ name }}', cast({{ values.get(name, 'null') }} as {{ type }}){% if not loop.last %},{% endif %}
        {%- endfor %}
    )
{%- endmacro %}
