// A customer's stored statement of a month as an A4 page (printed like the receipt
// documents): its lines, subtotals by category, the minimum top-up, credits and the total,
// in yuan with two decimals from the server's integer fen; and its CSV and PDF.

import "./strings/statement.js"; // first: its strings before any use
import * as api from "./api.js";
import { chargeNames } from "./charge-names.js";
import * as feedback from "./feedback.js";
import { errorText, t, translatePage } from "./i18n.js";
import { yuan } from "./money.js";
import { startPage } from "./shell.js";
import { dateTime, el, number, param, setSiteTimeZone } from "./ui.js";

const $ = (id) => document.getElementById(id);
const banner = $("banner");
const printedAt = new Date().toISOString();

let loaded = null; // {statement, scales: {charge_code: scale}, names: chargeNames(…), site}
let sources = null; // the facts of the line chosen with ?line=N

/** A line's quantity in its charge's unit: m³-days are stored in mm³-days (scale 10⁹). */
function quantity(line, scale) {
  if (scale === 1) return number(line.quantity);
  const decimals = 3;
  const value = line.quantity / scale;
  return value.toFixed(decimals);
}

function row(values) {
  const tr = el("tr");
  for (const [value, className] of values) tr.append(el("td", className || null, value));
  return tr;
}

function render() {
  translatePage();
  if (!loaded) return;
  const { statement: st, scales, names, site } = loaded;
  document.title = `${t("stmt.doc_title")} ${st.customer} ${st.period}`;
  $("doc").hidden = false;
  $("doc").dataset.statement = String(st.id);
  $("doc-site").textContent = site;
  $("doc-superseded").hidden = st.state !== "superseded";
  const facts = [
    ["customer", "stmt.customer", st.customer],
    ["period", "stmt.period", st.period],
    ["version", "stmt.version", `v${st.version}`],
    ["state", "stmt.state", t(`bill.state.${st.state}`)],
  ];
  $("doc-facts").replaceChildren(
    ...facts.flatMap(([key, label, value]) => {
      const detail = el("dd", null, value);
      detail.dataset.fact = key;
      return [el("dt", null, t(label)), detail];
    }),
  );
  $("doc-lines")
    .querySelector("tbody")
    .replaceChildren(
      ...st.lines.map((line) => {
        // The classes place each cell in a line's block on a phone (billing.css).
        const tr = row([
          ["", "stmt-no"],
          [line.day, "code stmt-day"],
          [
            line.note ? `${names.charge(line.charge_code)}: ${line.note}` : names.charge(line.charge_code),
            "stmt-charge",
          ],
          [quantity(line, scales[line.charge_code] || 1), "num stmt-quantity"],
          [names.unit(line.unit), "stmt-unit"],
          [yuan(line.rate_fen), "num stmt-rate"],
          [yuan(line.amount_fen), "num stmt-amount"],
        ]);
        // Explicit roles, as on the header row: a block-laid row is still a table's row.
        tr.setAttribute("role", "row");
        for (const cell of tr.children) cell.setAttribute("role", "cell");
        // The line's number opens its facts below the table (and each one's trace).
        const link = el("a", "stmt-line-link", String(line.line_no));
        link.href = `statement.html?id=${st.id}&line=${line.line_no}`;
        link.setAttribute("aria-label", t("stmt.line.facts", { n: line.line_no }));
        tr.firstElementChild.append(link);
        tr.dataset.line = String(line.line_no);
        tr.classList.toggle("stmt-line-chosen", String(line.line_no) === param("line"));
        tr.dataset.amount = String(line.amount_fen);
        return tr;
      }),
    );
  $("doc-subtotals")
    .querySelector("tbody")
    .replaceChildren(
      ...st.subtotals.map((sub) => {
        const tr = row([[names.category(sub.category)], [yuan(sub.amount_fen), "num"]]);
        tr.dataset.category = sub.category;
        return tr;
      }),
    );
  const foot = $("doc-subtotals").querySelector("tfoot");
  foot.querySelector('[data-total="charges"]').textContent = yuan(st.charges_fen);
  foot.querySelector('[data-total="minimum"]').textContent = yuan(st.minimum_fen);
  foot.querySelector('[data-total="credits"]').textContent = yuan(-st.credits_fen);
  foot.querySelector('[data-total="total"]').textContent = yuan(st.total_fen);
  $("doc-printed").textContent = `${t("stmt.printed_at")}: ${dateTime(printedAt)}`;
  renderSources();
}

/** Where the trace page shows a fact. */
function traceHref(trace) {
  const query = new URLSearchParams({ kind: trace.kind, value: trace.value });
  if (trace.customer) query.set("customer", trace.customer);
  return `trace.html?${query}`;
}

function renderSources() {
  const section = $("sources");
  section.hidden = !sources;
  if (!sources) return;
  $("sources-title").textContent = t("stmt.sources.title", { n: sources.line.line_no });
  $("sources-count").textContent = t("stmt.sources.count", {
    shown: number(sources.sources.length),
    total: number(sources.total),
  });
  $("sources-list").replaceChildren(
    ...sources.sources.map((source) => {
      const item = el("li");
      item.dataset.kind = source.kind;
      item.dataset.ref = source.ref;
      const label = `${t(`stmt.source.${source.kind}`)} ${source.ref}`;
      if (source.trace) {
        const link = el("a", "stmt-source-link", label);
        link.href = traceHref(source.trace);
        item.append(link);
      } else {
        item.append(el("span", null, label));
      }
      return item;
    }),
  );
}

/** The statement's CSV or its A4 PDF (`fetch`: one of api.js's downloads), saved by a link. */
async function download(fetch, id) {
  try {
    const { blob, filename } = await fetch(id);
    const link = el("a");
    link.href = URL.createObjectURL(blob);
    link.download = filename;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  } catch (err) {
    feedback.signal("bad", banner, errorText(err));
  }
}

async function main() {
  startPage({ onLanguage: render, uploads: false, badge: false });
  const id = param("id");
  $("print").addEventListener("click", () => window.print());
  $("pdf").addEventListener("click", () => download(api.billingStatementPdf, id));
  $("csv").addEventListener("click", () => download(api.billingStatementCsv, id));
  render();
  if (!id) {
    feedback.show("bad", banner, t("stmt.none"));
    return;
  }
  try {
    await api.me();
    // The names come with the statement, so its lines never show as bare codes first.
    const [statement, codes, config] = await Promise.all([
      api.billingStatement(id),
      api.chargeCodes(),
      api.clientConfig().catch(() => null),
    ]);
    if (config?.site?.timezone) setSiteTimeZone(config.site.timezone);
    const scales = Object.fromEntries(codes.map((c) => [c.code, c.scale]));
    loaded = { statement, scales, names: chargeNames(codes), site: config?.site?.name || "" };
    if (param("line")) sources = await api.billingLineSources(id, param("line"));
    render();
    // Opened for one line (from the trace): show that line, its facts just below.
    document.querySelector("tr.stmt-line-chosen")?.scrollIntoView({ block: "center" });
    document.body.dataset.ready = "true";
  } catch (err) {
    feedback.show("bad", banner, errorText(err));
  }
}

main();
