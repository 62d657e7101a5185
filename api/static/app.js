// tsstore's built-in page: browse the metric tree and the tags, pick targets, apply
// functions, and draw the graph as SVG from /render?format=json. Plain JS, no library.
// Text from the server (metric names, tags, events, errors) only ever goes into the page as
// textContent or attribute values, never as markup.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const PRESETS = [["15m", "-15min"], ["1h", "-1h"], ["6h", "-6h"], ["24h", "-24h"], ["7d", "-7d"], ["30d", "-30d"]];
  const REFRESH = [0, 10, 30, 60];
  const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf"];
  const HEIGHT = 360;
  const MARGIN = { left: 64, right: 16, top: 14, bottom: 30 };

  // What the link carries; everything else is derived from it.
  const state = { targets: [], from: "-1h", until: "now", refresh: 0 };
  let editing = -1; // the target being edited in the text field, or -1 when adding
  let fnTarget = -1; // the target the function panel applies to
  let functions = null; // /functions, fetched when the panel first opens
  let timer = null;
  let drawSeq = 0; // a draw answered after a newer one started is dropped

  // ---- small helpers ------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) node.append(c); // strings become text nodes
    return node;
  }

  function svgEl(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }

  function button(label, title, onClick, cls) {
    const b = el("button", { type: "button", title, class: cls || "" }, label);
    b.addEventListener("click", onClick);
    return b;
  }

  async function getJSON(path, params) {
    const resp = await fetch(path + (params ? "?" + params.toString() : ""), { headers: { Accept: "application/json" } });
    const text = await resp.text();
    if (!resp.ok) throw new Error(errorText(text, resp.status));
    return JSON.parse(text);
  }

  function errorText(text, status) {
    try {
      const obj = JSON.parse(text); // the JSON endpoints answer {"error": ...}
      if (obj && typeof obj.error === "string") return obj.error;
    } catch (e) { /* plain text, as /render and /metrics/find answer */ }
    return (text || "").trim() || "HTTP " + status;
  }

  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = !message;
  }

  // A tree path as a target. A character the target grammar reserves becomes the glob `?`: a
  // backslash escape passes the grammar but the finders (tsstore's and graphite-web's) then
  // look for the backslash too, so no series would match.
  function pathTarget(path) {
    return path.replace(/[(){},'"\\|\s]/g, "?");
  }

  function quote(text) {
    return text.includes("'") ? '"' + text + '"' : "'" + text + "'";
  }

  // ---- state <-> link -----------------------------------------------------------------

  function toHash() {
    const p = new URLSearchParams();
    for (const t of state.targets) p.append("target", t);
    p.set("from", state.from);
    p.set("until", state.until);
    if (state.refresh) p.set("refresh", String(state.refresh));
    return "#" + p.toString();
  }

  function fromHash() {
    const p = new URLSearchParams(location.hash.slice(1));
    state.targets = p.getAll("target").filter((t) => t.trim());
    state.from = (p.get("from") || "").trim() || "-1h";
    state.until = (p.get("until") || "").trim() || "now";
    const refresh = parseInt(p.get("refresh") || "0", 10);
    state.refresh = REFRESH.includes(refresh) ? refresh : 0;
  }

  // After every change of the state: the link, the controls and the graph follow it.
  function changed() {
    const hash = toHash();
    if (location.hash !== hash) history.replaceState(null, "", hash);
    $("link").href = location.href;
    renderTargets();
    renderRange();
    setRefresh();
    draw();
  }

  // ---- the tree -------------------------------------------------------------------------

  function find(query, format) {
    return getJSON("metrics/find", new URLSearchParams({ query, format: format || "treejson" }));
  }

  // Fills `list` with the items `load` resolves to, a note when there are none, or the
  // problem when loading fails.
  async function fill(list, load, none) {
    try {
      const items = await load();
      list.replaceChildren(...(items.length ? items : [el("li", { class: "empty" }, none)]));
    } catch (e) {
      list.replaceChildren(el("li", { class: "problem" }, e.message));
    }
  }

  // A tree item: a leaf runs `pick` when clicked; a branch opens with the children `load`
  // lists, and folds on the next click (the next opening lists them afresh).
  function item(attrs, label, { pick, load, extra }) {
    const li = el("li", { ...attrs, class: pick ? "leaf" : "branch", role: "treeitem" });
    const toggle = el("span", { class: "toggle" }, pick ? "•" : "▸");
    const row = el("div", { class: "node", tabindex: "0" }, toggle, el("span", { class: "name" }, label), ...(extra || []));
    row.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); row.click(); } });
    row.addEventListener("click", () => {
      if (pick) return pick();
      const open = li.querySelector(":scope > ul");
      if (open) open.remove();
      else {
        const kids = el("ul", { role: "group" }, el("li", { class: "loading" }, "loading…"));
        li.append(kids);
        fill(kids, load, "(empty)");
      }
      toggle.textContent = open ? "▸" : "▾";
    });
    li.append(row);
    return li;
  }

  // One node of /metrics/find's treejson (or a search result shaped like one).
  function treeNode(node) {
    const attrs = { "data-path": node.id, title: node.leaf ? "add " + node.id + " to the graph" : node.id };
    return item(attrs, node.text, node.leaf ? { pick: () => addTarget(pathTarget(node.id)) }
      : { load: async () => (await find(node.id + ".*")).map(treeNode) });
  }

  function loadTree() {
    fill($("tree"), async () => (await find("*")).map(treeNode), "no metrics yet");
  }

  async function search(event) {
    event.preventDefault();
    const query = $("search").value.trim();
    const box = $("search-results");
    if (!query) { box.replaceChildren(); return; }
    try {
      // format=json lists whole paths, also where the glob has wildcards before the last node
      const found = await find(query, "json");
      const seen = new Set();
      const nodes = [];
      for (const n of found) {
        const key = n.path + (n.is_leaf ? "" : ".");
        if (seen.has(key)) continue;
        seen.add(key);
        nodes.push({ id: n.path, text: n.path, leaf: n.is_leaf });
      }
      const graphAll = button("Graph " + query, "add the glob itself as one target", () => addTarget(query), "small");
      box.replaceChildren(el("div", { class: "results-head" }, nodes.length + " found ", nodes.length ? graphAll : ""),
        el("ul", {}, ...nodes.map(treeNode)));
    } catch (e) {
      box.replaceChildren(el("div", { class: "problem" }, e.message));
    }
  }

  // ---- tags ---------------------------------------------------------------------------

  function loadTags() {
    fill($("tags"), async () => (await getJSON("tags")).map((t) => tagNode(t.tag)), "no tagged series");
  }

  function tagNode(tag) {
    return item({ "data-tag": tag }, tag, { load: async () => {
      const info = await getJSON("tags/" + encodeURIComponent(tag));
      return ((info && info.values) || []).map((v) => {
        const expr = "seriesByTag(" + quote(tag + "=" + v.value) + ")";
        return item({ "data-value": v.value, title: "add " + expr }, v.value,
          { pick: () => addTarget(expr), extra: [el("span", { class: "count" }, " (" + v.count + ")")] });
      });
    } });
  }

  // ---- targets ------------------------------------------------------------------------

  function addTarget(target) {
    target = target.trim();
    if (!target) return;
    if (!state.targets.includes(target)) state.targets.push(target);
    changed();
  }

  function renderTargets() {
    $("targets").replaceChildren(...state.targets.map((t, i) => el("li", { "data-index": String(i) },
      el("code", { class: "expr" }, t),
      button("ƒ", "apply a function to this target", () => openFunctions(i), "fn"),
      button("✎", "edit this target", () => editTarget(i), "edit"),
      button("✕", "remove this target", () => removeTarget(i), "remove"))));
    $("target-add").textContent = editing >= 0 ? "Save" : "Add";
    $("target-cancel").hidden = editing < 0;
  }

  function removeTarget(i) {
    state.targets.splice(i, 1);
    editing = -1;
    closeFunctions();
    changed();
  }

  function editTarget(i) {
    editing = i;
    $("target-input").value = state.targets[i];
    $("target-input").focus();
    renderTargets();
  }

  function submitTarget(event) {
    event.preventDefault();
    const text = $("target-input").value.trim();
    if (!text) return;
    if (editing >= 0 && editing < state.targets.length) state.targets[editing] = text;
    else if (!state.targets.includes(text)) state.targets.push(text);
    editing = -1;
    $("target-input").value = "";
    changed();
  }

  function cancelEdit() {
    editing = -1;
    $("target-input").value = "";
    renderTargets();
  }

  // ---- functions ----------------------------------------------------------------------

  // The parameters a user fills in: the first, when it takes series, is the target itself.
  function userParams(fn) {
    const params = fn.params || [];
    return params.length && /^seriesLists?$/.test(params[0].type) ? params.slice(1) : params;
  }

  async function openFunctions(i) {
    fnTarget = i;
    $("function-target").textContent = state.targets[i];
    $("function-panel").hidden = false;
    if (!functions) {
      try {
        functions = await getJSON("functions");
      } catch (e) {
        $("function-doc").textContent = "cannot list the functions: " + e.message;
        return;
      }
      const groups = {};
      for (const [name, fn] of Object.entries(functions)) (groups[fn.group] = groups[fn.group] || []).push(name);
      const select = $("function-select");
      for (const group of Object.keys(groups).sort()) {
        const og = el("optgroup", { label: group });
        for (const name of groups[group].sort()) og.append(el("option", { value: name }, name));
        select.append(og);
      }
      select.value = functions.sumSeries ? "sumSeries" : select.options[0].value;
    }
    showParams();
  }

  function closeFunctions() {
    fnTarget = -1;
    $("function-panel").hidden = true;
  }

  function showParams() {
    const fn = functions && functions[$("function-select").value];
    if (!fn) return;
    $("function-params").replaceChildren(...userParams(fn).map((p) => {
      let input;
      if (p.options && p.options.length) {
        input = el("select", {}, ...(p.required ? [] : [el("option", { value: "" }, "")]),
          ...p.options.map((o) => el("option", { value: String(o) }, String(o))));
      } else if (p.type === "boolean") {
        input = el("select", {}, el("option", { value: "" }, ""), el("option", { value: "true" }, "true"),
          el("option", { value: "false" }, "false"));
      } else {
        const hint = p.default !== undefined ? String(p.default) : p.suggestions ? p.suggestions.join(", ") : p.type;
        input = el("input", { placeholder: hint + (p.multiple ? " (a, b, …)" : ""), spellcheck: "false" });
      }
      input.dataset.param = p.name;
      return el("label", { class: "param" }, p.name + (p.required ? " *" : "") + " ", input);
    }));
    // the signature, then the description's first paragraph (the rest is examples in RST)
    const about = (fn.description || "").trim().split(/\n\s*\n/)[0].replace(/\s+/g, " ");
    $("function-doc").textContent = (fn.function || fn.name) + (about ? "\n" + about : "");
  }

  const NUMBER = /^-?\d+(\.\d+)?([eE]-?\d+)?$/;
  const QUOTED_TYPES = new Set(["string", "aggFunc", "aggOrSeriesFunc", "interval", "tag", "date"]);
  const RAW_TYPES = new Set(["series", "seriesList", "seriesLists"]);

  // One argument as the target grammar reads it: numbers, booleans and series expressions
  // bare, strings quoted.
  function argument(p, text) {
    if (RAW_TYPES.has(p.type)) return text;
    if (p.type === "boolean") return /^(true|1)$/i.test(text) ? "true" : "false";
    if (!QUOTED_TYPES.has(p.type) && (NUMBER.test(text) || (p.type === "intOrInf" && /^inf$/i.test(text)))) return text;
    return quote(text);
  }

  function applyFunction() {
    const name = $("function-select").value;
    const fn = functions && functions[name];
    if (!fn || fnTarget < 0) return;
    const args = [state.targets[fnTarget]];
    let skipped = false; // after an empty optional parameter the rest go by name
    for (const p of userParams(fn)) {
      const input = $("function-params").querySelector(`[data-param="${CSS.escape(p.name)}"]`);
      const text = input ? input.value.trim() : "";
      if (!text) {
        if (p.required) { $("function-doc").textContent = "parameter " + p.name + " is required"; return; }
        skipped = true;
        continue;
      }
      const values = p.multiple ? text.split(",").map((v) => v.trim()).filter((v) => v) : [text];
      const written = values.map((v) => argument(p, v));
      args.push(...(skipped && !p.multiple ? [p.name + "=" + written[0]] : written));
    }
    state.targets[fnTarget] = name + "(" + args.join(", ") + ")";
    closeFunctions();
    changed();
  }

  // ---- range and refresh --------------------------------------------------------------

  function renderRange() {
    $("from").value = state.from;
    $("until").value = state.until;
    for (const b of $("presets").children) {
      b.classList.toggle("active", state.until === "now" && b.dataset.from === state.from);
    }
    $("refresh").value = String(state.refresh);
  }

  function setRefresh() {
    if (timer) clearInterval(timer);
    timer = state.refresh ? setInterval(draw, state.refresh * 1000) : null;
  }

  // ---- the graph ----------------------------------------------------------------------

  // The smallest of 1, 2, 2.5, 5 and 10 times a power of ten that is at least `raw`.
  function niceStep(raw) {
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    return [1, 2, 2.5, 5, 10].find((f) => f * mag >= raw * (1 - 1e-9)) * mag;
  }

  function formatValue(v, step) {
    const a = Math.abs(v);
    for (const [scale, unit] of [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "K"]]) {
      if (a >= scale) return trim((v / scale).toFixed(Math.max(0, 2 - Math.floor(Math.log10(a / scale))))) + unit;
    }
    const digits = step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step)));
    return trim(v.toFixed(Math.max(digits, a > 0 && a < 1 ? 2 : 0)));
  }

  function trim(s) {
    return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
  }

  const TIME_STEPS = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800,
    604800, 1209600, 2592000];
  const pad = (n) => String(n).padStart(2, "0");

  function formatTime(t, span) {
    const d = new Date(t * 1000);
    const hm = pad(d.getHours()) + ":" + pad(d.getMinutes());
    const md = pad(d.getMonth() + 1) + "-" + pad(d.getDate());
    if (span <= 86400) return hm;
    return span <= 7 * 86400 ? md + " " + hm : md;
  }

  function dateTime(t) {
    const d = new Date(t * 1000);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  function timeTicks(t0, t1, maxTicks) {
    const step = TIME_STEPS.find((s) => (t1 - t0) / s <= maxTicks) || TIME_STEPS[TIME_STEPS.length - 1];
    const offset = new Date(t0 * 1000).getTimezoneOffset() * 60; // ticks on local hours and midnights
    const ticks = [];
    for (let t = Math.ceil((t0 - offset) / step) * step + offset; t <= t1; t += step) ticks.push(t);
    return ticks;
  }

  async function draw() {
    const seq = ++drawSeq;
    const box = $("graph");
    if (!state.targets.length) {
      box.replaceChildren(el("p", { class: "hint" }, "Pick a metric in the tree or the tags, or type a target, to draw a graph."));
      $("legend").replaceChildren();
      $("status").textContent = "";
      showError("");
      return;
    }
    const width = Math.max(320, Math.floor(box.clientWidth || 800));
    const plotWidth = width - MARGIN.left - MARGIN.right;
    const params = new URLSearchParams();
    for (const t of state.targets) params.append("target", t);
    params.set("from", state.from);
    params.set("until", state.until);
    params.set("format", "json");
    params.set("maxDataPoints", String(plotWidth)); // about one point per pixel
    const range = new URLSearchParams({ from: state.from, until: state.until });
    $("status").textContent = "loading…";
    try {
      const [series, events] = await Promise.all([getJSON("render", params),
        getJSON("events/get_data", range).catch(() => [])]); // the graph does without its markers
      if (seq !== drawSeq) return;
      showError("");
      paint(box, series, events, width);
    } catch (e) {
      if (seq !== drawSeq) return;
      showError(e.message);
      $("status").textContent = "";
    }
  }

  function paint(box, series, events, width) {
    const plotW = width - MARGIN.left - MARGIN.right;
    const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
    let t0 = Infinity, t1 = -Infinity, lo = Infinity, hi = -Infinity, points = 0;
    for (const s of series) {
      const dps = s.datapoints;
      if (!dps.length) continue;
      t0 = Math.min(t0, dps[0][1]);
      t1 = Math.max(t1, dps[dps.length - 1][1]);
      for (const [v] of dps) {
        if (v === null || !Number.isFinite(v)) continue;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    if (t0 === Infinity) {
      box.replaceChildren(el("p", { class: "hint" }, "No series match these targets."));
      $("legend").replaceChildren();
      $("status").textContent = "0 series";
      return;
    }
    if (t1 === t0) t1 = t0 + 1;
    if (lo === Infinity) { lo = 0; hi = 1; } // every value null: an empty graph with axes
    if (hi === lo) { hi += Math.abs(hi) || 1; lo -= Math.abs(lo) || 0; }
    const yStep = niceStep((hi - lo) / 5);
    const yMin = Math.floor(lo / yStep) * yStep, yMax = Math.ceil(hi / yStep) * yStep;
    const x = (t) => MARGIN.left + ((t - t0) / (t1 - t0)) * plotW;
    const y = (v) => MARGIN.top + plotH - ((v - yMin) / (yMax - yMin)) * plotH;

    const svg = svgEl("svg", { width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, role: "img",
      "aria-label": "graph", "data-start": String(t0), "data-end": String(t1) });
    const grid = svgEl("g", { class: "grid" });
    const axes = svgEl("g", { class: "axes" });
    for (let v = yMin; v <= yMax + yStep / 2; v += yStep) {
      grid.append(svgEl("line", { x1: MARGIN.left, x2: MARGIN.left + plotW, y1: y(v), y2: y(v) }));
      const label = svgEl("text", { x: MARGIN.left - 6, y: y(v) + 4, "text-anchor": "end", class: "ytick" });
      label.textContent = formatValue(Math.abs(v) < yStep / 1e6 ? 0 : v, yStep);
      axes.append(label);
    }
    for (const t of timeTicks(t0, t1, Math.max(2, Math.floor(plotW / 90)))) {
      grid.append(svgEl("line", { x1: x(t), x2: x(t), y1: MARGIN.top, y2: MARGIN.top + plotH }));
      const label = svgEl("text", { x: x(t), y: HEIGHT - 10, "text-anchor": "middle", class: "xtick" });
      label.textContent = formatTime(t, t1 - t0);
      axes.append(label);
    }
    axes.append(svgEl("rect", { x: MARGIN.left, y: MARGIN.top, width: plotW, height: plotH, class: "frame" }));
    svg.append(grid, axes);

    const lines = svgEl("g", { class: "lines" });
    const legend = [];
    series.forEach((s, i) => {
      const color = COLORS[i % COLORS.length];
      let d = "", n = 0, pen = false, last = null, min = Infinity, max = -Infinity;
      for (const [v, t] of s.datapoints) {
        if (v === null || !Number.isFinite(v)) { pen = false; continue; } // a gap
        // a lone point between gaps is drawn as a dot by the round line cap
        d += (pen ? "L" : "M") + x(t).toFixed(1) + " " + y(v).toFixed(1) + (pen ? "" : "l0 0");
        pen = true;
        n += 1;
        last = v;
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      const path = svgEl("path", { d, stroke: color, class: "series", "data-target": s.target, "data-points": String(n) });
      lines.append(path);
      points += n;
      const stats = n ? `last ${formatValue(last, yStep)}  min ${formatValue(min, yStep)}  max ${formatValue(max, yStep)}` : "no data";
      const swatch = el("span", { class: "swatch" });
      swatch.style.background = color; // through the CSSOM: the page's CSP refuses style attributes
      const item = el("li", { "data-target": s.target, title: "click to hide or show" },
        swatch, el("span", { class: "series-name" }, s.target), el("span", { class: "stats" }, stats));
      item.addEventListener("click", () => {
        item.classList.toggle("off");
        path.classList.toggle("off");
      });
      legend.push(item);
    });
    svg.append(lines);

    const marks = svgEl("g", { class: "events" });
    for (const e of events) {
      if (e.when < t0 || e.when > t1) continue;
      const mark = svgEl("g", { class: "event", "data-what": String(e.what) });
      const left = x(e.when) > MARGIN.left + plotW * 0.8; // near the right edge the label goes left
      const label = svgEl("text", { x: x(e.when) + (left ? -7 : 7), y: MARGIN.top + 11, "text-anchor": left ? "end" : "start" });
      label.textContent = String(e.what);
      mark.append(svgEl("line", { x1: x(e.when), x2: x(e.when), y1: MARGIN.top, y2: MARGIN.top + plotH }),
        svgEl("path", { d: `M${x(e.when) - 5} ${MARGIN.top}h10l-5 7z` }), label);
      const title = svgEl("title");
      const tags = Array.isArray(e.tags) ? e.tags.join(" ") : String(e.tags || "");
      title.textContent = `${dateTime(e.when)}  ${e.what}` + (tags ? `  [${tags}]` : "") +
        (e.data ? `\n${e.data}` : "");
      mark.append(title);
      marks.append(mark);
    }
    svg.append(marks);
    svg.append(crosshair(svg, series, legend, t0, t1, plotW, plotH, yStep));

    box.replaceChildren(svg);
    $("legend").replaceChildren(...legend);
    $("status").textContent = `${series.length} series, ${points} points, ${dateTime(t0)} to ${dateTime(t1)}, ` +
      `drawn at ${dateTime(Date.now() / 1000)}`;
  }

  // A vertical line under the mouse with its time; each legend item shows its series' value
  // there (its summary again when the mouse leaves).
  function crosshair(svg, series, legend, t0, t1, plotW, plotH, yStep) {
    const g = svgEl("g", { class: "crosshair", visibility: "hidden" });
    const line = svgEl("line", { y1: MARGIN.top, y2: MARGIN.top + plotH });
    const text = svgEl("text", { y: MARGIN.top + plotH - 6 });
    g.append(line, text);
    const stats = legend.map((item) => item.querySelector(".stats"));
    const summaries = stats.map((s) => s.textContent);
    const hide = () => {
      g.setAttribute("visibility", "hidden");
      stats.forEach((s, i) => { s.textContent = summaries[i]; });
    };
    svg.addEventListener("mousemove", (ev) => {
      const px = ev.clientX - svg.getBoundingClientRect().left;
      if (px < MARGIN.left || px > MARGIN.left + plotW) return hide();
      const t = t0 + ((px - MARGIN.left) / plotW) * (t1 - t0);
      series.forEach((s, i) => {
        const dps = s.datapoints; // evenly spaced: the nearest point is found by its index
        if (!dps.length) return;
        const step = dps.length > 1 ? dps[1][1] - dps[0][1] : 1;
        const [v] = dps[Math.min(dps.length - 1, Math.max(0, Math.round((t - dps[0][1]) / step)))];
        stats[i].textContent = "at cursor " + (v === null ? "null" : formatValue(v, yStep / 100));
      });
      line.setAttribute("x1", px);
      line.setAttribute("x2", px);
      text.textContent = formatTime(t, 0);
      const right = px > MARGIN.left + plotW / 2;
      text.setAttribute("x", right ? px - 5 : px + 5);
      text.setAttribute("text-anchor", right ? "end" : "start");
      g.setAttribute("visibility", "visible");
    });
    svg.addEventListener("mouseleave", hide);
    return g;
  }

  // ---- start ----------------------------------------------------------------------------

  function init() {
    for (const [label, from] of PRESETS) {
      const b = button(label, "from " + from + " until now", () => {
        state.from = from;
        state.until = "now";
        changed();
      }, "preset");
      b.dataset.from = from;
      $("presets").append(b);
    }
    $("apply-range").addEventListener("click", () => {
      state.from = $("from").value.trim() || "-1h";
      state.until = $("until").value.trim() || "now";
      changed();
    });
    for (const id of ["from", "until"]) {
      $(id).addEventListener("keydown", (e) => { if (e.key === "Enter") $("apply-range").click(); });
    }
    $("refresh").addEventListener("change", () => {
      state.refresh = parseInt($("refresh").value, 10) || 0;
      changed();
    });
    $("search-form").addEventListener("submit", search);
    $("target-form").addEventListener("submit", submitTarget);
    $("target-cancel").addEventListener("click", cancelEdit);
    $("function-select").addEventListener("change", showParams);
    $("function-apply").addEventListener("click", applyFunction);
    $("function-close").addEventListener("click", closeFunctions);
    window.addEventListener("hashchange", () => { fromHash(); changed(); });
    let resized = null;
    window.addEventListener("resize", () => { clearTimeout(resized); resized = setTimeout(draw, 200); });
    fromHash();
    changed();
    loadTree();
    loadTags();
  }

  init();
})();
