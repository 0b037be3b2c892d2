// The veille page: filters and a sortable records table over /api/records, a document view
// with highlights from /api/documents/{id}, and two hand-drawn SVG charts. No libraries.
"use strict";

const $ = (sel) => document.querySelector(sel);
const state = { rows: [], sortKey: null, sortDir: 1, numLang: "en", doc: null, selected: null };

// ---- numbers for French and English readers -------------------------------------------------

const SYMBOLS = { EUR: "€", USD: "$", GBP: "£", JPY: "¥", CNY: "¥", INR: "₹" };
// Scale words: French "k, M, Md" (1,2 Md€), English "k, m, bn" (€1.2bn).
const SCALES = {
  fr: [[1e12, "Bn"], [1e9, "Md"], [1e6, "M"], [1e3, "k"]],
  en: [[1e12, "tn"], [1e9, "bn"], [1e6, "m"], [1e3, "k"]],
};

function mantissa(x, lang) {
  const digits = Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2;
  return new Intl.NumberFormat(lang === "fr" ? "fr-FR" : "en-GB", { maximumFractionDigits: digits }).format(x);
}

function scaleOf(v, lang) {
  for (const [n, word] of SCALES[lang]) if (Math.abs(v) >= n) return [n, word];
  return [1, ""];
}

/** Short form of an amount or range: "1,2 Md€", "60–65 Md$" (fr); "€1.2bn", "$60–65bn" (en). */
function fmtAmount(min, max, currency, lang, approx) {
  if (max == null && min == null) return "";
  const hi = max ?? min, lo = min ?? max;
  const [n, word] = scaleOf(hi, lang);
  const body = lo !== hi ? `${mantissa(lo / n, lang)}–${mantissa(hi / n, lang)}` : mantissa(hi / n, lang);
  const sym = SYMBOLS[currency];
  const cur = currency || "";
  let s;
  if (lang === "fr") {
    const unit = sym ? `${word}${sym}` : [word, cur].filter(Boolean).join(" ");
    s = unit ? `${body}\u00a0${unit}` : body;
  } else if (sym) {
    s = `${sym}${body}${word}`;
  } else {
    s = [cur, `${body}${word}`].filter(Boolean).join(" ");
  }
  return (approx ? "≈" : "") + s;
}

/** Every digit, for the hover title: "60 000 000 000 – 65 000 000 000 USD". */
function exactAmount(min, max, currency, lang) {
  const f = new Intl.NumberFormat(lang === "fr" ? "fr-FR" : "en-GB", { maximumFractionDigits: 6 });
  const hi = max ?? min, lo = min ?? max;
  if (hi == null) return "";
  const body = lo !== hi ? `${f.format(lo)} – ${f.format(hi)}` : f.format(hi);
  return `${body} ${currency || ""}`.trim();
}

// ---- helpers --------------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

async function getJSON(url) {
  const r = await fetch(url);
  const body = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
  if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
  return body;
}

function showError(msg) {
  const e = $("#error");
  e.textContent = msg || "";
  e.hidden = !msg;
}

function periodLabel(r) {
  const p = r.period;
  if (!p) return "";
  return p.text || (p.start === p.end ? p.start : `${p.start} – ${p.end}`);
}

function sourceName(r) {
  if (r.sources && r.sources.length > 1) return `${r.sources.length} sources`;
  return r.path;
}

// ---- records --------------------------------------------------------------------------------

function filterParams() {
  const fd = new FormData($("#filters"));
  const p = new URLSearchParams();
  for (const [k, v] of fd.entries()) if (String(v).trim() !== "") p.set(k, String(v).trim());
  return p;
}

async function loadRecords() {
  const params = filterParams();
  history.replaceState(null, "", `?${params}`);
  $("#status").textContent = "loading…";
  try {
    const data = await getJSON(`/api/records?${params}`);
    showError("");
    state.rows = data.records;
    state.sortKey = null;
    document.querySelectorAll("th[data-key]").forEach((th) => th.classList.remove("asc", "desc"));
    renderTable();
    renderCharts();
    $("#status").textContent = "";
  } catch (e) {
    showError(e.message);
    $("#status").textContent = "";
  }
}

