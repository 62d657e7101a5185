"""template(): graphite-web's target templates.

`template(servers.$host.cpu, host="web01")` or `template(servers.$1.cpu, "web01")` evaluates
its expression with `$name` replaced in every path below it; `template[host]=web02` request
parameters override the defaults given in the call. A path that is exactly `$name` becomes the
value itself (a number when it looks like one), so `scale(x, $factor)` works too. Strings are
left alone, and a template nested inside another uses only its own values, as graphite-web does.
"""
from __future__ import annotations

import re

from tsstore.query import grammar

_NUMERIC = re.compile(r"^-?[\d.]+$")


class TemplateError(ValueError):
    pass


def replacements(call: grammar.Call, request_values: dict[str, str]) -> dict[str, object]:
    """$name -> value: keyword defaults, then positional ($1, $2...), then the request's."""
    values: dict[str, object] = {}
    scalars = (str, int, float, bool)
    for name, value in call.kwargs:
        if not isinstance(value, scalars):
            raise TemplateError("invalid template() syntax, only string/numeric arguments are allowed")
        values[name] = value
    for i, value in enumerate(call.args[1:], 1):
        if not isinstance(value, scalars):
            raise TemplateError("invalid template() syntax, only string/numeric arguments are allowed")
        values[str(i)] = value
    values.update(request_values)
    return values


def substitute(node, values: dict[str, object]):
    """The expression with $names replaced in its paths (a new tree; the input is unchanged)."""
    if isinstance(node, grammar.PathExpr):
        text = node.text
        for name, value in values.items():
            if text == "$" + name:
                if isinstance(value, str):
                    return float(value) if _NUMERIC.match(value) else value
                return value
            text = text.replace("$" + name, str(value))
        return grammar.PathExpr(text)
    if isinstance(node, grammar.Call):
        if node.name == "template":
            return node  # evaluated later with its own values
        return grammar.Call(node.name, tuple(substitute(a, values) for a in node.args),
                            tuple((k, substitute(v, values)) for k, v in node.kwargs), node.text)
    return node


def request_values(params) -> dict[str, str]:
    """template[name]=value request parameters."""
    if params is None:
        return {}
    return {k[len("template["):-1]: v for k, v in getattr(params, "items", []) if k.startswith("template[") and k.endswith("]")}
