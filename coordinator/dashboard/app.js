// benchlab dashboard: renders the page the path names from /api/v1 (the proto JSON
// mapping) and keeps it live with server-sent events. Every text from the lab (device
// names, log lines, error messages) goes in through textContent or an attribute set by
// the DOM API, never as markup. No library, no network beyond this server.
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";
const main = () => document.getElementById("main");

// ---- DOM helpers: el("td", {class: "x"}, "text", child, ...) ----
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    e.setAttribute(k, String(v));
  }
  for (const c of children) append(e, c);
  return e;
}
function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  for (const c of children) append(e, c);
  return e;
}
function append(parent, c) {
  if (c === undefined || c === null || c === false) return;
  if (Array.isArray(c)) { c.forEach((x) => append(parent, x)); return; }
  parent.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
}
function link(href, text) { return el("a", {href}, text); }
function table(id, headers, rows) {
  return el("table", {id, class: "grid"},
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows));
}
function replace(node, ...children) {
  while (node.firstChild) node.removeChild(node.firstChild);
  append(node, children);
}
function setTitle(t) { document.title = "benchlab: " + t; }

// ---- formatting ----
const num = (v) => (v === undefined || v === null || v === "") ? NaN : Number(v);
function fmt(v, digits = 1) {
  const n = num(v);
  return Number.isFinite(n) ? n.toFixed(digits) : "–";
}
function fmtUs(v) {
  const n = num(v);
  if (!Number.isFinite(n)) return "–";
  return n >= 10000 ? (n / 1000).toFixed(2) + " ms" : n.toFixed(0) + " µs";
}
function fmtTime(ms) {
  const n = num(ms);
  return n > 0 ? new Date(n).toLocaleString() : "–";
}
const short = (s, prefix) => (s || "").replace(prefix, "").toLowerCase().replace(/_/g, " ");
const stateName = (s) => short(s, "DEVICE_STATE_");
const runStateName = (s) => short(s, "RUN_STATE_");
const thermalName = (s) => short(s, "THERMAL_STATUS_") || "–";
const FINAL = new Set(["RUN_STATE_DONE", "RUN_STATE_FAILED", "RUN_STATE_CANCELLED"]);

// The primary metric of a run (inference_avg_us, else the timed average).
function primary(run) {
  const m = run.metrics || {};
  const v = num(m.inferenceAvgUs);
  return Number.isFinite(v) ? v : num(m.avgUs);
}
function median(values) {
  const v = values.slice().sort((a, b) => a - b);
  if (!v.length) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

async function api(path) {
  const r = await fetch(path, {credentials: "same-origin", headers: {Accept: "application/json"}});
  if (r.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); throw new Error("login needed"); }
  const body = await r.json();
  if (!r.ok) throw new Error(body.message || ("HTTP " + r.status));
  return body;
}
function showError(where, err) {
  append(where, el("p", {class: "error"}, String(err.message || err)));
}
// An EventSource that reports its state in the page's live badge. It reconnects by itself.
function live(path, handlers) {
  const es = new EventSource(path);
  const badge = document.getElementById("live");
  es.onopen = () => { if (badge) { badge.textContent = "live"; badge.className = "live on"; } };
  es.onerror = () => { if (badge) { badge.textContent = "reconnecting"; badge.className = "live off"; } };
  for (const [name, fn] of Object.entries(handlers)) {
    es.addEventListener(name, (ev) => fn(JSON.parse(ev.data)));
  }
  window.addEventListener("pagehide", () => es.close());
  return es;
}
function heading(text, ...extra) {
  return el("div", {class: "heading"}, el("h1", {}, text), el("span", {id: "live", class: "live off"}, "connecting"), extra);
}

