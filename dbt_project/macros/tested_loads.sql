{#
  Tests by load (the `tested_loads` doc block in _tracehouse__docs.md).

  The rows of an incremental model never change once a load's conversations are in it (a
  re-ingested slice comes back under a new load_id; `--full-refresh` rebuilds everything). So
  a data test that passed on a load's rows need not read them again: `audit.tested_loads`
  records, per test (its id, and dbt's checksum of a singular test's file), the loads it
  passed on, and the next build tests only the others.

  A test is *load-scoped* when
  - it reads incremental models (on the spark target there are none, and nothing changes),
  - every other model it reads is a staging view (a renaming of the raw layer, which changes
    only under new load_ids), and it reads no source directly,
  - and it is not a test of keys (unique, primary_key, unique_combination): a key in a new
    load can collide with one in an old load, so those see every row.
  A generic test is filtered through get_where_subquery (below), on the model it is attached
  to, which must be one of those incremental models. A singular test filters its own imports
  with `where_load_untested()`.

  A generic test of a staging view is *slice-scoped* when it opts in with
  `config: {meta: {tested_by: slice}}`: the view must carry the slice columns (source,
  config, split), and a key test's key must include conversation_key (which differs between
  slices, so a duplicate can only be found within one slice). It reads only the slices whose
  current load (raw.conversations) it has not passed on.

  What a record vouches for is the test's definition and the staging views it may read: the
  checksum kept beside a record is that of the test together with every staging model's, so
  a changed staging view makes every scoped test read every load again.

  on-run-start (`prepare_tested_loads`) creates the table and empties it with
  `--vars '{retest_all_loads: true}'`; on `--full-refresh` it forgets what the tests of the
  selected (so rebuilt) incremental models passed on, and keeps the other records.
  on-run-end (`record_tested_loads`) adds, for every scoped test that passed, the loads
  present in all of its incremental models (for a slice-scoped test: the current loads). A test
  that failed, warned, errored or was skipped records nothing, so the next build tests the
  same loads again.
#}

{% macro tested_loads_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema='audit', identifier='tested_loads')) }}
{%- endmacro %}

{# The tests of keys: they must see every row, old loads included. #}
{% macro key_tests() -%}
    {{ return(['unique', 'primary_key', 'unique_combination']) }}
{%- endmacro %}

{# The incremental models a load-scoped test reads (graph nodes); [] for any other test. #}
{% macro load_scoped_models(test_node) -%}
    {%- if not execute or test_node.resource_type != 'test' -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set test_name = (test_node.test_metadata or {}).get('name') -%}
    {%- if test_name in tracehouse.key_tests() -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set incremental = [] -%}
    {%- for parent_id in test_node.depends_on.nodes -%}
        {%- set parent = graph.nodes.get(parent_id) -%}
        {%- if parent is none or parent.resource_type != 'model' -%}
            {{ return([]) }}
        {%- elif parent.config.materialized == 'incremental' -%}
            {%- do incremental.append(parent) -%}
        {%- elif parent.config.schema != 'staging' -%}
            {{ return([]) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set attached = test_node.get('attached_node') -%}
    {%- if test_name and attached not in (incremental | map(attribute='unique_id') | list) -%}
        {{ return([]) }}
    {%- endif -%}
    {{ return(incremental) }}
{%- endmacro %}

{#
  A generic test of a staging view that opted in to slice scoping (its model node), or none.
  An opted-in test that does not qualify stops the build with the reason.
#}
{% macro slice_scoped_view(test_node) -%}
    {%- if not execute or target.type != 'duckdb' or test_node.resource_type != 'test' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if (test_node.config.meta or {}).get('tested_by') != 'slice' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set view = graph.nodes.get(test_node.get('attached_node')) -%}
    {%- set problems = [] -%}
    {%- if view is none or view.resource_type != 'model' or view.config.materialized != 'view'
        or view.config.schema != 'staging' -%}
        {%- do problems.append('it is not attached to a staging view') -%}
    {%- else -%}
        {%- for column in ['source', 'config', 'split'] if column not in view.columns -%}
            {%- do problems.append(view.name ~ ' declares no column ' ~ column) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set test_name = (test_node.test_metadata or {}).get('name') -%}
    {%- if test_name in tracehouse.key_tests() -%}
        {%- set kwargs = test_node.test_metadata.kwargs -%}
        {%- set key = kwargs.get('columns') or [kwargs.get('column_name')] -%}
        {%- if 'conversation_key' not in key -%}
            {%- do problems.append('its key does not include conversation_key') -%}
        {%- endif -%}
    {%- endif -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            test_node.name ~ " has meta tested_by: slice, but " ~ problems | join('; ')
            ~ " (macros/tested_loads.sql)"
        ) }}
    {%- endif -%}
    {{ return(view) }}
{%- endmacro %}

{# The checksum kept beside a record: the test's, with every staging model's. #}
{% macro tested_checksum(test_node) -%}
    {%- set parts = [test_node.unique_id ~ ':' ~ test_node.checksum.checksum] -%}
    {%- for node in graph.nodes.values() | sort(attribute='unique_id')
        if node.resource_type == 'model' and node.config.schema == 'staging' -%}
        {%- do parts.append(node.unique_id ~ ':' ~ node.checksum.checksum) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join('|'))) }}
{%- endmacro %}

