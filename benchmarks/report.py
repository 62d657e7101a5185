"""Markdown for benchmarks/run_all.py: one table per figure with every system's value, the
ratio of tsstore to each peer, and each goal marked met / not met. write() replaces the
run_all section of RESULTS.md and keeps the earlier, separately measured sections (each
with its own command and date)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from benchmarks import peers, stacks

TS = [stacks.TSSTORE_EMBEDDED, stacks.TSSTORE_CASSANDRA]
PEERS = [stacks.CARBON_CACHE, stacks.GO_CARBON, stacks.VICTORIAMETRICS]
START, END = "<!-- run_all:start -->", "<!-- run_all:end -->"
E_START, E_END = "<!-- earlier:start -->", "<!-- earlier:end -->"
# sections of the pre-run_all RESULTS.md that run_all does not replace
EARLIER_KEEP = ("Ingest end to end, embedded store", "Ingest end to end, Cassandra store", "Bytes on disk per point")
EARLIER_DATE = "2026-11-24"

GOAL_INGEST = {stacks.CARBON_CACHE: 5.0, stacks.GO_CARBON: 2.0, stacks.VICTORIAMETRICS: 1.0}
GOAL_FRESH_P99_S = 0.2
GOAL_RENDER = {stacks.CARBON_CACHE: 5.0, stacks.GO_CARBON: 1.0, stacks.VICTORIAMETRICS: 1.0}
READER = {stacks.CARBON_CACHE: "graphite-web", stacks.GO_CARBON: "carbonapi", stacks.VICTORIAMETRICS: "VictoriaMetrics"}
GOAL_PARSER = 5_000_000
GOAL_BYTES = 3.0


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _ok(v) -> bool:
    return not (isinstance(v, dict) and "unavailable" in v) and v is not None


def _why(v) -> str:
    return v["unavailable"] if isinstance(v, dict) and "unavailable" in v else "not run"


def _pkg_version(pkg: str) -> str:
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True,
                              timeout=10).stdout.strip() or "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def _go_version(name: str) -> str:
    p = peers.BIN / f"{name}.version"
    return p.read_text().strip() if p.exists() else "?"


def _num(v: float, digits: int = 0) -> str:
    return f"{v:,.{digits}f}"


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


def render(r: dict) -> str:
    m, cfg = r["machine"], r["cfg"]
    out = [START, "## tsstore against the Graphite stacks (one run, same machine, same data)", ""]
    out += [f"Command: `{r['command']}` (after `benchmarks/setup-peers`). Date: {r['date']}. "
            f"Elapsed: {r['elapsed_s'] / 60:.1f} min ({r['mode']} mode, budget {cfg['budget_s'] / 60:.0f} min).",
            "",
            f"Machine: {m['cores']} cores, {m['ram_gib']:.0f} GiB RAM, {m['cpu']}, Linux {m['kernel']}, "
            f"Python {m['python']}. The machine is shared with other work, so absolute numbers drift between "
            "runs; the ratios, taken within one run, are the figures to read.",
            "",
            f"Systems, run one after another, each once the disk has written back what the one before left: **tsstore** (one ingest process, on Cassandra with its writer process; embedded SQLite store, and Cassandra when "
            f"available; its defaults, with `--http-workers 2` and self-metrics off), **carbon-cache** {_pkg_version('graphite-carbon')} (Debian) read "
            f"through **graphite-web** {_pkg_version('graphite-web')} (Debian, gunicorn with {m['cores']} workers), "
            f"**go-carbon** {_go_version('go-carbon')} read through **carbonapi** {_go_version('carbonapi')} (built "
            "from source), **VictoriaMetrics** single-node v1.151.0 (built from the Go module proxy; its own "
            "Graphite API, no rollups). All get the same storage-schemas.conf and storage-aggregation.conf "
            "(`benchmarks/bench_render.py` SCHEMAS / AGGREGATION). Peers at their best: no update/create rate limits, "
            "no cache size cap; every response cache off (carbonapi, carbonserver), since a cached answer measures "
            "the cache, not the store.", ""]
    unavailable = [(n, _why(r["ingest"].get(n))) for n in dict.fromkeys(TS + PEERS + list(r["ingest"]))
                   if not _ok(r["ingest"].get(n))]
    for n, why in unavailable:
        out.append(f"- **{n}: {why}**")
    for s in r.get("skipped", []):
        out.append(f"- skipped: {s}")
    if unavailable or r.get("skipped"):
        out.append("")

    goals = []  # (goal, value, met)
    out += _ingest(r, cfg, goals)
    out += _freshness(r, cfg, goals)
    out += _parser(r, goals)
    out += _render(r, cfg, goals)
    out += _find(r, cfg)
    out += _storage(r, goals)
    summary = ["### Goals", "", "| goal | measured | |", "| --- | --- | --- |"]
    summary += [f"| {g} | {v} | {_met(ok) if ok is not None else 'not measured'} |" for g, v, ok in goals]
    idx = out.index("### Ingest, end to end") if "### Ingest, end to end" in out else len(out)
    out[idx:idx] = summary + [""]
    if r.get("notes"):
        out += ["Notes:", ""] + [f"- {n}" for n in dict.fromkeys(r["notes"])] + [""]
    out.append(END)
    return "\n".join(out)


def _ingest(r, cfg, goals) -> list[str]:
    ing = r["ingest"]
    out = ["### Ingest, end to end", "",
           f"`benchmarks/loadgen.py` tree, {cfg['series']:,} series x {cfg['points']} points per pass at 10 s, "
           "4 TCP connections, as fast as the server reads. Timed from the first byte sent until the last point is "
           "readable through the HTTP API (a marker point sent last, plus 50 sampled series read back value by "
           "value): tsstore's own /render, carbon-cache through graphite-web, go-carbon through carbonapi. Pass 1 "
           "creates every series; pass 2 writes series the store knows. CPU and peak RSS: the ingesting process "
           "and its children (tsstore serve with its HTTP worker and, on Cassandra, its writer process, peaks "
           "summed; carbon-cache; go-carbon; VictoriaMetrics). Disk: the store's files after both passes "
           "(tsstore: tsstore.db*; peers: *.wsp, preallocated to full retention).", "",
           "| system | pass | points/s readable | points/s persisted | CPU s per M points | peak RSS MiB | disk after ingest |",
           "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for name in list(ing):
        v = ing[name]
        if not _ok(v):
            out.append(f"| {name} | not measured (see above) | | | | | |")
            continue
        d = r["disk"].get(name) or {}
        disk = f"{d['bytes'] / 2**20:,.0f} MiB" if d.get("bytes") else "not measured"
        for i, p in enumerate(v):
            persisted = _num(p["persisted_points_per_s"]) if p.get("persisted_points_per_s") else "same"
            out.append(f"| {name} | {p['pass']} | {_num(p['points_per_s'])} | {persisted} | {p['cpu_s_per_mpoint']:.2f} | "
                       f"{p['peak_rss_mib']:.0f} | {disk if i == len(v) - 1 else ''} |")
    out += ["", "\"persisted\": see the notes below; \"same\" = readable only from the store's files. Ratios: tsstore "
            "points/s / peer points/s, readable (the goal's figure) and persisted; CPU: peer CPU per point / tsstore "
            "CPU per point.", "",
            "| tsstore | peer | pass | points/s ratio | goal | ratio to persisted | CPU efficiency ratio |",
            "| --- | --- | --- | ---: | --- | ---: | ---: |"]
    for ts in TS:
        for peer in PEERS:
            a, b = ing.get(ts), ing.get(peer)
            if not (_ok(a) and _ok(b)):
                if ts == stacks.TSSTORE_EMBEDDED:
                    out.append(f"| {ts} | {peer} | | no ratio: {_why(a) if not _ok(a) else _why(b)} | | | |")
                    goals.append((f"ingest >= {GOAL_INGEST[peer]:g}x {peer.split(' ')[0]} (per node)", "not measured", None))
                continue
            ratios = []
            for pa, pb in zip(a, b):
                q = _ratio(pa["points_per_s"], pb["points_per_s"])
                ratios.append(q)
                ok = q >= GOAL_INGEST[peer]
                qp = _ratio(pa["points_per_s"], pb.get("persisted_points_per_s") or pb["points_per_s"])
                out.append(f"| {ts} | {peer} | {pa['pass']} | {q:.2f}x | >= {GOAL_INGEST[peer]:g}x: {_met(ok)} | "
                           f"{qp:.2f}x | {_ratio(pb['cpu_s_per_mpoint'], pa['cpu_s_per_mpoint']):.2f}x |")
            if ts == stacks.TSSTORE_EMBEDDED:
                goals.append((f"ingest >= {GOAL_INGEST[peer]:g}x {peer.split(' ')[0]} (per node, both passes)",
                              " / ".join(f"{q:.2f}x" for q in ratios), all(q >= GOAL_INGEST[peer] for q in ratios)))
    return out + [""]


def _freshness(r, cfg, goals) -> list[str]:
    fr = r.get("freshness") or {}
    if not fr:
        return []
    out = ["### Freshness: from send to /render", "",
           f"`benchmarks/bench_ingest.measure_freshness`, after the ingest passes: {cfg.get('fresh_n', 100)} points of "
           "known series and as many of new series, each its own series and a new slot, sent 20 ms apart; one "
           "/render per 10 ms poll, on one kept-alive HTTP connection (as a dashboard's), asks for every point not "
           "yet seen. Latency: the end of the first poll that showed the point minus the moment it was sent. (Until "
           "2026-12-07 each poll opened a new HTTP client, whose own set-up, 32 ms p50 and up to 165 ms, was counted "
           "in the latency.)", "",
           "| system | series | readable | p50 ms | p99 ms | max ms |", "| --- | --- | ---: | ---: | ---: | ---: |"]

    def ms(v):
        return "" if v is None else f"{v * 1000:,.0f}"
    for name, kinds in fr.items():
        for kind, f in kinds.items():
            out.append(f"| {name} | {kind} | {f['seen']} of {f['samples']} | {ms(f['p50_s'])} | {ms(f['p99_s'])} | "
                       f"{ms(f['max_s'])} |")
    for ts in TS:
        if ts in fr:
            p99 = [f["p99_s"] for f in fr[ts].values()]
            ok = all(p is not None for p in p99) and max(p99) <= GOAL_FRESH_P99_S and all(
                f["seen"] == f["samples"] for f in fr[ts].values())
            goals.append((f"freshness p99 <= {GOAL_FRESH_P99_S * 1000:.0f} ms, known / new series ({ts})",
                          " / ".join(f"{ms(p)} ms" if p is not None else "not seen" for p in p99), ok))
    return out + [""]


def _parser(r, goals) -> list[str]:
    p = r.get("parser")
    if not p:
        goals.append((f"parser >= {GOAL_PARSER:,} lines/s compiled", "not measured", None))
        return []
    ok = p["compiled_lines_per_s"] >= GOAL_PARSER
    goals.append((f"parser >= {GOAL_PARSER:,} lines/s compiled", _num(p["compiled_lines_per_s"]) + " lines/s", ok))
    out = ["### Parser alone (tsstore only, one core)", "",
           f"`benchmarks/bench_parser.measure`: {p['lines']:,} realistic lines over {p['series']:,} series in "
           f"64 KiB chunks from an empty registry (best of {p['repeat']}); the twin on {p['twin_lines']:,} lines "
           "after the first round of names.", "",
           "| parser | lines/s | goal |", "| --- | ---: | --- |",
           f"| compiled (ext/carbon_parser.pyx) | {_num(p['compiled_lines_per_s'])} | >= {GOAL_PARSER:,}: {_met(ok)} |",
           f"| pure-Python twin | {_num(p['twin_lines_per_s'])} | |",
           f"| ratio | {p['compiled_lines_per_s'] / p['twin_lines_per_s']:.1f}x | |"]
    pk = p.get("pickle") or {}
    if pk:
        out.append("| pickle decoder, 1 MiB frames (protocol " + " / ".join(str(k) for k in pk) + ") | "
                   + " / ".join(_num(v["points_per_s"]) for v in pk.values()) + " points/s | |")
    return out + [""]


def _render(r, cfg, goals) -> list[str]:
    from benchmarks.bench_render import PANELS

    rd = r["render"]
    out = ["### Render", "",
           f"`benchmarks/bench_render.py` PANELS with `maxDataPoints=1000`, the same {sum(1 for _ in PANELS)} panels "
           "on the same data (sent to every system over its carbon port). Latency: "
           f"{cfg['requests']} sequential requests (p50, p99). Throughput: 1 and 16 concurrent clients for "
           f"{cfg['seconds']:g} s each. Ratio: peer p50 / tsstore p50 (how many times faster tsstore answers).", "",
           "| panel | system | p50 ms | p99 ms | req/s @1 | req/s @16 | p50 ratio | goal |",
           "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    per_peer: dict[str, list[float]] = {p: [] for p in PEERS}
    mismatches = []
    for label in PANELS:
        ts = rd.get(stacks.TSSTORE_EMBEDDED)
        base = ts[label] if _ok(ts) and label in ts else None
        first = True
        for name in TS + PEERS:
            v = rd.get(name)
            if v is None or (not _ok(v) and not _ok(r["ingest"].get(name))):
                continue  # listed at the top
            lab = label if first else ""
            first = False
            if not _ok(v) or label not in v:
                out.append(f"| {lab} | {name} | {_why(v) if not _ok(v) else 'failed'} | | | | | |")
                continue
            x = v[label]
            ratio = goal = ""
            if name in PEERS and base:
                q = _ratio(x["p50_ms"], base["p50_ms"])
                per_peer[name].append(q)
                ratio = f"{q:.2f}x"
                goal = f">= {GOAL_RENDER[name]:g}x: {_met(q >= GOAL_RENDER[name])}"
            out.append(f"| {lab} | {name} | {x['p50_ms']:.1f} | {x['p99_ms']:.1f} | {x['rps1']:.1f} | {x['rps16']:.1f} "
                       f"| {ratio} | {goal} |")
            if base and name != stacks.TSSTORE_EMBEDDED:
                a, b = base["answer"], x["answer"]
                if (a["series"], a["non_null"]) != (b["series"], b["non_null"]) or abs(a["sum"] - b["sum"]) > 1e-6 * max(1, abs(a["sum"])):
                    mismatches.append(f"{label}: tsstore {a['series']} series / {a['non_null']} values / sum "
                                      f"{a['sum']:g}; {name} {b['series']} / {b['non_null']} / {b['sum']:g}")
    for peer in PEERS:
        qs = per_peer[peer]
        g = f"render p50 >= {GOAL_RENDER[peer]:g}x {READER[peer]}"
        if qs:
            met = sum(q >= GOAL_RENDER[peer] for q in qs)
            goals.append((g + " (every panel)", f"{min(qs):.2f}x .. {max(qs):.2f}x; met on {met} of {len(qs)} panels",
                          met == len(qs)))
        else:
            goals.append((g, "not measured", None))
    out.append("")
    if mismatches:
        out += ["Answers that differ from tsstore's (same question, same data; listed so that a ratio is read with it):",
                ""] + [f"- {m}" for m in mismatches] + [""]
    else:
        out += ["Every system returned the same series count, non-null value count and sum for every panel.", ""]
    return out


def _find(r, cfg) -> list[str]:
    from benchmarks.bench_find import GLOBS

    fd = r["find"]
    names = [n for n in fd if _ok(fd[n])]
    if not names:
        return []
    out = ["### /metrics/find", "",
           f"Globs over the ingested tree ({cfg['series']:,} series; the 1M-series tree when it ran), "
           f"{cfg['find_n']} sequential requests each, treejson (what Grafana's query editor asks; graphite-web "
           "merges nodes of the same name, so a wide glob answers few nodes). Ratio: peer p50 / tsstore (embedded) "
           "p50. A node count that differs from tsstore's is marked *differs*.", "",
           "| glob | system | nodes | p50 ms | p99 ms | p50 ratio |", "| --- | --- | ---: | ---: | ---: | ---: |"]
    for label in GLOBS:
        base = fd.get(stacks.TSSTORE_EMBEDDED, {}).get(label) if _ok(fd.get(stacks.TSSTORE_EMBEDDED)) else None
        first = True
        for name in fd:
            v = fd[name]
            if not _ok(v) and not _ok(r["ingest"].get(name)):
                continue  # listed at the top
            lab = label if first else ""
            first = False
            if not _ok(v):
                out.append(f"| {lab} | {name} | {_why(v)} | | | |")
                continue
            x = v[label]
            ratio = f"{_ratio(x['p50_ms'], base['p50_ms']):.2f}x" if base and name in PEERS else ""
            differs = " *differs*" if base and x["nodes"] != base["nodes"] else ""
            out.append(f"| {lab} | {name} | {x['nodes']:,}{differs} | {x['p50_ms']:.1f} | {x['p99_ms']:.1f} | {ratio} |")
    return out + [""]


def _storage(r, goals) -> list[str]:
    st = r.get("storage")
    out = ["### Bytes on disk per stored point", ""]
    rows = []
    if st:
        ok = st["tsstore_embedded"] <= GOAL_BYTES
        goals.append((f"<= {GOAL_BYTES:g} bytes per stored point (embedded store, steady state)",
                      f"{st['tsstore_embedded']:.2f}", ok))
        rows.append(f"| tsstore (embedded), steady state | {st['tsstore_embedded']:.2f} | `bench_storage.embedded`: "
                    f"{st['series']} series x {st['points']} points at 10 s, after compaction | <= {GOAL_BYTES:g}: "
                    f"{_met(ok)} |")
    for name, d in r["disk"].items():
        if not _ok(d) or not d.get("bytes"):
            continue
        per = d["bytes"] / d["points"]
        if name in PEERS:
            # whisper preallocates every slot of every archive: bytes per slot is its steady state
            from benchmarks.bench_render import SCHEMAS
            from tsstore.ingest.schemas import parse_schemas

            slots = sum(rr.points for rr in parse_schemas(SCHEMAS)[-1].rollups)
            files = d["series"] + 2  # + the pass markers' series
            rows.append(f"| {name} (whisper), full retention | {d['bytes'] / files / slots:.2f} | file bytes / slots "
                        f"({slots:,} slots per file; 12 bytes per slot + header) | |")
        rows.append(f"| {name}, after this run's ingest | {per:,.2f} | store bytes / {d['points']:,} points written "
                    f"({d['series']:,} series; per-series overhead dominates at {d['points'] // d['series']} points "
                    "per series) | |")
    if not rows:
        return []
    return out + ["| store | bytes/point | how | goal |", "| --- | ---: | --- | --- |"] + rows + [""]


def _earlier(old: str) -> str:
    """The kept earlier sections: as written by a previous run_all, or cut from the old file."""
    if E_START in old and E_END in old:
        return old[old.index(E_START): old.index(E_END) + len(E_END)]
    parts = re.split(r"(?m)^## ", old)
    kept = []
    for part in parts[1:]:
        title = part.split("\n", 1)[0].strip()
        if title in EARLIER_KEEP:
            body = part.split("\n", 1)[1].strip()
            kept.append(f"### {title} (measured {EARLIER_DATE})\n\n{body}\n")
    if not kept:
        return ""
    head = ("## Earlier measurements (kept; not re-measured by run_all)\n\n"
            f"Measured on {EARLIER_DATE} on the same kind of machine (2 cores, 24 GiB, local single-node Cassandra 5.0.8 "
            "with a 768 MiB heap), each with the command shown in its section.\n")
    return "\n".join([E_START, head] + kept + [E_END])


def write(path: Path, results: dict, text: str) -> None:
    old = path.read_text() if path.exists() else ""
    earlier = _earlier(old)
    path.write_text("# Benchmark results\n\n" + text + "\n\n" + (earlier + "\n" if earlier else ""))