function sortValue(r, key) {
  switch (key) {
    case "amount": return (r.converted ? r.converted.max : r.amount.max) ?? -Infinity;
    case "period": return r.period ? r.period.start : (r.published || "");
    case "source": return sourceName(r) || "";
    default: return (r[key] || "").toString().toLowerCase();
  }
}

function sortedRows() {
  if (!state.sortKey) return state.rows;
  const k = state.sortKey, d = state.sortDir;
  return [...state.rows].sort((a, b) => {
    const x = sortValue(a, k), y = sortValue(b, k);
    return x < y ? -d : x > y ? d : 0;
  });
}

function amountCell(r) {
  const a = r.amount, lang = state.numLang;
  const td = el("td", { class: "num" });
  td.append(el("span", { class: "amount", title: exactAmount(a.min, a.max, a.currency, lang), text: fmtAmount(a.min, a.max, a.currency, lang, a.approx) }));
  if (r.converted && r.converted.currency !== a.currency) {
    const c = r.converted;
    td.append(el("br"), el("span", { class: "muted converted", title: exactAmount(c.min, c.max, c.currency, lang), text: fmtAmount(c.min, c.max, c.currency, lang, a.approx) }));
  }
  return td;
}

function renderTable() {
  const tbody = $("#records tbody");
  tbody.replaceChildren();
  for (const r of sortedRows()) {
    const tr = el("tr", { "data-doc": r.doc_id, "data-start": r.start, "data-action": r.action },
      el("td", { class: "actor", text: r.actor }),
      el("td", { class: "action" }, el("span", { class: `tag ${r.action}`, text: r.action })),
      amountCell(r),
      el("td", { class: "period", text: periodLabel(r) }),
      el("td", { class: `tone tone-${r.sentiment}`, text: r.sentiment }),
      el("td", { class: "source", title: (r.sources || [r.path]).join("\n"), text: sourceName(r) }),
      el("td", { class: "evidence-cell", text: r.evidence }));
    tr.addEventListener("click", () => {
      document.querySelectorAll("#records tr.selected").forEach((x) => x.classList.remove("selected"));
      tr.classList.add("selected");
      openDocument(r.doc_id, r.start);
    });
    tbody.append(tr);
  }
  const n = state.rows.length;
  $("#count").textContent = `${n} record${n === 1 ? "" : "s"}`;
}

function onSort(th) {
  const key = th.dataset.key;
  state.sortDir = state.sortKey === key ? -state.sortDir : (key === "amount" ? -1 : 1);
  state.sortKey = key;
  document.querySelectorAll("th[data-key]").forEach((x) => x.classList.remove("asc", "desc"));
  th.classList.add(state.sortDir > 0 ? "asc" : "desc");
  renderTable();
}

// ---- charts (hand-written SVG) ----------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";
function svgEl(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text != null) e.textContent = text;
  return e;
}

/** The rows' amounts in one currency: the `in` currency when converted, else the commonest. */
function chartAmounts() {
  const conv = state.rows.filter((r) => r.converted);
  if (conv.length) return { currency: conv[0].converted.currency, items: conv.map((r) => [r, r.converted.max]) };
  const count = {};
  for (const r of state.rows) if (r.amount.currency && r.amount.max != null) count[r.amount.currency] = (count[r.amount.currency] || 0) + 1;
  const cur = Object.keys(count).sort((a, b) => count[b] - count[a])[0];
  return { currency: cur, items: state.rows.filter((r) => r.amount.currency === cur && r.amount.max != null).map((r) => [r, r.amount.max]) };
}

function barChart(target, data, currency, horizontal) {
  const box = $(target);
  box.replaceChildren();
  if (!data.length) { box.append(el("p", { class: "muted", text: "no amounts" })); return; }
  const lang = state.numLang, max = Math.max(...data.map((d) => d[1]));
  const svg = horizontal ? hbars(data, max, currency, lang) : vbars(data, max, currency, lang);
  box.append(svg);
}

