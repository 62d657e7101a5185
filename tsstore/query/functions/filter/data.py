"""Filter Data: values set to null above or below a value or a percentile of the series."""
from __future__ import annotations

import numpy as np

from tsstore.query.aggregation import percentile
from tsstore.query.functions.naming import fmt_g
from tsstore.query.functions.params import SL, as_float, percentage
from tsstore.query.functions.registry import Param, function


def _remove(name, above, doc):
    @function("Filter Data", [SL, Param("n", "float", required=True)], name=name)
    def remove(ctx, seriesList, n):
        limit = as_float(n, name, "n")
        out = []
        for s in seriesList:
            with np.errstate(invalid="ignore"):
                drop = s.values > limit if above else s.values < limit
            label = f"{name}({s.name}, {fmt_g(limit)})"
            out.append(s.copy(name=label, values=np.where(drop, np.nan, s.values), path_expression=label))
        return out

    remove.__doc__ = doc
    return remove


removeAboveValue = _remove("removeAboveValue", True, "Sets values above n to null.")
removeBelowValue = _remove("removeBelowValue", False, "Sets values below n to null.")


def _remove_percentile(name: str, above: bool, doc: str):
    @function("Filter Data", [SL, Param("n", "float", required=True)], name=name)
    def remove(ctx, seriesList, n):
        n = percentage(n, name, 0, low_open=True)
        out = []
        for s in seriesList:
            label = f"{name}({s.name}, {fmt_g(n)})"
            limit = percentile(s.values, n)
            values = s.values
            if limit is not None:
                with np.errstate(invalid="ignore"):
                    values = np.where(values > limit if above else values < limit, np.nan, values)
            r = s.copy(name=label, path_expression=label, values=values.copy())
            if limit is not None:  # graphite-web's nPercentile tags the series it reads
                r.tags["nPercentile"] = str(n)
            out.append(r)
        return out

    remove.__doc__ = doc
    return remove


removeAbovePercentile = _remove_percentile(
    "removeAbovePercentile", True, "Sets the values above the series' nth percentile to null.")


removeBelowPercentile = _remove_percentile(
    "removeBelowPercentile", False, "Sets the values below the series' nth percentile to null.")
