"""tsstore and the Graphite stacks people run today, on the same machine, same data and same
queries, in one run; prints the ratios and writes benchmarks/RESULTS.md.

    benchmarks/setup-peers                 # once: Debian packages + go-carbon/carbonapi/VictoriaMetrics builds
    python -m benchmarks.run_all --quick   # 10k series, short loops (< 5 min on 2 cores)
    python -m benchmarks.run_all           # 100k series (< 30 min on 2 cores)

Systems (benchmarks/stacks.py): tsstore on the embedded store, tsstore on Cassandra (when
TSSTORE_CASSANDRA=host:port is set or scripts/cassandra-local runs), carbon-cache read
through graphite-web, go-carbon read through carbonapi, VictoriaMetrics single-node through
its own Graphite API. A system that cannot run is listed with its reason, never dropped.
Systems run one after another (the machine has 2 cores: a peer idling in the background
would still skew the others), each once the disk has written back what the one before left.

Per system: ingest (benchmarks/bench_ingest.measure_pass: first byte sent -> last point
readable through /render, CPU s per million points and peak RSS of the ingesting process),
then the render panels (benchmarks/bench_render: same data sent over the carbon port) and
/metrics/find globs (benchmarks/bench_find) over the ingested tree. Once per run: the parser
alone (benchmarks/bench_parser) and bytes per point of tsstore's store at steady state
(benchmarks/bench_storage), next to whisper's measured file sizes.

Every loop is bounded in count and time; only 127.0.0.1 is used.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import bench_find, bench_parser, bench_render, bench_storage, report, stacks
from benchmarks.bench_ingest import (first_pass_start, measure_freshness, measure_pass, ms_text, pass_label,
                                     wait_readable)
from benchmarks.loadgen import series_names

FULL = dict(series=100_000, points=10, passes=2, requests=30, seconds=5.0, find_n=20, parser_lines=10_000_000,
            parser_repeat=3, twin_lines=500_000, storage_series=500, storage_points=4096, fresh_n=100,
            budget_s=30 * 60)
QUICK = dict(series=10_000, points=10, passes=2, requests=10, seconds=1.5, find_n=5, parser_lines=2_000_000,
             parser_repeat=2, twin_lines=200_000, storage_series=100, storage_points=2048, fresh_n=30,
             budget_s=5 * 60)
MILLION = 1_000_000
STEP = 10
CONNECTIONS = 4


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def ingest(stack: stacks.Stack, names: list[str], cfg: dict, deadline: float) -> list[dict]:
    start = first_pass_start(cfg["passes"], cfg["points"], STEP)
    out = []
    for p in range(cfg["passes"]):
        timeout = max(60.0, min(cfg["budget_s"] / 2, deadline - time.monotonic()))
        r = measure_pass(stack.carbon_port, stack, stack.ingest_pids, names, cfg["points"],
                         start + p * cfg["points"] * STEP, STEP, p + 1, CONNECTIONS,
                         acked=stack.acked(p) if stack.acked else None, timeout=timeout, persisted=stack.persisted)
        r["pass"] = pass_label(p)
        on_disk = f" ({r['persisted_points_per_s']:,.0f} points/s until persisted)" if r["persisted_s"] else ""
        log(f"  {stack.name} {r['pass']}: {r['points_per_s']:,.0f} points/s end to end{on_disk}, "
            f"{r['cpu_s_per_mpoint']:.2f} CPU s/M points, peak RSS {r['peak_rss_mib']:.0f} MiB")
        out.append(r)
    return out


def load_render_data(stack: stacks.Stack, data: dict, chunks: list[bytes], timeout: float) -> float:
    """Send the render data over the carbon port; seconds until samples of it read back exactly."""
    from tests.helpers.servers import send_tcp

    t0 = time.perf_counter()
    for chunk in chunks:
        send_tcp(stack.carbon_port, chunk)
    for rng, want in bench_render.readiness_samples(data):
        wait_readable(stack, None, 0, want, rng, timeout)
    return time.perf_counter() - t0


def answer_digest(url: str, params: dict) -> dict:
    """What a panel returned, to check that every system answered the same question."""
    import httpx

    got = httpx.get(url + "/render", params=params, timeout=120).json()
    values = [v for s in got for v, _ in s["datapoints"] if v is not None]
    return {"series": len(got), "points": sum(len(s["datapoints"]) for s in got), "non_null": len(values),
            "sum": round(sum(values), 3), "targets": sorted(s["target"] for s in got)[:3]}


def render(stack: stacks.Stack, cfg: dict) -> dict:
    out = {}
    for label, panel in bench_render.PANELS.items():
        params = {**panel, **bench_render.PANEL_PARAMS}
        digest = answer_digest(stack.url, params)
        lat = bench_render.latencies(stack.url, params, cfg["requests"], budget_s=60)
        rps1 = bench_render.throughput(stack.url, params, 1, cfg["seconds"])
        rps16 = bench_render.throughput(stack.url, params, 16, cfg["seconds"])
        s = sorted(lat)
        out[label] = {"p50_ms": statistics.median(s), "p99_ms": s[min(len(s) - 1, int(len(s) * 0.99))], "n": len(s),
                      "rps1": rps1, "rps16": rps16, "answer": digest}
        log(f"  {stack.name} render {label}: p50 {out[label]['p50_ms']:.1f} ms, {rps1:.1f} req/s @1, "
            f"{rps16:.1f} req/s @16 ({digest['series']} series, {digest['non_null']} values)")
    return out


def find(stack: stacks.Stack, cfg: dict) -> dict:
    out = {}
    for label, query in bench_find.GLOBS.items():
        lat, count = bench_find.find_latencies(stack.url, query, cfg["find_n"], budget_s=30)
        p50, p99 = bench_find.summary(lat)
        out[label] = {"p50_ms": p50, "p99_ms": p99, "nodes": count, "n": len(lat)}
    log(f"  {stack.name} find: " + ", ".join(f"{k.split(':')[0]} {v['p50_ms']:.1f} ms" for k, v in out.items()))
    return out


def render_need_s(cfg: dict) -> float:
    """A generous estimate of the render + find phase of one system (load, 5 panels, 6 globs)."""
    return 120 + len(bench_render.PANELS) * (cfg["requests"] * 0.4 + 2 * cfg["seconds"] + 2) + 30


def quiet_disk() -> None:
    """Every system starts with the disk written back, so what the one before left dirty (the
    whisper peers write 4 GB of files each) is not written while the next one is measured.
    Logged when it took more than a second. (go-carbon's first pass took 315k points/s in a
    full run before this, 565k in one with it, where the sync before go-carbon took under a
    second, and 635k in a run without carbon-cache: it does not explain that spread.)"""
    t0 = time.perf_counter()
    os.sync()
    if (took := time.perf_counter() - t0) > 1:
        log(f"  disk written back in {took:.0f} s before the next system")


def run_system(name: str, start, cfg: dict, names: list[str], render_data: dict, render_chunks: list[bytes],
               work: Path, results: dict, deadline: float, with_render: bool = True) -> float:
    """Start one system, measure it, stop it; fills results[...][name]. Returns seconds spent.

    deadline (time.monotonic()): ingest waits are cut at it, and the render phase is skipped
    (and reported so) when it would not fit before it."""
    t0 = time.perf_counter()
    quiet_disk()
    log(f"{name}: starting")
    try:
        stack = start(work)
    except stacks.Unavailable as exc:
        reason = str(exc).split("\n")[0][:300]
        log(f"{name}: UNAVAILABLE: {exc}")
        for key in ("ingest", "render", "find", "disk"):
            results[key][name] = {"unavailable": reason}
        return time.perf_counter() - t0
    try:
        results["notes"].extend(f"{name}: {n}" for n in stack.notes)
        try:
            results["ingest"][name] = ingest(stack, names, cfg, deadline)
            written = len(names) * cfg["points"] * cfg["passes"]
            size = stack.data_bytes()
            results["disk"][name] = {"bytes": size, "points": written, "series": len(names)}
            fresh = measure_freshness(stack.carbon_port, stack, names, samples=cfg["fresh_n"],
                                      timeout=max(30.0, min(120.0, deadline - time.monotonic())))
            results["freshness"][name] = fresh
            log(f"  {name} freshness p50/p99: " + ", ".join(
                f"{k} {ms_text(f['p50_s'])}/{ms_text(f['p99_s'])} ({f['seen']} of {f['samples']})" for k, f in fresh.items()))
        except (SystemExit, Exception) as exc:
            results["ingest"][name] = {"unavailable": f"ingest failed: {str(exc)[:300]}"}
            log(f"{name}: ingest failed: {exc}")
            raise
        if with_render and deadline - time.monotonic() < render_need_s(cfg):
            why = f"skipped: {(deadline - time.monotonic()) / 60:.1f} min left of the {cfg['budget_s'] / 60:.0f} min budget"
            results["render"][name] = {"unavailable": why}
            log(f"  {name}: render {why}")
        elif with_render:
            secs = load_render_data(stack, render_data, render_chunks,
                                    timeout=min(300.0, max(60.0, deadline - time.monotonic())))
            log(f"  {name}: render data readable after {secs:.1f} s")
            results["render"][name] = render(stack, cfg)
        results["find"][name] = find(stack, cfg)
    except (SystemExit, Exception) as exc:
        for key in ("render", "find"):
            results[key].setdefault(name, {"unavailable": f"failed: {str(exc)[:300]}"})
        log(f"{name}: FAILED: {exc}")
    finally:
        stack.stop()
        shutil.rmtree(work, ignore_errors=True)
    return time.perf_counter() - t0


def machine() -> dict:
    cpu = "unknown"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = 0
    try:
        mem = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))) / 1024 / 1024
    except (OSError, StopIteration):
        pass
    return {"cores": os.cpu_count(), "ram_gib": mem, "cpu": cpu, "python": platform.python_version(),
            "kernel": platform.release()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10k series, short loops (about 5 min)")
    ap.add_argument("--results", default=str(Path(__file__).with_name("RESULTS.md")),
                    help="markdown file to write (default benchmarks/RESULTS.md)")
    ap.add_argument("--no-write", action="store_true", help="print only, do not write the results file")
    ap.add_argument("--systems", default="",
                    help="comma-separated subset of: embedded,cassandra,carbon-cache,go-carbon,victoriametrics")
    args = ap.parse_args()
    cfg = QUICK if args.quick else FULL
    command = "python -m benchmarks.run_all" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    t_start = time.perf_counter()
    base = Path(tempfile.mkdtemp(prefix="tsstore-run-all-"))
    results: dict = {"mode": "quick" if args.quick else "full", "cfg": cfg, "command": command, "machine": machine(),
                     "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "ingest": {}, "render": {},
                     "find": {}, "disk": {}, "freshness": {}, "notes": [], "skipped": []}
    log(f"{command}: {cfg['series']:,} series x {cfg['points']} points x {cfg['passes']} passes; work dir {base}")

    wanted = (set(filter(None, args.systems.split(",")))
              or {"embedded", "cassandra", "carbon-cache", "go-carbon", "victoriametrics"})
    try:
        if not args.systems:
            log("parser alone (one core)")
            results["parser"] = bench_parser.measure(cfg["parser_lines"], 100_000, cfg["twin_lines"], cfg["parser_repeat"],
                                                     log=lambda m: log("  " + m))
            log(f"  compiled {results['parser']['compiled_lines_per_s']:,.0f} lines/s, "
                f"pure-Python {results['parser']['twin_lines_per_s']:,.0f} lines/s")
            log("storage: tsstore embedded store at steady state (bench_storage)")
            results["storage"] = {"tsstore_embedded": asyncio.run(bench_storage.embedded(
                cfg["storage_series"], cfg["storage_points"], 30)), "series": cfg["storage_series"],
                "points": cfg["storage_points"]}
            log(f"  {results['storage']['tsstore_embedded']:.2f} bytes/point")

        names = series_names(cfg["series"])
        render_data = bench_render.build_data()
        render_chunks = bench_render.data_chunks(render_data)
        cass, no_cass = stacks.cassandra_address() if "cassandra" in wanted else (None, "not asked for")
        # Cassandra last: the slowest ingest here, bounded by what is left of the budget.
        systems = [
            ("embedded", stacks.TSSTORE_EMBEDDED, stacks.start_tsstore),
            ("carbon-cache", stacks.CARBON_CACHE, stacks.start_carbon_cache),
            ("go-carbon", stacks.GO_CARBON, stacks.start_go_carbon),
            ("victoriametrics", stacks.VICTORIAMETRICS, stacks.start_victoriametrics),
            ("cassandra", stacks.TSSTORE_CASSANDRA, (lambda w: stacks.start_tsstore(w, cass)) if cass
             else _unavailable(no_cass)),
        ]
        deadline = time.monotonic() - (time.perf_counter() - t_start) + cfg["budget_s"] - 60  # 1 min for the report
        for key, name, start in systems:
            if key in wanted:
                secs = run_system(name, start, cfg, names, render_data, render_chunks, base / key, results, deadline)
                log(f"{name}: done in {secs:.0f} s (total {time.perf_counter() - t_start:.0f} s)")

        # 1M series: tsstore's embedded store only, and only if the budget allows it. The
        # whisper peers would preallocate one file per series (43 KB each here: 43 GB).
        if args.quick or args.systems:
            results["skipped"].append("1M series: full mode only")
        else:
            million(cfg, results, base, t_start, deadline)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    results["elapsed_s"] = time.perf_counter() - t_start
    text = report.render(results)
    print(text)
    if not args.no_write:
        report.write(Path(args.results), results, text)
        log(f"wrote {args.results}")
    (Path(tempfile.gettempdir()) / f"tsstore-run-all-{results['mode']}.json").write_text(json.dumps(results, default=str))
    log(f"elapsed {results['elapsed_s']:.0f} s ({results['mode']} mode; budget {cfg['budget_s'] / 60:.0f} min)")


def million(cfg: dict, results: dict, base: Path, t_start: float, deadline: float) -> None:
    done = results["ingest"].get(stacks.TSSTORE_EMBEDDED)
    if not isinstance(done, list):
        results["skipped"].append("1M series: the 100k tsstore run did not complete")
        return
    # Linear estimate from the 100k run (10x the points, 1.3x for the larger index), plus about
    # 3 min to generate and check 2 x 10M lines in this process.
    est = sum(r["readable_s"] for r in done) * MILLION / cfg["series"] * 1.3 + 180
    left = cfg["budget_s"] - (time.perf_counter() - t_start) - 60
    if est > left:
        results["skipped"].append(f"1M series: estimated {est / 60:.0f} min for tsstore alone, "
                                  f"{max(left, 0) / 60:.0f} min left of the 30 min budget")
        log(f"1M series skipped: {results['skipped'][-1]}")
        return
    results["skipped"].append("1M series: carbon-cache and go-carbon not run (one preallocated whisper file per "
                              "series: about 43 GB each with these retentions)")
    name = f"{stacks.TSSTORE_EMBEDDED}, 1M series"
    big = dict(cfg, series=MILLION, passes=2, find_n=5)
    run_system(name, stacks.start_tsstore, big, series_names(MILLION), {}, [],
               base / "million", results, deadline, with_render=False)


def _unavailable(reason: str):
    def start(_work):
        raise stacks.Unavailable(reason)
    return start


if __name__ == "__main__":
    main()