function hbars(data, max, currency, lang) {
  const row = 20, labelW = 130, W = 460, barW = W - labelW - 80, H = data.length * row + 6;
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", role: "img" });
  data.forEach(([label, v], i) => {
    const y = 3 + i * row, w = Math.max(1, (v / max) * barW);
    const name = label.length > 20 ? label.slice(0, 19) + "…" : label;
    svg.append(svgEl("text", { x: labelW - 6, y: y + 13, "text-anchor": "end" }, name));
    const bar = svgEl("rect", { class: "bar", x: labelW, y: y + 2, width: w, height: row - 6, rx: 2 });
    bar.append(svgEl("title", {}, `${label}: ${exactAmount(v, v, currency, lang)}`));
    svg.append(bar);
    const t = svgEl("text", { x: labelW + w + 4, y: y + 13 }, fmtAmount(v, v, currency, lang));
    t.append(svgEl("title", {}, exactAmount(v, v, currency, lang)));
    svg.append(t);
  });
  return svg;
}

function vbars(data, max, currency, lang) {
  const W = 460, H = 190, base = 160, top = 18, slot = Math.min(60, (W - 20) / data.length), bw = slot * 0.7;
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", role: "img" });
  svg.append(svgEl("line", { class: "axis", x1: 10, x2: W - 10, y1: base, y2: base }));
  data.forEach(([label, v], i) => {
    const h = Math.max(1, (v / max) * (base - top)), x = 14 + i * slot;
    const bar = svgEl("rect", { class: "bar", x, y: base - h, width: bw, height: h, rx: 2 });
    bar.append(svgEl("title", {}, `${label}: ${exactAmount(v, v, currency, lang)}`));
    svg.append(bar);
    svg.append(svgEl("text", { x: x + bw / 2, y: base + 14, "text-anchor": "middle" }, label));
    const t = svgEl("text", { x: x + bw / 2, y: base - h - 4, "text-anchor": "middle" }, fmtAmount(v, v, currency, lang));
    t.append(svgEl("title", {}, exactAmount(v, v, currency, lang)));
    svg.append(t);
  });
  return svg;
}

function renderCharts() {
  const { currency, items } = chartAmounts();
  const byActor = {}, byPeriod = {};
  for (const [r, v] of items) {
    byActor[r.actor] = (byActor[r.actor] || 0) + v;
    const when = (r.period && r.period.start) || r.published;
    if (when) {
      const year = when.slice(0, 4);
      byPeriod[year] = (byPeriod[year] || 0) + v;
    }
  }
  const actors = Object.entries(byActor).sort((a, b) => b[1] - a[1]).slice(0, 10);
  const periods = Object.entries(byPeriod).sort((a, b) => (a[0] < b[0] ? -1 : 1)).slice(-12);
  $("#by-actor-title").textContent = `Amounts by actor${currency ? ` (${currency})` : ""}, top ${actors.length}`;
  $("#by-period-title").textContent = `Amounts by year${currency ? ` (${currency})` : ""}`;
  barChart("#by-actor", actors, currency, true);
  barChart("#by-period", periods, currency, false);
}

// ---- document view ----------------------------------------------------------------------------

/** The text as segments between every span boundary, each with the classes of the spans over it.
 *  Offsets are Unicode scalar values (the contract's), so the text is split by code point. */
