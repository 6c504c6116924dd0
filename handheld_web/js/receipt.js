// The printable documents of a receipt on A4: the tally record (理货单, `doc=tally`) and
// the warehouse receipt (进仓单, `doc=receipt`). Both show the same facts; the receipt
// puts the received lots with their customs record numbers first, since that is what
// goes back to the customer and into the customs book.

import "./strings/receipt.js"; // first: its strings before any use
import * as api from "./api.js";
import * as feedback from "./feedback.js";
import { errorText, t, translatePage } from "./i18n.js";
import { dateTime, el, number, param, saveFile, setSiteTimeZone, signed } from "./ui.js";
import { startPage } from "./shell.js";

const $ = (id) => document.getElementById(id);

const DOCS = {
  tally: {
    title: "doc.tally",
    signatures: ["doc.sign.tally_clerk", "doc.sign.checker", "doc.sign.carrier"],
    lotsFirst: false,
  },
  receipt: {
    title: "doc.receipt",
    signatures: ["doc.sign.warehouse", "doc.sign.customer", "doc.sign.carrier"],
    lotsFirst: true,
  },
};

// Transport facts worth printing, per mode, in the order a clerk reads them.
const TRANSPORT_FACTS = {
  sea: [
    ["doc.contract_no", (x) => x.contract_no],
    ["doc.container_no", (x) => x.container_no],
    ["doc.vessel", (x) => [x.vessel, x.voyage].filter(Boolean).join(" / ")],
    ["doc.bill_of_lading", (x) => x.bill_of_lading],
    ["doc.ports", (x) => [x.port_of_loading, x.port_of_discharge].filter(Boolean).join(" → ")],
    ["doc.carrier", (x) => x.carrier],
  ],
  land: [
    ["doc.contract_no", (x) => x.contract_no],
    ["doc.truck_plate", (x) => x.truck_plate],
    ["doc.second_plate", (x) => x.second_plate],
    ["doc.container_no", (x) => x.container_no],
    ["doc.driver", (x) => x.driver],
    ["doc.carrier", (x) => x.carrier],
  ],
  air: [
    ["doc.contract_no", (x) => x.contract_no],
    ["doc.flight", (x) => x.flight],
    ["doc.air_waybill", (x) => x.air_waybill],
    ["doc.ports", (x) => [x.port_of_loading, x.port_of_discharge].filter(Boolean).join(" → ")],
    ["doc.forwarder", (x) => x.forwarder],
  ],
};

let loaded = null; // {receipt, customer, site}
const printedAt = new Date().toISOString();

function kind() {
  return DOCS[param("doc")] ? param("doc") : "tally";
}

function facts({ receipt, customer }) {
  const plan = receipt.plan;
  const transport = plan.transport || {};
  const rows = [
    ["customer", "doc.customer", `${plan.customer_name} (${plan.customer})`],
    ["book", "doc.book", customer?.customs_book_no || ""],
    ["plan_no", "doc.plan_no", plan.plan_no],
    ["transport", "doc.transport", t(`mode.${plan.transport_mode}`)],
    ...(TRANSPORT_FACTS[plan.transport_mode] || []).map(([label, value]) => [
      label.slice("doc.".length),
      label,
      value(transport) || "",
    ]),
    ["expected_arrival", "doc.expected_arrival", plan.expected_arrival],
    ["arrival_ref", "doc.arrival_ref", plan.arrival_ref],
    ["seal_no", "doc.seal_no", plan.seal_no],
    ["dock", "doc.dock", plan.dock || ""],
    ["arrived_at", "doc.arrived_at", dateTime(plan.arrived_at)],
    ["closed_at", "doc.closed_at", dateTime(plan.closed_at)],
  ];
  if (plan.arrival_override) rows.push(["override", "doc.override", plan.arrival_override]);
  // Empty transport facts are left out; the core facts show a dash so a blank is visible.
  const core = new Set([
    "customer",
    "book",
    "plan_no",
    "transport",
    "arrival_ref",
    "seal_no",
    "arrived_at",
    "closed_at",
  ]);
  return rows.filter(([key, , value]) => value || core.has(key));
}

function cells(row, values) {
  for (const [value, className] of values) row.append(el("td", className || null, value));
  return row;
}