{# `select load_id from (the records of this test, as it is now defined)`. #}
{% macro passed_loads(test_node) -%}
    select tested.load_id from {{ tracehouse.tested_loads_relation() }} as tested
    where
        tested.test_id = '{{ test_node.unique_id }}'
        and tested.test_checksum = '{{ tracehouse.tested_checksum(test_node) }}'
{%- endmacro %}

{#
  A table of the raw layer: raw_relation('conversations') holds the current load of every
  slice, raw_relation('loads') every load ever landed (a replaced one included).
#}
{% macro raw_relation(table) -%}
    {%- set raw = graph.sources['source.tracehouse.hermes.' ~ table] -%}
    {{ return(api.Relation.create(database=raw.database, schema=raw.schema, identifier=raw.identifier)) }}
{%- endmacro %}

{#
  What a scoped test has not passed on yet, as a condition on the rows it reads; '' for a
  test that is not scoped. The filters below use it, and the on-run-end hook records the
  loads that are not in passed_loads(), the one definition of what a test passed on.
  - load-scoped: `<column> in (the loads of raw.loads it has not passed on)`. Every row of
    an incremental model carries a load that raw.loads records. The condition names the
    loads to read rather than those to skip: DuckDB then skips, by their min/max, the row
    groups of the others, and reads nothing when there are none; `not in (the passed
    loads)` read every row of the tables, text included (at 10x the kimi size 7 s of a
    build with no new data for the block reconciliation test, against 0.01 s);
  - slice-scoped: `(source, config, split) in (the slices whose current load it has not
    passed on)`.
#}
{% macro untested_load_condition(test_node, column='load_id') -%}
    {%- if tracehouse.load_scoped_models(test_node) -%}
        {{ column }} in (
            select loads.load_id from {{ tracehouse.raw_relation('loads') }} as loads
            where loads.load_id not in ({{ tracehouse.passed_loads(test_node) }})
        )
    {%- elif tracehouse.slice_scoped_view(test_node) -%}
        (source, config, split) in (
            select distinct current_loads.source, current_loads.config, current_loads.split
            from {{ tracehouse.raw_relation('conversations') }} as current_loads
            where current_loads.load_id not in ({{ tracehouse.passed_loads(test_node) }})
        )
    {%- endif -%}
{%- endmacro %}

{# For singular tests: that condition on the test being compiled (`model`), or `true`. #}
{% macro where_load_untested(column='load_id') -%}
    {{ tracehouse.untested_load_condition(model, column) | trim or 'true' }}
{%- endmacro %}

{# dbt wraps the model of every generic test in this macro (dbt's `where` config included). #}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set conditions = [] -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set untested = tracehouse.untested_load_condition(model) | trim -%}
    {%- if untested -%}
        {%- do conditions.append(untested) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}

{#
  The load-scoped tests that read a model this run selects: on --full-refresh those models
  are rebuilt from scratch, so what those tests passed on is forgotten. The records of tests
  of other models still hold (their rows did not change).
#}
{% macro tests_of_selected_models() -%}
    {%- set tests = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='unique_id') if node.resource_type == 'test' -%}
        {%- set read = tracehouse.load_scoped_models(node) | map(attribute='unique_id') | list -%}
        {%- if read | select('in', selected_resources) | list -%}
            {%- do tests.append(node.unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(tests) }}
{%- endmacro %}

{#
  on-run-start: the table; emptied with --vars '{retest_all_loads: true}', and on
  --full-refresh rid of the records of the tests of the models rebuilt.
#}
{% macro prepare_tested_loads() -%}
    {%- if execute and target.type == 'duckdb' -%}
        {%- set relation = tracehouse.tested_loads_relation() -%}
        {%- call statement('prepare_tested_loads') -%}
            create schema if not exists {{ relation.include(identifier=false) }};
            create table if not exists {{ relation }} (
                test_id varchar not null,
                test_checksum varchar not null,
                load_id varchar not null,
                tested_at timestamp not null
            );
            {%- if var('retest_all_loads', false) %}
            delete from {{ relation }};
            {%- elif flags.FULL_REFRESH %}
            {%- set forgotten = tracehouse.tests_of_selected_models() %}
            {%- if forgotten %}
            delete from {{ relation }} where test_id in ('{{ forgotten | join("', '") }}');
            {%- endif %}
            {%- endif %}
        {%- endcall -%}
        {#- dbt runs project hooks in a transaction that it rolls back -#}
        {%- do adapter.commit() -%}
    {%- endif -%}
    select 1 as tested_loads_ready
{%- endmacro %}

{# on-run-end: the loads each scoped test passed on, in one statement. #}
{% macro record_tested_loads(results) -%}
    {%- set selects = [] -%}
    {%- if execute and target.type == 'duckdb' -%}
        {%- set relation = tracehouse.tested_loads_relation() -%}
        {%- for result in results if result.node.resource_type == 'test' and result.status == 'pass' -%}
            {%- set test_node = graph.nodes[result.node.unique_id] -%}
            {%- set models = tracehouse.load_scoped_models(test_node) -%}
            {%- set covered = [] -%}
            {%- if models -%}
                {#- the loads present in every incremental model the test read -#}
                {%- for node in models -%}
                    {%- set model_relation = api.Relation.create(
                        database=node.database, schema=node.schema, identifier=node.alias
                    ) -%}
                    {%- do covered.append('select distinct load_id from ' ~ model_relation) -%}
                {%- endfor -%}
            {%- elif tracehouse.slice_scoped_view(test_node) -%}
                {#- the current loads of the slices it read -#}
                {%- do covered.append(
                    'select distinct load_id from ' ~ tracehouse.raw_relation('conversations')
                ) -%}
            {%- endif -%}
            {%- if covered -%}
                {%- set select -%}
                    select
                        '{{ test_node.unique_id }}' as test_id,
                        '{{ tracehouse.tested_checksum(test_node) }}' as test_checksum,
                        load_id
                    from ({{ covered | join(' intersect ') }}) as covered
                    where load_id not in ({{ tracehouse.passed_loads(test_node) }})
                {%- endset -%}
                {%- do selects.append(select) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if selects -%}
            {%- call statement('record_tested_loads') -%}
                insert into {{ relation }} (test_id, test_checksum, load_id, tested_at)
                select test_id, test_checksum, load_id, current_timestamp
                from (
                    {{ selects | join('\nunion all\n') }}
                ) as passed
            {%- endcall -%}
            {%- do adapter.commit() -%}
        {%- endif -%}
    {%- endif -%}
    select {{ selects | length }} as tests_recorded
{%- endmacro %}
