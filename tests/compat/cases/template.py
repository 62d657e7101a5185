"""template(): defaults by keyword and by position, request parameters template[name]
overriding them, and bare $name arguments (over the last hour)."""
from tests.compat.cases import Case

CASES = [
    Case("template(servers.$host.cpu.user, host='web01')", ranges=("last-hour",)),
    Case("template(servers.$host.cpu.user, host='web01')", ranges=("last-hour",), params={"template[host]": "db01"}),
    Case("template(servers.$1.cpu.$2, 'web02', 'system')", ranges=("last-hour",)),
    Case("template(sumSeries(servers.$hosts.cpu.user), hosts='web*')", ranges=("last-hour",)),
    Case("template(scale(servers.web01.cpu.user, $factor), factor=3)", ranges=("last-hour",)),
    Case("template(scale(servers.web01.cpu.user, $factor))", ranges=("last-hour",), params={"template[factor]": "0.5"}),
    Case("template(aliasByNode(servers.$h.cpu.user, 1), h='{web01,db01}')", ranges=("last-hour",)),
    Case("sumSeries(template(servers.$h.cpu.user, h='web0[12]'))", ranges=("last-hour",)),
]