function renderLines(lines) {
  const body = $("doc-lines").querySelector("tbody");
  body.replaceChildren(
    ...lines.map((line, index) => {
      const row = el("tr");
      row.dataset.sku = line.sku;
      row.dataset.lot = line.lot;
      return cells(row, [
        [String(index + 1)],
        [line.sku, "code"],
        [line.sku_name],
        [line.lot || "—"],
        [number(line.expected), "num"],
        [number(line.counted), "num"],
        [number(line.damaged), "num"],
        [signed(line.difference), "num"],
        [line.reason ? t(`recv.reason.${line.reason}`) : ""],
        [line.note],
      ]);
    }),
  );
  const sum = (key) => lines.reduce((total, line) => total + line[key], 0);
  const foot = $("doc-lines").querySelector("tfoot");
  foot.querySelector('[data-total="expected"]').textContent = number(sum("expected"));
  foot.querySelector('[data-total="counted"]').textContent = number(sum("counted"));
  foot.querySelector('[data-total="damaged"]').textContent = number(sum("damaged"));
  foot.querySelector('[data-total="difference"]').textContent = signed(sum("difference"));
}

function renderLots(lots) {
  const body = $("doc-lots").querySelector("tbody");
  body.replaceChildren(
    ...lots.map((lot, index) => {
      const row = el("tr");
      row.dataset.sku = lot.sku;
      row.dataset.lot = lot.lot;
      row.dataset.location = lot.location;
      row.dataset.condition = lot.condition;
      return cells(row, [
        [String(index + 1)],
        [lot.sku, "code"],
        [lot.sku_name],
        [lot.customs_record_no || "—", "code"],
        [lot.lot || "—"],
        [lot.expiry || "—"],
        [t(`doc.condition.${lot.condition}`)],
        [lot.location, "code"],
        [number(lot.quantity), "num"],
      ]);
    }),
  );
  const total = lots.reduce((sum, lot) => sum + lot.quantity, 0);
  $("doc-lots").querySelector('[data-total="quantity"]').textContent = number(total);
}

function render() {
  translatePage();
  const doc = DOCS[kind()];
  const title = t(doc.title);
  $("doc-title-bar").textContent = title;
  if (!loaded) return;
  const { receipt, site } = loaded;
  const plan = receipt.plan;
  document.title = `${title} ${plan.plan_no}`;
  $("doc").hidden = false;
  $("doc").dataset.doc = kind();
  $("doc-site").textContent = site;
  $("doc-title").textContent = title;
  $("doc-draft").hidden = plan.status === "closed";
  // The server makes the receipt only for a closed plan; the tally record is a draft before.
  $("download-pdf").hidden = kind() === "receipt" && plan.status !== "closed";

  $("doc-facts").replaceChildren(
    ...facts(loaded).flatMap(([key, label, value]) => {
      const term = el("dt", null, t(label));
      const detail = el("dd", null, value || "—");
      detail.dataset.fact = key;
      return [term, detail];
    }),
  );
  renderLines(receipt.tally);
  renderLots(receipt.received_lots);
  // The receipt leads with what was received; the tally record with the count.
  const lines = $("doc-lines-section");
  const lots = $("doc-lots-section");
  if (doc.lotsFirst) lines.before(lots);
  else lots.before(lines);

  $("doc-received-by").textContent = `${t("doc.received_by")}: ${receipt.received_by.join(", ") || "—"}`;
  $("doc-signatures").replaceChildren(
    ...doc.signatures.map((label) => {
      const box = el("div", "signature");
      box.append(
        el("span", "signature-label", t(label)),
        el("span", "signature-line"),
        el("span", "signature-date", t("doc.sign.date")),
      );
      return box;
    }),
  );
  $("doc-printed").textContent = `${t("doc.printed_at")}: ${dateTime(printedAt)}`;
}

// The same document as a PDF made by the server, to mail or file (the A4 page stays).
async function downloadPdf(banner) {
  const button = $("download-pdf");
  button.disabled = true;
  try {
    const { blob, filename } = await api.planPdf(param("plan"), kind());
    saveFile(blob, filename);
  } catch (err) {
    feedback.show("bad", banner, errorText(err));
  } finally {
    button.disabled = false;
  }
}

async function main() {
  startPage({ onLanguage: render, uploads: false, badge: false });
  $("print").addEventListener("click", () => window.print());
  const banner = $("banner");
  $("download-pdf").addEventListener("click", () => downloadPdf(banner));
  const planId = param("plan");
  if (planId) $("back").href = `receiving.html?plan=${encodeURIComponent(planId)}`;
  render();
  if (!planId) {
    feedback.show("bad", banner, t("doc.no_plan"));
    return;
  }
  try {
    await api.me();
    const [receipt, config] = await Promise.all([
      api.getReceipt(planId),
      api.clientConfig().catch(() => null),
    ]);
    // Print time and the plan's times on the site's clock, not the device's or UTC.
    if (config?.site?.timezone) setSiteTimeZone(config.site.timezone);
    const customer = await api.getCustomer(receipt.plan.customer).catch(() => null);
    loaded = { receipt, customer, site: config?.site?.name || "" };
    render();
    document.body.dataset.ready = "true";
  } catch (err) {
    feedback.show("bad", banner, errorText(err));
  }
}

main();
