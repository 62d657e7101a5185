"""Graphite render functions, by Graphite group: combine/, transform/, calculate/ and filter/
(subpackages with modules by concern), alias, graph, special and sorting. Each function is
declared with the registry's `function` decorator (registry.py); loader.py imports every
module once. Shared pieces: params (parameter declarations, argument coercion), naming (how
names and tags are written), align (series brought to one step), results (result series),
and tsstore/query/aggregation.py (the aggregation table)."""