// ---- / : the lab ----
function labPage() {
  setTitle("lab");
  const agents = el("section", {id: "agents-section"});
  const phones = el("section", {id: "phones-section"});
  replace(main(), heading("Lab"), phones, agents);
  let updates = 0;
  live("/api/v1/events/lab", {
    lab: (d) => {
      updates++;
      document.body.dataset.labUpdates = String(updates);
      const devs = (d.devices.devices || []);
      replace(phones, el("h2", {}, `Phones (${devs.length})`), table("devices",
        ["Phone", "State", "Model", "SoC", "Android", "Battery", "Temp °C", "Thermal", "Queue", "Current run", "Logs"],
        devs.map((dev) => {
          const i = dev.info || {};
          const c = i.conditions || {};
          const temp = i.hasBatteryTemp ? fmt(i.batteryTempC) : (c.batteryTempC !== undefined ? fmt(c.batteryTempC) : "–");
          const state = stateName(dev.state);
          return el("tr", {"data-device-id": i.deviceId, class: "state-" + state},
            el("td", {}, i.deviceId),
            el("td", {class: "state"}, el("span", {class: "pill " + state}, state), dev.coolingReason ? el("div", {class: "muted"}, dev.coolingReason) : null,
              dev.refusedReason ? el("div", {class: "error"}, dev.refusedReason) : null),
            el("td", {}, [i.manufacturer, i.model].filter(Boolean).join(" ")),
            el("td", {}, i.soc || "–"),
            el("td", {}, i.androidVersion ? `${i.androidVersion} (${i.sdkLevel})` : "–"),
            el("td", {}, num(i.batteryLevelPct) >= 0 ? `${i.batteryLevelPct}%${c.charging ? " ⚡" : ""}` : "–"),
            el("td", {}, temp),
            el("td", {}, thermalName(c.thermalStatus)),
            el("td", {}, String(dev.queueLength || 0)),
            el("td", {}, dev.currentRunId ? link("/jobs/" + encodeURIComponent(dev.currentRunId.split(".")[0]), dev.currentRunId) : "–"),
            el("td", {}, link("/devices/" + encodeURIComponent(i.deviceId) + "/logs", "logcat")));
        })));
      const ags = (d.agents.agents || []);
      replace(agents, el("h2", {}, `Agents (${ags.length})`), table("agents",
        ["Agent", "Host", "Version", "Connected", "Phones", "Last seen"],
        ags.map((a) => el("tr", {"data-agent-id": a.agentId},
          el("td", {}, a.agentId), el("td", {}, a.hostname), el("td", {}, a.version),
          el("td", {}, a.connected ? "yes" : "no"), el("td", {}, String(a.deviceCount || 0)),
          el("td", {}, fmtTime(a.lastSeenUnixMs))))));
    },
  });
}

// ---- /jobs ----
function jobsPage() {
  setTitle("jobs");
  const params = new URLSearchParams(location.search);
  const list = el("section", {id: "jobs-list"});
  const active = el("input", {type: "checkbox", id: "active-only"});
  active.checked = params.get("active_only") === "1";
  active.addEventListener("change", () => {
    const p = new URLSearchParams();
    if (active.checked) p.set("active_only", "1");
    location.search = p.toString();
  });
  const a = el("input", {id: "compare-a", placeholder: "baseline job"});
  const b = el("input", {id: "compare-b", placeholder: "candidate job"});
  const go = el("button", {type: "button", id: "compare-go"}, "Compare");
  go.addEventListener("click", () => {
    if (a.value && b.value) location.href = "/compare/" + encodeURIComponent(a.value) + "/" + encodeURIComponent(b.value);
  });
  replace(main(), el("div", {class: "heading"}, el("h1", {}, "Jobs")),
    el("div", {class: "filters"}, el("label", {}, active, " active only"), " ", a, b, go), list);
  const q = new URLSearchParams({page_size: params.get("page_size") || "50"});
  if (active.checked) q.set("active_only", "1");
  if (params.get("page_token")) q.set("page_token", params.get("page_token"));
  api("/api/v1/jobs?" + q).then((r) => {
    const rows = (r.jobs || []).map((j) => el("tr", {"data-job-id": j.jobId},
      el("td", {}, link("/jobs/" + encodeURIComponent(j.jobId), j.jobId)),
      el("td", {}, j.spec.description || ""),
      el("td", {}, j.submittedBy),
      el("td", {}, fmtTime(j.createdUnixMs)),
      el("td", {}, j.finishedUnixMs !== "0" ? (j.cancelled ? "cancelled" : "finished") : "active"),
      el("td", {}, `${j.runsDone}/${j.runsTotal} done, ${j.runsFailed} failed`)));
    replace(list, table("jobs", ["Job", "Description", "By", "Created", "State", "Runs"], rows));
    if (r.nextPageToken) {
      const p = new URLSearchParams(location.search);
      p.set("page_token", r.nextPageToken);
      append(list, el("p", {}, link("/jobs?" + p, "Next page →")));
    }
  }).catch((e) => showError(list, e));
}

