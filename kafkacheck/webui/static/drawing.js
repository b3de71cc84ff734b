// The state, drawn from the server's structured description (kafkacheck/webui/draw.py).

import { h } from "./dom.js";

export function drawState(drawing) {
  const parts = [];
  if (drawing.problem) parts.push(h("p", { class: "problem" }, drawing.problem));
  for (const section of drawing.sections) {
    const draw = SECTIONS[section.type] || drawFacts;
    parts.push(draw(section));
  }
  return parts;
}

const SECTIONS = { cards: drawCards, partition: drawPartition, facts: drawFacts };

function badge(state) {
  return h("span", { class: `badge state-${state.replace(/\W+/g, "-")}` }, state);
}

function drawCards(section) {
  return h("section", { class: "section cards", dataset: { title: section.title } },
    h("h3", {}, section.title),
    h("div", { class: "card-row" }, section.items.map((item) =>
      h("div", {
        class: ["card", ...item.states.map((s) => `is-${s.replace(/\W+/g, "-")}`)].join(" "),
        dataset: { name: item.name },
      },
        h("div", { class: "card-name" }, item.name),
        h("div", { class: "badges" }, item.states.map(badge)),
        h("div", { class: "card-lines" }, item.lines.map((l) => h("div", { class: "line" }, l)))))));
}

function chips(names, cls) {
  if (names === null || names === undefined) return null;
  return h("span", { class: `chips ${cls}` },
    names.length ? names.map((n) => h("span", { class: "chip" }, n)) : h("span", { class: "empty" }, "{}"));
}

function drawPartition(section) {
  const width = Math.max(1, ...section.replicas.map((r) => (r.log ? r.log.length : 0) + 1));
  const head = h("div", { class: "part-head" },
    section.leader !== null ? h("span", { class: "field" }, "leader ",
      h("b", { class: "leader-name" }, section.leader)) : null,
    section.epoch !== null ? h("span", { class: "field" }, "leader epoch ",
      h("b", { class: "epoch-value" }, section.epoch)) : null,
    section.isr ? h("span", { class: "field" }, "ISR ", chips(section.isr, "isr-members")) : null,
    section.elr ? h("span", { class: "field" }, "ELR ", chips(section.elr, "elr-members")) : null);
  const offsets = h("tr", {}, h("th", { class: "corner" }, "offset"),
    [...Array(width).keys()].map((o) => h("th", { class: "offset" }, o)), h("th", {}, ""));
  const rows = section.replicas.map((r) => drawReplica(r, width, section.isr));
  const facts = (section.facts || []).map(([name, value]) =>
    h("div", { class: "part-fact" }, h("span", { class: "name" }, name, ": "), value));
  return h("section", { class: "section partition", dataset: { title: section.title } },
    h("h3", {}, section.title), head,
    h("table", { class: "replicas" }, h("thead", {}, offsets), h("tbody", {}, rows)), facts);
}

function drawReplica(r, width, isr) {
  const classes = ["replica"];
  if (r.leader) classes.push("leader");
  if (r.status) classes.push(r.status);
  if (isr && !isr.includes(r.broker)) classes.push("out-of-isr");
  const name = h("th", { class: "replica-name" },
    h("span", { class: "broker" }, r.broker),
    r.leader ? h("span", { class: "crown", title: "leader" }, "★") : null,
    r.status === "crashed" ? h("span", { class: "down", title: "crashed" }, "✕") : null,
    isr && !isr.includes(r.broker) ? h("span", { class: "tag" }, "out of ISR") : null);
  const cells = [];
  if (r.log === null) {
    cells.push(h("td", { class: "raw-log", colspan: width }, r.log_text));
  } else {
    for (let o = 0; o < width; o++) {
      const cell = r.log[o];
      const marks = [];
      if (r.hw === o) marks.push("hw");
      if (r.flushed === o) marks.push("flushed");
      if (r.start !== undefined && r.start === o) marks.push("log-start");
      if (cell) {
        const cls = ["cell", cell.below_hw ? "below-hw" : "above-hw"];
        if (cell.diverges) cls.push("diverges");
        if (cell.deleted) cls.push("deleted");
        cells.push(h("td", { class: [...cls, ...marks].join(" "), dataset: { offset: o } },
          h("span", { class: "rec" }, cell.record),
          cell.epoch !== null ? h("span", { class: "ep" }, `e${cell.epoch}`) : null,
          cell.extra ? h("span", { class: "extra" }, cell.extra) : null));
      } else if (o === r.log.length) {
        cells.push(h("td", { class: ["slot", "leo", ...marks].join(" ") }, "LEO"));
      } else {
        cells.push(h("td", { class: ["slot", ...marks].join(" ") }));
      }
    }
  }
  const summary = [];
  if (r.hw !== null) summary.push(`HW ${r.hw}`);
  if (r.leo !== null) summary.push(`LEO ${r.leo}`);
  if (r.flushed !== null && r.flushed !== undefined) summary.push(`flushed ${r.flushed}`);
  if (r.start) summary.push(`log start ${r.start}`);
  const info = h("td", { class: "replica-info" },
    h("div", { class: "marks" }, summary.join(" · ")),
    r.notes.map((n) => h("div", { class: "note" }, n)));
  return h("tr", { class: classes.join(" "), dataset: { broker: r.broker } }, name, cells, info);
}

function drawFacts(section) {
  return h("section", { class: "section facts", dataset: { title: section.title } },
    h("h3", {}, section.title),
    section.note ? h("p", { class: "note" }, section.note) : null,
    h("table", { class: "facts-table" }, section.rows.map(([name, value]) =>
      h("tr", { dataset: { var: name } }, h("th", {}, name), h("td", {}, value)))));
}