function highlighted(text, doc, currentStart) {
  const chars = Array.from(text);
  const spans = [];
  for (const e of doc.entities) spans.push({ s: e.start, e: e.end, kind: "ent", title: `${e.label}${e.score ? ` ${e.score.toFixed(2)}` : ""}` });
  for (const f of doc.figures) {
    const exact = f.kind === "money" ? exactAmount(f.min, f.max, f.unit, state.numLang)
      : f.kind === "period" && f.period ? `${f.period.start} – ${f.period.end}`
      : [f.min === f.max ? f.min : `${f.min} – ${f.max}`, f.unit].filter((x) => x != null && x !== "").join(" ");
    spans.push({ s: f.start, e: f.end, kind: "fig", title: `${f.kind}${f.role ? ` (${f.role})` : ""}: ${exact}${f.approx ? " (approx.)" : ""}`, figKind: f.kind });
  }
  doc.records.forEach((r, i) => spans.push({ s: r.start, e: r.end, kind: "evidence", record: i, current: r.start === currentStart }));
  const cuts = new Set([0, chars.length]);
  for (const sp of spans) { cuts.add(Math.max(0, Math.min(sp.s, chars.length))); cuts.add(Math.max(0, Math.min(sp.e, chars.length))); }
  const points = [...cuts].sort((a, b) => a - b);
  const frag = document.createDocumentFragment();
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i], b = points[i + 1];
    const over = spans.filter((sp) => sp.s <= a && b <= sp.e);
    const piece = chars.slice(a, b).join("");
    if (!over.length) { frag.append(piece); continue; }
    const cls = new Set(), titles = [];
    let recordIdx = null;
    for (const sp of over) {
      cls.add(sp.kind);
      if (sp.figKind) cls.add(`fig-${sp.figKind}`);
      if (sp.current) cls.add("current");
      if (sp.kind === "evidence") recordIdx = sp.record; else titles.push(sp.title);
    }
    const inline = cls.has("ent") || cls.has("fig");
    const node = el(inline ? "mark" : "span", { class: [...cls].join(" "), title: titles.join("\n") || null, "data-record": recordIdx }, piece);
    frag.append(node);
  }
  return frag;
}

async function openDocument(id, recordStart) {
  try {
    const doc = await getJSON(`/api/documents/${encodeURIComponent(id)}?text=true`);
    showError("");
    state.doc = doc;
    state.selected = recordStart;
    renderDocument();
  } catch (e) {
    showError(e.message);
  }
}

function renderDocument() {
  const doc = state.doc;
  if (!doc) return;
  const lang = state.numLang;
  $("#doc").hidden = false;
  $("#doc-title").textContent = doc.title || doc.path;
  const meta = [doc.path, doc.lang, doc.published, doc.sentiment ? `tone ${doc.sentiment.label}` : null,
    `${doc.entities.length} entities, ${doc.figures.length} figures, ${doc.records.length} records`];
  $("#doc-meta").textContent = meta.filter(Boolean).join(" · ");
  const list = $("#doc-records");
  list.replaceChildren();
  doc.records.forEach((r, i) => {
    const a = r.amount;
    const li = el("li", { "data-record": i },
      `${r.actor} · ${r.action} · `,
      el("span", { title: exactAmount(a.min, a.max, a.currency, lang), text: fmtAmount(a.min, a.max, a.currency, lang, a.approx) }),
      periodLabel(r) ? ` · ${periodLabel(r)}` : "");
    li.addEventListener("click", () => { state.selected = r.start; renderDocument(); });
    list.append(li);
  });
  const box = $("#doc-text");
  box.replaceChildren(highlighted(doc.text || "", doc, state.selected));
  const cur = box.querySelector(".evidence.current");
  if (cur) cur.scrollIntoView({ block: "center" });
}

// ---- start ------------------------------------------------------------------------------------

function init() {
  const saved = localStorage.getItem("veille.numLang");
  state.numLang = saved || ((navigator.language || "en").toLowerCase().startsWith("fr") ? "fr" : "en");
  $("#numlang").value = state.numLang;
  $("#numlang").addEventListener("change", (e) => {
    state.numLang = e.target.value;
    localStorage.setItem("veille.numLang", state.numLang);
    renderTable(); renderCharts(); renderDocument();
  });
  // Filters from the address bar, so that a filtered view can be shared.
  const form = $("#filters");
  for (const [k, v] of new URLSearchParams(location.search)) {
    const input = form.elements[k];
    if (!input) continue;
    if (input.type === "checkbox") input.checked = v === "true"; else input.value = v;
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); loadRecords(); });
  document.querySelectorAll("th[data-key]").forEach((th) => th.addEventListener("click", () => onSort(th)));
  $("#close-doc").addEventListener("click", () => { $("#doc").hidden = true; state.doc = null; });
  loadRecords();
}

init();
