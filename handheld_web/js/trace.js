// Trace, for supervisors: the whole history of a SKU, lot, location, order, parcel
// (waybill) or user, newest first — every ledger movement with who, which device, the
// document and the reason, and the order's or parcel's events between them — a page at
// a time, as a CSV file, and "where did it go": a counted quantity against the ledger,
// with what moved since the last count, what sits in totes and on parcels, and the
// likeliest explanations first.
//
// Nothing here changes data: no outbox, every call is a read.

import "./strings/trace.js"; // first: its strings before any use
import * as api from "./api.js";
import * as feedback from "./feedback.js";
import * as outbox from "./outbox.js";
import { errorText, language, t } from "./i18n.js";
import { ScanInput } from "./scan-input.js";
import { dateTime, el, number, param, setParams, signed } from "./ui.js";
import { speaker, startPage } from "./shell.js";

const $ = (id) => document.getElementById(id);
const banner = $("banner");
const said = speaker(banner);
const { tell } = said;

const KINDS = ["lot", "sku", "location", "order", "parcel", "user"];
const EXPLAINABLE = new Set(["sku", "lot", "location"]);
const PAGE = 50;

let query = null; // {kind, value, customer} of the history on screen
let page = null; // the last page's answer (subject, next_cursor)
let entries = [];
const billed = new Map(); // movement id -> the closed statement lines it fed
let explanation = null;
let latest = 0;

// -- the history --------------------------------------------------------------------------

function what(entry) {
  if (entry.source === "movement") return t(`trace.kind.${entry.what}`);
  if (entry.source === "audit") return `${t("trace.audit")}: ${entry.what}`;
  return entry.what;
}

function where(entry) {
  if (!entry.from_location && !entry.to_location) return "";
  return `${entry.from_location || "—"} → ${entry.to_location || "—"}`;
}

function rowElement(entry) {
  const row = el("tr");
  row.dataset.source = entry.source;
  row.dataset.what = entry.what;
  row.dataset.id = `${entry.source}:${entry.id}`;
  const lot = entry.lot ? ` · ${entry.lot}` : "";
  const cells = [
    [dateTime(entry.at), "trace-at"],
    [what(entry) + (entry.source === "movement" && entry.sku ? ` · ${entry.sku}${lot}` : ""), "trace-what"],
    [entry.quantity === null ? "" : number(entry.quantity), "trace-qty"],
    [where(entry), "trace-where"],
    [entry.user, "trace-user"],
    [entry.device, "trace-device"],
    [entry.document, "trace-document"],
    [[entry.reason, entry.note].filter(Boolean).join(" · "), "trace-note"],
  ];
  for (const [text, className] of cells) row.append(el("td", className, text));
  row.append(billedCell(entry));
  return row;
}

/** The closed statement lines a movement fed, each a link to its line on the statement. */
function billedCell(entry) {
  const cell = el("td", "trace-billed");
  const lines = entry.source === "movement" ? billed.get(String(entry.id)) || [] : [];
  for (const line of lines) {
    const link = el("a", "trace-billed-line", `${line.period} ${line.customer} #${line.line_no}`);
    link.href = `statement.html?id=${line.statement}&line=${line.line_no}`;
    cell.append(link);
  }
  return cell;
}

/** Ask which statement lines the movements shown fed (a page at a time); a user who may
 * not see billing simply sees none. */
async function fetchBilled(shown) {
  const ids = shown
    .filter((e) => e.source === "movement" && !billed.has(String(e.id)))
    .map((e) => String(e.id));
  for (let at = 0; at < ids.length; at += 100) {
    const chunk = ids.slice(at, at + 100);
    try {
      const lines = await api.billingLinesCiting("movement", chunk);
      for (const id of chunk) billed.set(id, []);
      for (const line of lines) if (line.state === "closed") billed.get(line.ref)?.push(line);
    } catch {
      return;
    }
  }
  if (ids.length) renderHistory();
}

function renderHistory() {
  $("history").hidden = !query;
  if (!query) return;
  const subject = page?.subject ? ` — ${page.subject}` : "";
  $("subject").textContent = `${t(`trace.kind_label.${query.kind}`)} ${query.value}${subject}`;
  $("rows-body").replaceChildren(...entries.map(rowElement));
  $("rows-empty").hidden = entries.length > 0;
  $("rows-count").textContent = t(page?.next_cursor ? "trace.count.more" : "trace.count", {
    n: number(entries.length),
  });
  $("more").hidden = !page?.next_cursor;
}

async function trace(kind, value, customer) {
  const mine = ++latest;
  query = { kind, value, customer };
  setParams({ kind, value, customer });
  try {
    const answer = await api.trace({ kind, value, customer, limit: PAGE });
    if (mine !== latest) return;
    page = answer;
    entries = answer.entries;
    said.clear();
  } catch (err) {
    if (mine !== latest) return;
    query = null;
    page = null;
    entries = [];
    tell("bad", () => errorText(err));
  }
  renderHistory();
  prefillExplain();
  fetchBilled(entries);
}