// ---- /jobs/<id> ----
// One phone's runs as points (x: repeat, y: primary metric), its median as a line and its
// spread (min..max) as a band.
function runsChart(runs) {
  const W = 360, H = 140, P = 34;
  const done = runs.filter((r) => r.state === "RUN_STATE_DONE" && Number.isFinite(primary(r)));
  const s = svg("svg", {class: "chart", viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img"});
  if (!done.length) { append(s, svg("text", {x: P, y: H / 2, class: "axis"}, "no results yet")); return s; }
  const ys = done.map(primary);
  let lo = Math.min(...ys), hi = Math.max(...ys);
  const pad = (hi - lo) * 0.15 || Math.abs(hi) * 0.05 || 1;
  const y0 = lo - pad, y1 = hi + pad;
  const maxRep = Math.max(1, ...runs.map((r) => (r.repeat || 0) + 1));
  const X = (i) => P + (W - P - 8) * (i + 0.5) / maxRep;
  const Y = (v) => H - 18 - (H - 28) * (v - y0) / (y1 - y0);
  append(s, svg("rect", {class: "spread", x: P, width: W - P - 8, y: Y(hi), height: Math.max(1, Y(lo) - Y(hi))}));
  const med = median(ys);
  append(s, svg("line", {class: "median", x1: P, x2: W - 8, y1: Y(med), y2: Y(med)}));
  append(s, svg("text", {class: "axis", x: 2, y: Y(hi) + 4}, fmtUs(hi)));
  append(s, svg("text", {class: "axis", x: 2, y: Y(lo) + 4}, fmtUs(lo)));
  append(s, svg("text", {class: "axis median-label", x: W - 8, y: Y(med) - 4, "text-anchor": "end"}, "median " + fmtUs(med)));
  for (const r of done) {
    append(s, svg("circle", {class: "run-point", cx: X(r.repeat || 0), cy: Y(primary(r)), r: 4, "data-run-id": r.runId},
      svg("title", {}, `${r.runId}: ${fmtUs(primary(r))}`)));
  }
  return s;
}

function jobPage(jobId) {
  setTitle("job " + jobId);
  const summary = el("section", {id: "job-summary"});
  const phones = el("section", {id: "job-phones"});
  const results = el("section", {id: "job-results"});
  const failures = el("section", {id: "job-failures"});
  replace(main(), heading("Job " + jobId), summary, phones, results, failures);
  let job = null;
  const runs = new Map();
  let events = 0;
  const render = () => {
    const finished = job && job.finishedUnixMs !== "0";
    const state = !job ? "unknown" : job.cancelled ? "cancelled" : finished ? "finished" : "running";
    const spec = job.spec || {};
    replace(summary,
      el("p", {}, el("span", {id: "job-state", class: "pill " + state, "data-state": state}, state), " ",
        `${job.runsDone} done, ${job.runsFailed} failed, ${job.runsActive} active, ${job.runsQueued} queued of ${job.runsTotal}`),
      el("progress", {id: "job-progress", max: job.runsTotal || 1, value: (job.runsDone || 0) + (job.runsFailed || 0) + (job.runsCancelled || 0)}),
      el("dl", {class: "spec"},
        el("dt", {}, "Description"), el("dd", {}, spec.description || "–"),
        el("dt", {}, "Model"), el("dd", {}, spec.modelSha256 ? link("/history?model_sha256=" + encodeURIComponent(spec.modelSha256), spec.modelSha256.slice(0, 16) + "…") : "–"),
        el("dt", {}, "Repeats"), el("dd", {}, String(spec.repeats || 1)),
        el("dt", {}, "Submitted"), el("dd", {}, `${fmtTime(job.createdUnixMs)} by ${job.submittedBy}`)));
    const byDevice = new Map();
    for (const r of runs.values()) {
      if (!byDevice.has(r.deviceId)) byDevice.set(r.deviceId, []);
      byDevice.get(r.deviceId).push(r);
    }
    replace(phones, el("h2", {}, "Phones"), [...byDevice.keys()].sort().map((dev) => {
      const rs = byDevice.get(dev).sort((a, b) => (a.repeat || 0) - (b.repeat || 0));
      const fin = rs.filter((r) => FINAL.has(r.state)).length;
      return el("div", {class: "phone-card", "data-device-id": dev},
        el("h3", {}, dev),
        el("p", {class: "muted"}, `${fin}/${rs.length} runs final · `,
          rs.map((r) => el("span", {class: "pill small " + runStateName(r.state), title: r.runId}, runStateName(r.state)))),
        el("progress", {max: rs.length, value: fin}),
        runsChart(rs));
    }));
    document.body.dataset.jobEvents = String(events);
    document.body.dataset.points = String(document.querySelectorAll("circle.run-point").length);
  };
  const loadResults = async () => {
    try {
      const r = await api("/api/v1/jobs/" + encodeURIComponent(jobId) + "/results" + (job.runsFailed > 0 ? "?include_raw_log=1" : ""));
      const rows = [];
      for (const d of r.devices || []) {
        for (const a of d.aggregates || []) {
          rows.push(el("tr", {}, el("td", {}, d.deviceId), el("td", {}, (d.device || {}).model || ""), el("td", {}, a.metric),
            el("td", {}, String(a.n)), el("td", {}, fmt(a.median, 2)), el("td", {}, fmt(a.mean, 2)),
            el("td", {}, fmt(a.stddev, 2)), el("td", {}, fmt(a.min, 2)), el("td", {}, fmt(a.max, 2))));
        }
      }
      const cond = (r.runs || []).filter((x) => x.conditions).map((x) => {
        const b = x.conditions.before || {}, a = x.conditions.after || {};
        return el("tr", {}, el("td", {}, x.runId),
          el("td", {}, `${fmt(b.batteryTempC)} → ${fmt(a.batteryTempC)}`),
          el("td", {}, `${thermalName(b.thermalStatus)} → ${thermalName(a.thermalStatus)}`),
          el("td", {}, `${b.batteryLevelPct ?? "–"}% → ${a.batteryLevelPct ?? "–"}%`),
          el("td", {}, x.conditionsNotMet || ""));
      });
      replace(results, el("h2", {}, "Aggregates"),
        table("aggregates", ["Phone", "Model", "Metric", "n", "Median", "Mean", "Stddev", "Min", "Max"], rows),
        el("h2", {}, "Conditions"),
        table("conditions", ["Run", "Battery °C", "Thermal", "Battery", "Gate not met"], cond));
      const failed = (r.runs || []).filter((x) => x.state === "RUN_STATE_FAILED");
      replace(failures, failed.length ? el("h2", {}, `Failures (${failed.length})`) : null,
        failed.map((x) => el("div", {class: "failure", "data-run-id": x.runId},
          el("h3", {}, `${x.runId} · ${short(x.errorClass, "ERROR_CLASS_")}`),
          el("p", {}, x.errorMessage),
          (x.rawLog || []).length ? el("pre", {class: "evidence"}, (x.rawLog || []).slice(-20).join("\n")) : null)));
    } catch (e) { showError(results, e); }
  };
  live("/api/v1/events/jobs/" + encodeURIComponent(jobId), {
    job: (m) => {
      events++;
      job = Object.assign({}, job || {}, m.job);
      if (m.job.deviceIds && m.job.deviceIds.length) job.deviceIds = m.job.deviceIds;
      for (const r of m.runs || []) runs.set(r.runId, r);
      render();
    },
    end: () => { loadResults(); },
  }).onerror = function () {
    // A finished job's stream ends; EventSource would reopen it: stop once finished.
    if (job && job.finishedUnixMs !== "0") this.close();
    const badge = document.getElementById("live");
    if (badge) { badge.textContent = job && job.finishedUnixMs !== "0" ? "done" : "reconnecting"; badge.className = "live off"; }
  };
}

// ---- /compare/<a>/<b> ----
// The change's confidence interval against the ±threshold band.
function ciBar(m, threshold) {
  const W = 220, H = 22;
  const lo = num(m.ciLowPct), hi = num(m.ciHighPct), c = num(m.shiftPct);
  const span = Math.max(threshold * 2, Math.abs(lo) || 0, Math.abs(hi) || 0, Math.abs(c) || 0) * 1.2 || 1;
  const X = (v) => W / 2 + (W / 2 - 4) * v / span;
  const s = svg("svg", {class: "ci", viewBox: `0 0 ${W} ${H}`, width: W, height: H});
  append(s, svg("rect", {class: "same-band", x: X(-threshold), width: X(threshold) - X(-threshold), y: 2, height: H - 4}));
  append(s, svg("line", {class: "zero", x1: X(0), x2: X(0), y1: 0, y2: H}));
  if (Number.isFinite(lo) && Number.isFinite(hi)) append(s, svg("line", {class: "interval", x1: X(lo), x2: X(hi), y1: H / 2, y2: H / 2}));
  if (Number.isFinite(c)) append(s, svg("circle", {class: "shift", cx: X(c), cy: H / 2, r: 3.5}));
  return s;
}

function comparePage(a, b) {
  setTitle(`compare ${a} → ${b}`);
  const out = el("section", {id: "compare"});
  replace(main(), el("div", {class: "heading"}, el("h1", {}, "Compare "), link("/jobs/" + encodeURIComponent(a), a), " → ", link("/jobs/" + encodeURIComponent(b), b)), out);
  api(`/api/v1/compare/${encodeURIComponent(a)}/${encodeURIComponent(b)}` + location.search).then((r) => {
    const threshold = num(r.thresholdPct) || 2;
    const rows = [];
    for (const d of r.devices || []) {
      for (const m of d.metrics || []) {
        rows.push(el("tr", {"data-device-id": d.deviceId},
          el("td", {}, d.deviceId), el("td", {}, m.metric),
          el("td", {}, fmt((m.baseline || {}).median, 2)), el("td", {}, fmt((m.candidate || {}).median, 2)),
          el("td", {}, fmt(m.changePct, 2) + " %"),
          el("td", {}, `${fmt(m.ciLowPct, 2)} … ${fmt(m.ciHighPct, 2)} %`),
          el("td", {}, ciBar(m, threshold)),
          el("td", {}, el("span", {class: "pill verdict-" + m.verdict}, m.verdict)),
          el("td", {}, m.moreRepeats ? `~${m.moreRepeats} more repeats` : "")));
      }
    }
    replace(out,
      (r.warnings || []).map((w) => el("p", {class: "warning"}, w)),
      table("comparison", ["Phone", "Metric", "Baseline median", "Candidate median", "Change", `CI (${Math.round(num(r.ciLevel) * 100)} %)`, "", "Verdict", ""], rows),
      (r.baselineOnly || []).length ? el("p", {class: "muted"}, "Only in the baseline: " + r.baselineOnly.join(", ")) : null,
      (r.candidateOnly || []).length ? el("p", {class: "muted"}, "Only in the candidate: " + r.candidateOnly.join(", ")) : null,
      el("p", {class: "muted"}, `same band ±${threshold} %, α = ${r.alpha}`));
  }).catch((e) => showError(out, e));
}

// ---- /history?model_sha256=... ----
function seriesChart(series) {
  const W = 560, H = 160, P = 40;
  const pts = series.points || [];
  const s = svg("svg", {class: "chart", viewBox: `0 0 ${W} ${H}`, width: W, height: H});
  if (!pts.length) return s;
  const ys = pts.map((p) => num(p.median));
  const lo = Math.min(...ys), hi = Math.max(...ys);
  const pad = (hi - lo) * 0.15 || Math.abs(hi) * 0.05 || 1;
  const X = (i) => P + (W - P - 8) * (pts.length === 1 ? 0.5 : i / (pts.length - 1));
  const Y = (v) => H - 14 - (H - 24) * (v - (lo - pad)) / (hi - lo + 2 * pad);
  for (const c of series.changePoints || []) {
    append(s, svg("line", {class: "change-" + c.direction, x1: X(c.index - 0.5), x2: X(c.index - 0.5), y1: 4, y2: H - 10},
      svg("title", {}, `${c.direction} ${fmt(c.changePct, 1)} % at ${c.jobAfter}`)));
  }
  append(s, svg("polyline", {class: "series", points: pts.map((p, i) => `${X(i)},${Y(num(p.median))}`).join(" ")}));
  pts.forEach((p, i) => append(s, svg("circle", {class: "history-point", cx: X(i), cy: Y(num(p.median)), r: 3},
    svg("title", {}, `${p.jobId}: ${fmtUs(p.median)} (n=${p.n})`))));
  append(s, svg("text", {class: "axis", x: 2, y: Y(hi) + 4}, fmtUs(hi)));
  append(s, svg("text", {class: "axis", x: 2, y: Y(lo) + 4}, fmtUs(lo)));
  return s;
}

function historyPage() {
  setTitle("history");
  const params = new URLSearchParams(location.search);
  const model = el("input", {name: "model_sha256", id: "history-model", placeholder: "model SHA-256", size: 66});
  model.value = params.get("model_sha256") || "";
  const form = el("form", {method: "get", action: "/history", class: "filters"}, model, el("button", {type: "submit"}, "Show"));
  const out = el("section", {id: "history"});
  replace(main(), el("div", {class: "heading"}, el("h1", {}, "History")), form, out);
  if (!model.value) { append(out, el("p", {class: "muted"}, "Give a model's SHA-256 (a job page links to its model's history).")); return; }
  api("/api/v1/history?" + params).then((r) => {
    replace(out, r.truncated ? el("p", {class: "warning"}, "Only the newest jobs were looked at.") : null,
      (r.series || []).map((se) => {
        const k = se.key || {};
        return el("div", {class: "series-card"},
          el("h3", {}, `${k.deviceModel || ""} ${k.deviceId} · ${k.modelName || ""} · ${k.flags || "default flags"} · ${k.metric}`),
          seriesChart(se),
          (se.changePoints || []).length ? table(null, ["From job", "Before", "After", "Change", "Direction"],
            se.changePoints.map((c) => el("tr", {}, el("td", {}, link("/jobs/" + encodeURIComponent(c.jobAfter), c.jobAfter)),
              el("td", {}, fmtUs(c.beforeMedian)), el("td", {}, fmtUs(c.afterMedian)),
              el("td", {}, fmt(c.changePct, 1) + " %"), el("td", {}, el("span", {class: "pill verdict-" + c.direction}, c.direction)))))
            : el("p", {class: "muted"}, "no change points"));
      }));
  }).catch((e) => showError(out, e));
}

// ---- /devices/<id>/logs ----
const PRIORITIES = ["VERBOSE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
const PRIO_LETTER = {LOG_PRIORITY_VERBOSE: "V", LOG_PRIORITY_DEBUG: "D", LOG_PRIORITY_INFO: "I", LOG_PRIORITY_WARN: "W", LOG_PRIORITY_ERROR: "E", LOG_PRIORITY_FATAL: "F"};
const MAX_LINES = 5000;

function logsPage(deviceId) {
  setTitle("logcat " + deviceId);
  const params = new URLSearchParams(location.search);
  const tag = el("input", {id: "log-tag", placeholder: "tags (a,b)"});
  tag.value = params.get("tag") || "";
  const prio = el("select", {id: "log-priority"}, el("option", {value: ""}, "all"), PRIORITIES.map((p) => el("option", {value: p}, p)));
  prio.value = params.get("min_priority") || "";
  const grep = el("input", {id: "log-grep", placeholder: "grep (RE2)"});
  grep.value = params.get("regex") || "";
  const follow = el("input", {type: "checkbox", id: "log-follow"});
  follow.checked = true;
  const pause = el("input", {type: "checkbox", id: "log-pause"});
  const count = el("span", {id: "log-count"}, "0");
  const missed = el("span", {id: "log-missed"}, "");
  const view = el("div", {id: "log-view", class: "logview"});
  const apply = el("button", {type: "button", id: "log-apply"}, "Apply");
  replace(main(), heading("logcat " + deviceId),
    el("div", {class: "filters"}, tag, prio, grep, apply,
      el("label", {}, follow, " follow"), el("label", {}, pause, " pause"), " lines: ", count, " ", missed),
    view);
  let lines = 0, dropped = 0;
  let held = [];
  const show = (batch) => {
    const frag = document.createDocumentFragment();
    for (const l of batch) {
      lines++;
      const t = new Date(num(l.timeUnixUs) / 1000);
      frag.appendChild(el("div", {class: "log-line p-" + (PRIO_LETTER[l.priority] || "U")},
        el("span", {class: "ts"}, t.toISOString().slice(11, 23)), " ",
        el("span", {class: "prio"}, PRIO_LETTER[l.priority] || "?"), " ",
        el("span", {class: "tag"}, l.tag), ": ", l.message));
    }
    view.appendChild(frag);
    while (view.childNodes.length > MAX_LINES) view.removeChild(view.firstChild);
    count.textContent = String(lines);
    if (follow.checked) view.scrollTop = view.scrollHeight;
  };
  pause.addEventListener("change", () => {
    if (!pause.checked && held.length) { show(held); held = []; }
  });
  let es = null;
  const connect = () => {
    if (es) es.close();
    const q = new URLSearchParams({tail_lines: "200"});
    if (tag.value) q.set("tag", tag.value);
    if (prio.value) q.set("min_priority", prio.value);
    if (grep.value) q.set("regex", grep.value);
    history.replaceState(null, "", location.pathname + "?" + q);
    replace(view);
    lines = 0;
    es = live("/api/v1/events/devices/" + encodeURIComponent(deviceId) + "/logs?" + q, {
      logs: (b) => {
        if (num(b.missedLines) > 0) { dropped += num(b.missedLines); missed.textContent = `(${dropped} dropped: reader too slow)`; }
        const batch = b.lines || [];
        if (pause.checked) {
          held = held.concat(batch);
          if (held.length > MAX_LINES) held = held.slice(-MAX_LINES);
        } else {
          show(batch);
        }
      },
    });
  };
  apply.addEventListener("click", connect);
  connect();
}

// ---- routing: the same paths the server serves this shell for ----
function route() {
  const p = location.pathname;
  let m;
  if (p === "/") return labPage();
  if (p === "/jobs") return jobsPage();
  if (p === "/history") return historyPage();
  if ((m = p.match(/^\/jobs\/([^/]+)$/))) return jobPage(decodeURIComponent(m[1]));
  if ((m = p.match(/^\/compare\/([^/]+)\/([^/]+)$/))) return comparePage(decodeURIComponent(m[1]), decodeURIComponent(m[2]));
  if ((m = p.match(/^\/devices\/(.+)\/logs$/))) return logsPage(decodeURIComponent(m[1]));
  replace(main(), el("p", {class: "error"}, "No such page."));
}
document.addEventListener("DOMContentLoaded", route);
