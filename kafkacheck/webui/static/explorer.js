// kafkacheck explore: the page. The server is stateless; the page holds the path
// (an initial state's index and action labels) and the position on it.

import { clear, h } from "./dom.js";
import { drawState } from "./drawing.js";
import { sequenceDiagram } from "./sequence.js";

const $ = (id) => document.getElementById(id);
const page = { model: null, init: 0, path: [], at: 0, view: null, busy: 0 };

async function api(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function setBusy(delta) {
  page.busy += delta;
  document.body.dataset.busy = page.busy > 0 ? "yes" : "no";
}

// -- the path ------------------------------------------------------------------------

async function show(init, path, at) {
  setBusy(1);
  try {
    const view = await api("POST", "/api/state", { init, path, at });
    Object.assign(page, { init, path: view.path, at: view.at, view });
    render();
    saveHash();
    $("error").textContent = "";
  } catch (err) {
    $("error").textContent = err.message;
  } finally {
    setBusy(-1);
  }
}

const goTo = (at) => show(page.init, page.path, Math.max(0, Math.min(at, page.path.length)));
const take = (label) => show(page.init, [...page.path.slice(0, page.at), label], page.at + 1);

function saveHash() {
  const text = JSON.stringify({ init: page.init, at: page.at, path: page.path });
  history.replaceState(null, "", `#${encodeURIComponent(text)}`);
}

function loadHash() {
  try {
    const data = JSON.parse(decodeURIComponent(location.hash.slice(1)));
    return { init: data.init || 0, path: data.path || [], at: data.at };
  } catch {
    return null;
  }
}

// -- rendering -----------------------------------------------------------------------

function render() {
  const v = page.view;
  $("position").textContent = `step ${v.at} of ${v.length}`;
  $("back").disabled = $("first").disabled = v.at === 0;
  $("forward").disabled = $("last").disabled = v.at === v.length;
  clear($("drawing"), drawState(v.drawing));
  renderActions(v.actions);
  renderProperties(v.properties);
  renderSteps(v.steps);
  clear($("sequence"), sequenceDiagram(page.model.participants, v.messages, v.at, goTo));
  // Keep the current step in view inside its own scrolling box (not the window).
  const current = document.querySelector(`#steps .step[data-step="${v.at}"]`);
  const box = $("steps").parentElement;
  if (current && (current.offsetTop < box.scrollTop
      || current.offsetTop + current.offsetHeight > box.scrollTop + box.clientHeight)) {
    box.scrollTop = current.offsetTop - 40;
  }
}

function renderActions(actions) {
  const box = $("actions");
  if (!actions.length) {
    clear(box, h("p", { class: "muted" }, "No action is enabled: this state is final."));
    return;
  }
  clear(box, actions.map((a) => {
    const button = h("button", {
      class: `action${a.violates.length ? " leads-to-violation" : ""}${a.within_bounds ? "" : " outside"}`,
      dataset: { action: a.text },
      title: a.violates.length ? `leads to a violation of ${a.violates.join(", ")}` : a.text,
      onclick: () => take(a.label),
      onmouseenter: () => preview(a),
      onfocus: () => preview(a),
    }, a.text, a.violates.length ? h("span", { class: "warn" }, " ⚠") : null);
    return button;
  }));
  preview(null);
}

function preview(a) {
  const box = $("preview");
  if (!a) {
    clear(box, h("p", { class: "muted" }, "Hover over an action to preview what it changes."));
    return;
  }
  const m = a.message;
  clear(box,
    h("div", { class: "preview-title" }, a.text),
    h("div", { class: "preview-message" },
      m.source === m.target ? `${m.source}: ${m.text}` : `${m.source} → ${m.target}: ${m.text}`),
    a.changes.length ? null : h("p", { class: "muted" },
      "No variable of the view changes (the step changes only what the view does not show)."),
    h("table", { class: "changes" }, a.changes.map(([name, from, to]) =>
      h("tr", {}, h("th", {}, name), h("td", { class: "from" }, from), h("td", {}, "→"),
        h("td", { class: "to" }, to)))),
    a.violates.length ? h("p", { class: "violates" },
      `This step violates ${a.violates.join(", ")}.`) : null,
    a.within_bounds ? null : h("p", { class: "muted" },
      "The successor is outside the model's bounds: `check` does not explore it."));
}

const STATUS_TEXT = { true: "true", false: "VIOLATED", "not-evaluated": "not evaluated" };

function renderProperties(props) {
  clear($("properties"), props.map((p) =>
    h("div", { class: `property status-${p.status}`, dataset: { property: p.name } },
      h("div", { class: "prop-head" },
        h("span", { class: "prop-status" }, STATUS_TEXT[p.status]),
        h("span", { class: "prop-name" }, p.name),
        h("span", { class: "prop-kind" }, p.kind)),
      h("div", { class: "prop-statement" }, p.statement),
      h("div", { class: "prop-text" }, p.text),
      p.earlier !== undefined ? h("div", { class: "prop-earlier" },
        `already false at step ${p.earlier} of this path`) : null,
      p.why ? h("div", { class: "why" }, h("b", {}, "why: "), p.why) : null)));
}

function renderSteps(blocks) {
  clear($("steps"), blocks.map((text, i) =>
    h("pre", {
      class: `step${i === page.view.at ? " current" : ""}${i > page.view.at ? " future" : ""}`,
      dataset: { step: i }, onclick: () => goTo(i),
    }, text)));
}

// -- header, counterexamples, search ------------------------------------------------

function renderHeader(m) {
  $("model-name").textContent = m.source === m.name ? m.name : `${m.source} (${m.name})`;
  $("summary").textContent = m.summary;
  const pairs = (obj) => Object.entries(obj).map(([k, v]) => `${k}=${v}`).join(", ");
  // `check`'s lines on settings not modelled (WARNING, NOT COVERED) and the power-loss
  // WARNING: shown loud, never folded into the settings.
  const loud = (line) => /^(WARNING|NOT COVERED)/.test(line) ? "warning" : "setting-line";
  clear($("config"),
    h("div", { id: "kafka-release" }, h("b", {}, "Kafka "), m.kafka_version),
    Object.keys(m.settings).length ? h("div", {}, h("b", {}, "settings: "), pairs(m.settings)) : null,
    Object.keys(m.other_settings).length ? h("div", {}, h("b", {}, "other settings: "),
      pairs(m.other_settings)) : null,
    m.setting_lines.map((line) => h("div", { class: loud(line) }, line)),
    h("div", {}, h("b", {}, "bounds: "), pairs(m.bounds) || "none"),
    h("div", {}, m.faults),
    m.warnings.map((line) => h("div", { class: "warning" }, line)),
    m.notes.map((n) => h("div", { class: "note" }, `note: ${n}`)));
  const select = $("search-property");
  clear(select, m.properties.map((p) => h("option", {
    value: p.name, disabled: p.kind === "eventually",
    selected: m.focus.length ? m.focus[0] === p.name : false,
  }, `${p.name} (${p.kind}${p.kind === "eventually" ? ": use check" : ""})`)));
  $("search-limits").textContent =
    `limits: ${m.limits.max_states.toLocaleString()} states, ${m.limits.max_seconds} s ` +
    "(--max-states, --max-seconds)";
}

function renderCounterexamples() {
  const list = page.model.counterexamples;
  clear($("traces"), list.length ? list.map((cx, i) =>
    h("div", { class: "trace" },
      h("button", { class: "load-trace", dataset: { index: i, property: cx.property },
        onclick: () => show(cx.init, cx.labels, 0) }, `Step through ${cx.property}`),
      h("span", { class: "muted" }, ` ${cx.length} steps, from ${cx.source}`),
      cx.loop_start !== null && cx.loop_start !== undefined ? h("div", { class: "muted" },
        `a lasso: the loop starts at step ${cx.loop_start}`) : null))
    : h("p", { class: "muted" }, "None loaded. Load the output of `kafkacheck check --json`."));
}

async function loadFile(file) {
  try {
    const result = JSON.parse(await file.text());
    const data = await api("POST", "/api/load", { name: file.name, result });
    page.model.counterexamples.push(...data.counterexamples);
    renderCounterexamples();
    $("load-error").textContent = "";
  } catch (err) {
    $("load-error").textContent = err.message;
  }
}

async function search() {
  const property = $("search-property").value;
  $("search-result").textContent = `searching for ${property}…`;
  $("search-result").className = "";
  delete $("search-result").dataset.verdict;
  clear($("search-follow"));
  setBusy(1);
  try {
    const r = await api("POST", "/api/search", { init: page.init, path: page.path, at: page.at,
      property });
    // The verdict line, then `check`'s lines around it (r.warnings) in the warning colour.
    const [verdictLine, ...around] = r.text.split("\n");
    clear($("search-result"), verdictLine,
      around.map((line) => ["\n", h("span", { class: "search-warning" }, line)]));
    // The colour is the API's verdict, never found/complete: green only for holds (a
    // violation search that completed, or a sometimes-property reached), red for violated,
    // the warning colour for never reached, not covered, not checked and unknown.
    $("search-result").className = `verdict-${String(r.verdict).replace(/ /g, "-")}`;
    $("search-result").dataset.verdict = r.verdict;
    if (r.found && r.labels.length) {
      const start = page.at;
      const path = [...page.path.slice(0, start), ...r.labels];
      clear($("search-follow"),
        h("button", { id: "follow-step", onclick: () => show(page.init, path, start + 1) },
          "Step through it"),
        h("button", { id: "follow-end", onclick: () => show(page.init, path, path.length) },
          "Jump to its end"));
    }
  } catch (err) {
    $("search-result").textContent = err.message;
    $("search-result").className = "error";
    delete $("search-result").dataset.verdict;
  } finally {
    setBusy(-1);
  }
}

// -- start ---------------------------------------------------------------------------

async function start() {
  page.model = await api("GET", "/api/model");
  renderHeader(page.model);
  renderCounterexamples();
  $("first").onclick = () => goTo(0);
  $("back").onclick = () => goTo(page.at - 1);
  $("forward").onclick = () => goTo(page.at + 1);
  $("last").onclick = () => goTo(page.path.length);
  $("reset").onclick = () => show(0, [], 0);
  $("search-button").onclick = search;
  $("trace-file").onchange = (e) => e.target.files[0] && loadFile(e.target.files[0]);
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "INPUT" || e.target.tagName === "SELECT") return;
    if (e.key === "ArrowLeft") goTo(page.at - 1);
    if (e.key === "ArrowRight") goTo(page.at + 1);
  });
  const saved = loadHash();
  if (saved) await show(saved.init, saved.path, saved.at);
  else if (page.model.counterexamples.length) {
    const cx = page.model.counterexamples[0];
    await show(cx.init, cx.labels, 0);
  } else await show(0, [], 0);
  document.body.dataset.ready = "yes";
}

start().catch((err) => { $("error").textContent = err.message; });
