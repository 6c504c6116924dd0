// Stock lookup: scan a location or an item, see what is where, grouped by customer.

import "./strings/stock.js"; // first: its strings before any use
import * as api from "./api.js";
import * as feedback from "./feedback.js";
import * as outbox from "./outbox.js";
import { errorText, language, t } from "./i18n.js";
import { ScanInput } from "./scan-input.js";
import { speaker, startPage } from "./shell.js";

const banner = document.getElementById("banner");
const said = speaker(banner);
const result = document.getElementById("result");
const groups = document.getElementById("groups");

let answer = null; // the last lookup answer shown
let latestScan = 0;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function quantity(n) {
  return new Intl.NumberFormat(language() === "zh" ? "zh-CN" : "en").format(n);
}

/** Rows in server order, grouped by customer (a location holds one customer's goods). */
function byCustomer(rows) {
  const found = new Map();
  for (const row of rows) {
    if (!found.has(row.customer)) {
      found.set(row.customer, { code: row.customer, name: row.customer_name, rows: [], total: 0 });
    }
    const group = found.get(row.customer);
    group.rows.push(row);
    group.total += row.quantity;
  }
  return [...found.values()];
}

function labelled(labelKey, value, className) {
  const part = el("span", className);
  part.append(el("span", "label", t(labelKey)), " ", el("span", "value", value || "—"));
  return part;
}

function rowElement(row) {
  const item = el("li", "stock-row");
  item.dataset.location = row.location;
  item.dataset.sku = row.sku;
  item.dataset.quantity = String(row.quantity);
  const main = el("div", "row-main");
  main.append(
    el("span", "row-location", row.location),
    el("span", "row-qty", quantity(row.quantity)),
  );
  const sku = el("div", "row-sku");
  sku.append(el("span", "row-sku-code", row.sku), " ", el("span", "row-sku-name", row.sku_name));
  const lot = el("div", "row-lot");
  lot.append(
    labelled("stock.lot", row.lot, "row-lot-no"),
    labelled("stock.expiry", row.expiry, "row-expiry"),
  );
  item.append(main, sku, lot);
  return item;
}

function groupElement(group) {
  const section = el("section", "customer-group");
  section.dataset.customer = group.code;
  const head = el("h3", "customer-head");
  const who = el("span", "customer-who");
  who.append(el("span", "customer-name", group.name), " ", el("span", "customer-code", group.code));
  const subtotal = `${t("stock.subtotal")} ${quantity(group.total)}`;
  head.append(who, el("span", "customer-subtotal", subtotal));
  const list = el("ul", "stock-rows");
  list.append(...group.rows.map(rowElement));
  section.append(head, list);
  return section;
}

function renderResult() {
  result.hidden = !answer;
  if (!answer) {
    groups.replaceChildren();
    return;
  }
  result.dataset.kind = answer.kind;
  document.getElementById("result-title").textContent =
    `${t(`stock.kind.${answer.kind}`)} ${answer.title}`;
  document.getElementById("result-total").textContent = quantity(answer.total);
  const note = document.getElementById("result-note");
  note.hidden = !answer.truncated && answer.rows.length > 0;
  note.textContent = answer.rows.length
    ? t("stock.truncated", { count: answer.rows.length })
    : t("stock.empty");
  groups.replaceChildren(...byCustomer(answer.rows).map(groupElement));
}

function summary(found) {
  const params = {
    kind: t(`stock.kind.${found.kind}`),
    title: found.title,
    total: quantity(found.total),
  };
  return found.rows.length ? t("stock.found", params) : t("stock.found_empty", params);
}

function tell(kind, text, scanned, source) {
  banner.dataset.source = source;
  said.tell(kind, text, () => `${scanned} · ${t(`scan.source.${source}`)}`);
}

async function lookUp(code, { source }) {
  const mine = ++latestScan;
  feedback.show("pending", banner, t("stock.busy"), code);
  try {
    const found = await api.lookupStock(code);
    if (mine !== latestScan) return; // a newer scan is on its way; show that one
    answer = found;
    renderResult();
    tell("good", () => summary(found), code, source);
  } catch (err) {
    if (mine !== latestScan) return;
    answer = null;
    renderResult();
    tell("bad", () => errorText(err), code, source);
  }
}

function relabel() {
  renderResult();
  said.redo();
}

async function main() {
  startPage({ onLanguage: relabel });
  const scanInput = new ScanInput(document.getElementById("scan-form"), { onScan: lookUp });
  scanInput.focus();

  try {
    const [, config] = await Promise.all([api.me(), api.clientConfig().catch(() => null)]);
    scanInput.configure(config?.scan);
  } catch (err) {
    feedback.bad(banner, errorText(err)); // no server: scans will say so too
  }
}

main();
