"""Parameters of the render functions: the declarations many functions share (seriesList,
windowSize, ...) and the coercion of arguments, each failure a QueryError naming the function
and the parameter."""
from __future__ import annotations

from tsstore.query.aggregation import AGG_FUNCS
from tsstore.query.attime import AtTimeError, parse_interval
from tsstore.query.errors import QueryError
from tsstore.query.functions.naming import fmt_g
from tsstore.query.functions.registry import Param
from tsstore.query.series import TimeSeries

SL = Param("seriesList", "seriesList", required=True)
SERIES_LISTS = Param("seriesLists", "seriesList", required=True, multiple=True)
OPTIONAL_SERIES_LISTS = Param("seriesLists", "seriesList", multiple=True)  # countSeries(), group(): none is fine
WINDOW_SUGGESTIONS = [5, 7, 10, "1min", "5min", "10min", "30min", "1hour"]
WINDOW = Param("windowSize", "intOrInterval", required=True, suggestions=WINDOW_SUGGESTIONS)
XFF = Param("xFilesFactor", "float")
SHIFT_SUGGESTIONS = ["1h", "6h", "12h", "1d", "2d", "7d", "14d", "30d"]


def as_int(value, func: str, param: str) -> int:
    try:
        if isinstance(value, bool):
            raise ValueError
        return int(value)
    except (TypeError, ValueError):
        raise QueryError(f"{func}: {param} must be an integer, got {value!r}") from None


def as_float(value, func: str, param: str) -> float:
    try:
        if isinstance(value, bool):
            raise ValueError
        return float(value)
    except (TypeError, ValueError):
        raise QueryError(f"{func}: {param} must be a number, got {value!r}") from None


def interval(value, func: str, param: str, default_sign: int = 1) -> int:
    """Seconds of an interval string ('5min', '-1d'); a missing sign is default_sign."""
    try:
        seconds = parse_interval(str(value), default_sign)
    except AtTimeError as exc:
        raise QueryError(f"{func}: {param} {value!r} is not an interval like '5min' or '1h': {exc}") from None
    return seconds


def series_list(value, func: str, param: str = "seriesList") -> list[TimeSeries]:
    if isinstance(value, list) and all(isinstance(s, TimeSeries) for s in value):
        return value
    raise QueryError(f"{func}: {param} must be a series list, got {value!r}")


def percentage(n, func: str, low: float, low_open: bool = False) -> float:
    """n as a percentage: low <= n <= 100 (low < n with low_open)."""
    v = as_float(n, func, "n")
    if not (low < v <= 100 if low_open else low <= v <= 100):
        bound = f"above {fmt_g(low)}" if low_open else f"between {fmt_g(low)} and 100"
        raise QueryError(f"{func}: n must be a percentage {bound}, got {n!r}")
    return v


def agg_func(func, fname: str) -> str:
    """An aggregation name of AGG_FUNCS, else a QueryError naming the function."""
    if func not in AGG_FUNCS:
        raise QueryError(f"{fname}: func must be one of {', '.join(AGG_FUNCS)}, got {func!r}")
    return func


def agg_func_name(func, fname: str = "aggregate") -> str:
    """An aggregation name as graphite-web's aggregate() takes it ('sumSeries' means 'sum')."""
    short = func[:-6] if isinstance(func, str) and func.endswith("Series") else func
    return agg_func(short, fname)


def request_xff(ctx, explicit=None, fname: str = "aggregate") -> float:
    """xFilesFactor of query-time aggregation: the argument, else the request's
    xFilesFactor parameter, else 0 (graphite-web's DEFAULT_XFILES_FACTOR)."""
    if explicit is not None:
        return as_float(explicit, fname, "xFilesFactor")
    params = getattr(ctx, "params", None)
    raw = params.get("xFilesFactor") if params is not None and hasattr(params, "get") else None
    if raw in (None, ""):
        return 0.0
    try:
        return float(raw)
    except ValueError:
        raise QueryError(f"xFilesFactor must be a number, got {raw!r}") from None
