// The handover record (交接单) of a departed truck on A4: who took which parcels out of
// the bonded zone — the truck, its driver and seal, every parcel loaded (and only those),
// the totals, and signatures of the warehouse, the driver and the carrier.
// `handover.html?list=<loading list id>`; the print button (or Ctrl+P) prints it.

import "./strings/handover.js"; // first: its strings before any use
import * as api from "./api.js";
import * as feedback from "./feedback.js";
import { errorText, t, translatePage } from "./i18n.js";
import { dateTime, el, number, param, saveFile, setSiteTimeZone } from "./ui.js";
import { startPage } from "./shell.js";

const $ = (id) => document.getElementById(id);
const SIGNATURES = ["doc.sign.warehouse", "doc.sign.driver", "doc.sign.carrier_only"];

let record = null;
const printedAt = new Date().toISOString();

function kg(grams) {
  return (grams / 1000).toFixed(2);
}

function facts(r) {
  return [
    ["handover_no", "doc.handover_no", r.handover_no],
    ["list_no", "doc.list_no", r.list_no],
    ["plate", "doc.truck_plate", r.plate],
    ["second_plate", "doc.second_plate", r.second_plate],
    ["driver_name", "doc.driver", r.driver_name],
    ["driver_id", "doc.driver_id", r.driver_id],
    ["driver_phone", "doc.driver_phone", r.driver_phone],
    ["seal_no", "doc.seal_no", r.seal_no],
    ["carrier", "doc.carrier", r.carrier],
    ["door", "doc.door", r.door],
    ["departed_at", "doc.departed_at", dateTime(r.departed_at)],
    ["departed_by", "doc.departed_by", r.departed_by],
  ];
}

function render() {
  translatePage();
  if (!record) return;
  const r = record;
  document.title = `${t("doc.handover")} ${r.handover_no}`;
  $("doc").hidden = false;
  $("download-pdf").hidden = false;
  $("doc").dataset.handoverNo = r.handover_no;
  $("doc-site").textContent = r.site.name;
  $("doc-facts").replaceChildren(
    ...facts(r).flatMap(([key, label, value]) => {
      const detail = el("dd", null, value || "—");
      detail.dataset.fact = key;
      return [el("dt", null, t(label)), detail];
    }),
  );
  $("doc-parcels").querySelector("tbody").replaceChildren(
    ...r.parcels.map((p, index) => {
      const row = el("tr", "doc-parcel");
      row.dataset.waybill = p.waybill_no;
      for (const [value, className] of [
        [String(index + 1)],
        [p.waybill_no, "code"],
        [p.order_no, "code"],
        [p.courier],
        [kg(p.weight_g), "num"],
        [number(p.parcel_count), "num"],
        [dateTime(p.loaded_at)],
        [p.loaded_by],
      ]) {
        row.append(el("td", className || null, value));
      }
      return row;
    }),
  );
  const foot = $("doc-parcels").querySelector("tfoot");
  foot.querySelector('[data-total="weight"]').textContent = kg(r.loaded_weight_g);
  foot.querySelector('[data-total="parcel_count"]').textContent = number(r.parcel_count);
  foot.querySelector('[data-total="expected"]').textContent = t("doc.weight.expected", {
    weight: kg(r.expected_weight_g),
  });
  $("doc-signatures").replaceChildren(
    ...SIGNATURES.map((label) => {
      const box = el("div", "signature");
      box.dataset.sign = label.split(".").pop();
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

// The same record as a PDF made by the server, for the carrier's or the customs file.
async function downloadPdf(banner) {
  const button = $("download-pdf");
  button.disabled = true;
  try {
    const { blob, filename } = await api.handoverPdf(param("list"));
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
  const listId = param("list");
  if (listId) $("back").href = `dock.html?list=${encodeURIComponent(listId)}`;
  if (!listId) {
    feedback.show("bad", banner, t("doc.no_list"));
    return;
  }
  try {
    await api.me();
    const [handover, config] = await Promise.all([
      api.getHandover(listId),
      api.clientConfig().catch(() => null),
    ]);
    // Print time and departure on the site's clock, not the device's or UTC.
    if (config?.site?.timezone) setSiteTimeZone(config.site.timezone);
    record = handover;
    render();
    document.body.dataset.ready = "true";
  } catch (err) {
    feedback.show("bad", banner, errorText(err));
  }
}

main();
