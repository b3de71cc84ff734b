// The path as a sequence diagram, drawn in SVG from Model.message() of each step.

const SVG = "http://www.w3.org/2000/svg";
const COL = 100, ROW = 30, TOP = 44, LEFT = 44;

function s(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

// messages: [{step, source, target, text}]; position: the step shown; onPick(step).
export function sequenceDiagram(participants, messages, position, onPick) {
  const actors = [...participants];
  for (const m of messages) {
    for (const who of [m.source, m.target]) if (!actors.includes(who)) actors.push(who);
  }
  const x = (who) => LEFT + COL / 2 + actors.indexOf(who) * COL;
  // Wide enough for the lifelines and for each label (about 7 px a character at 12 px).
  const labelEnd = (m) => Math.min(x(m.source), x(m.target)) + (m.source === m.target ? 28 : 8)
    + 7 * m.text.length;
  const width = Math.max(LEFT + actors.length * COL, ...messages.map(labelEnd)) + 12;
  const height = TOP + Math.max(1, messages.length) * ROW + 16;
  const svg = s("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "sequence",
    role: "img", "aria-label": "sequence diagram of the path" });
  svg.append(s("defs", {}));
  svg.firstChild.append(arrowHead("arrow", "#334"), arrowHead("arrow-dim", "#99a"));
  actors.forEach((who) => {
    svg.append(s("line", { x1: x(who), y1: TOP - 8, x2: x(who), y2: height - 6, class: "lifeline" }));
    svg.append(s("rect", { x: x(who) - COL / 2 + 8, y: 6, width: COL - 16, height: 24, rx: 5,
      class: "actor" }));
    svg.append(s("text", { x: x(who), y: 22, class: "actor-name", "text-anchor": "middle" }, who));
  });
  messages.forEach((m, i) => {
    const y = TOP + i * ROW + ROW / 2 + 4;
    const future = m.step > position;
    const g = s("g", { class: `message${future ? " future" : ""}${m.step === position ? " current" : ""}`,
      "data-step": m.step });
    g.append(s("rect", { x: 0, y: y - ROW / 2 - 2, width, height: ROW, class: "hit" }));
    g.append(s("text", { x: 8, y: y + 4, class: "step-no" }, `${m.step}.`));
    const x1 = x(m.source), x2 = x(m.target);
    const marker = `url(#${future ? "arrow-dim" : "arrow"})`;
    if (x1 === x2) {
      g.append(s("path", { d: `M ${x1} ${y - 6} h 22 v 12 h -20`, class: "arrow self",
        "marker-end": marker }));
      g.append(s("text", { x: x1 + 28, y: y + 4, class: "label" }, m.text));
    } else {
      g.append(s("line", { x1, y1: y + 6, x2: x2 + (x2 > x1 ? -3 : 3), y2: y + 6, class: "arrow",
        "marker-end": marker }));
      g.append(s("text", { x: Math.min(x1, x2) + 8, y: y, class: "label" }, m.text));
    }
    g.addEventListener("click", () => onPick(m.step));
    svg.append(g);
  });
  return svg;
}

function arrowHead(id, color) {
  const marker = s("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7,
    markerHeight: 7, orient: "auto-start-reverse" });
  marker.append(s("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: color }));
  return marker;
}