async function loadMore() {
  if (!page?.next_cursor) return;
  const mine = latest;
  $("more").disabled = true;
  try {
    const answer = await api.trace({ ...query, before: page.next_cursor, limit: PAGE });
    if (mine !== latest) return;
    page = answer;
    entries = entries.concat(answer.entries);
    fetchBilled(answer.entries);
  } catch (err) {
    tell("bad", () => errorText(err));
  } finally {
    $("more").disabled = false;
  }
  renderHistory();
}

async function downloadCsv() {
  if (!query) return;
  try {
    const { blob, filename } = await api.traceCsv(query);
    const link = el("a");
    link.href = URL.createObjectURL(blob);
    link.download = filename;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  } catch (err) {
    tell("bad", () => errorText(err));
  }
}

// -- where did it go ----------------------------------------------------------------------

function prefillExplain() {
  const form = $("explain-form");
  form.hidden = !query || !EXPLAINABLE.has(query.kind);
  if (form.hidden) return;
  $("explain-sku").value = query.kind === "sku" ? query.value : $("explain-sku").value;
  $("explain-lot").value = query.kind === "lot" ? query.value : "";
  $("explain-location").value = query.kind === "location" ? query.value : "";
  if (query.kind === "lot" && !$("explain-sku").value) {
    const first = entries.find((e) => e.sku);
    if (first) $("explain-sku").value = first.sku;
  }
  explanation = null;
  renderExplanation();
}

function candidateText(c, difference) {
  if (language() === "en") return c.text;
  const text = t(`trace.candidate.${c.kind}`, {
    quantity: number(c.quantity),
    location: c.location,
    user: c.user || "—",
    order: c.order_no,
    at: c.at ? dateTime(c.at) : "",
  });
  return difference > 0 && c.kind !== "picked" ? t("trace.candidate.maybe_here", { text }) : text;
}

function renderExplanation() {
  const box = $("explain-result");
  box.hidden = !explanation;
  if (!explanation) return;
  const x = explanation;
  $("explain-ledger").textContent = number(x.ledger_quantity);
  $("explain-count").textContent = number(x.counted);
  $("explain-difference").textContent = signed(x.difference);
  $("explain-since").textContent = x.since ? dateTime(x.since) : t("trace.explain.never");
  $("explain-candidates").replaceChildren(
    ...x.candidates.map((c) => {
      const item = el("li", "", candidateText(c, x.difference));
      item.dataset.kind = c.kind;
      item.dataset.matches = String(c.matches);
      return item;
    }),
  );
  const none = $("explain-none");
  none.hidden = x.candidates.length > 0;
  none.textContent = t(x.difference === 0 ? "trace.explain.equal" : "trace.explain.unexplained");
}

async function explain(event) {
  event.preventDefault();
  const counted = $("explain-counted").value.trim();
  if (!/^[0-9]+$/.test(counted)) {
    tell("bad", () => t("trace.explain.counted_missing"));
    return;
  }
  const params = { sku: $("explain-sku").value.trim(), counted, customer: query?.customer || "" };
  const lot = $("explain-lot").value.trim();
  const locationCode = $("explain-location").value.trim();
  if (lot) params.lot = lot;
  if (locationCode) params.location = locationCode;
  try {
    explanation = await api.explainDifference(params);
    said.clear();
  } catch (err) {
    explanation = null;
    tell("bad", () => errorText(err));
  }
  renderExplanation();
}

// -- the page -----------------------------------------------------------------------------

function fillKinds() {
  const select = $("kind");
  const chosen = select.value || param("kind") || "lot";
  select.replaceChildren(
    ...KINDS.map((kind) => {
      const option = el("option", "", t(`trace.kind_label.${kind}`));
      option.value = kind;
      return option;
    }),
  );
  select.value = KINDS.includes(chosen) ? chosen : "lot";
}

function relabel() {
  fillKinds();
  renderHistory();
  renderExplanation();
  said.redo();
}

async function main() {
  fillKinds();
  startPage({ onLanguage: relabel });
  $("customer").value = param("customer") || "";
  const scanInput = new ScanInput($("scan-form"), {
    onScan: (text) => trace($("kind").value, text.trim(), $("customer").value.trim()),
  });
  $("more").addEventListener("click", loadMore);
  $("csv").addEventListener("click", downloadCsv);
  $("explain-form").addEventListener("submit", explain);
  scanInput.focus();
  try {
    const [, config] = await Promise.all([api.me(), api.clientConfig().catch(() => null)]);
    scanInput.configure(config?.scan);
  } catch (err) {
    tell("bad", () => errorText(err));
    return;
  }
  const value = param("value");
  if (value) trace($("kind").value, value, $("customer").value.trim());
}

main();
