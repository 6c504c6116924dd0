// Moves: take stock from one location to another by scan.
//
// Scan the from-location: the page lists what it holds. Then scan an item (EAN, GS1 or
// SKU code) or a carton's SSCC, tap a row, or tap "whole location"; give the quantity
// (all that is free of that lot by default) and scan the to-location, which confirms the
// move. The server checks everything again (segregation by customer, reserved stock,
// quarantine and inspection for supervisors only, a location frozen for a count); each
// refusal shows its text and plays the error sound. The move goes through the outbox
// with its own key: lost Wi-Fi neither loses nor doubles it.

import "./strings/move.js"; // first: its strings before any use
import * as api from "./api.js";
import * as feedback from "./feedback.js";
import * as outbox from "./outbox.js";
import { errorText, t } from "./i18n.js";
import { askAboutLargeQuantity } from "./large-quantity.js";
import { ScanInput, showScanPrompt } from "./scan-input.js";
import { el, elKeepingCodesWhole, keepScanFocus, number, param, setParams, setTextKeepingCodesWhole } from "./ui.js";
import { lotText, speaker, startPage } from "./shell.js";
import { openWork } from "./open-work.js";

const $ = (id) => document.getElementById(id);
const banner = $("banner");
const said = speaker(banner);
const { note, tell } = said;
const scanField = $("scan");
const qtyField = $("qty");
const TRAIL_LENGTH = 5;
// Refusals that mean the stock is no longer what the page shows: read the location again.
const STALE = new Set(["ITEM_NOT_ON_LOCATION", "INSUFFICIENT_STOCK", "LOT_AMBIGUOUS", "LOCATION_EMPTY", "SSCC_NOT_FOUND"]);

let scanInput = null;
let source = null; // {location, type, restricted, stock} of the from-location
let task = null; // {kind: "item", row, item} | {kind: "carton", sscc, rows} | {kind: "whole"}
let choices = null; // {item, rows}: the scanned item lies here in several lots
let trail = []; // the last moves, newest first
let latest = 0;
const sourceKept = openWork("move"); // the from-location, back after a reload

// -- rendering ----------------------------------------------------------------------------

function rowElement(row, onPick) {
  const item = el("li");
  const button = el("button", "pending-row move-row");
  button.type = "button";
  button.dataset.sku = row.sku;
  button.dataset.lot = row.lot;
  button.dataset.quantity = String(row.quantity);
  const top = el("span", "pending-top");
  top.append(el("span", "pending-sku", row.sku), el("span", "pending-qty", number(row.quantity)));
  const name = el("span", "pending-name");
  name.append(el("span", "chip chip-plain", row.customer), " ", row.sku_name);
  button.append(top, name, elKeepingCodesWhole("span", "pending-lot", lotText(row)));
  button.addEventListener("click", () => pick(row, row.sku));
  item.append(button);
  return item;
}

function taskTitle() {
  if (task.kind === "carton") return t("put.carton", { sscc: task.sscc });
  if (task.kind === "whole") return t("move.whole.title", { location: source.location });
  return task.row.sku;
}

function renderTask() {
  const box = $("task");
  box.hidden = !task;
  if (!task) return;
  box.dataset.kind = task.kind;
  $("task-sku").textContent = taskTitle();
  if (task.kind === "item") {
    const { row } = task;
    box.dataset.sku = row.sku;
    box.dataset.lot = row.lot;
    $("task-name").textContent = `${row.sku_name} · ${row.customer}`;
    setTextKeepingCodesWhole($("task-lot"), lotText(row));
    $("task-available").textContent = t("move.available", { available: number(row.available) });
    $("task-qty").hidden = false;
    return;
  }
  const rows = task.kind === "carton" ? task.rows : source.stock;
  const units = rows.reduce((sum, r) => sum + r.quantity, 0);
  $("task-name").textContent = "";
  $("task-lot").textContent = t("move.all_of", { lines: number(rows.length), units: number(units) });
  $("task-qty").hidden = true;
}

function renderTrail() {
  $("trail").hidden = trail.length === 0;
  $("trail-list").replaceChildren(
    ...trail.map((move) => {
      const item = el("li", "trail-move");
      item.dataset.to = move.to;
      item.toggleAttribute("data-queued", move.queued);
      item.append(
        el("span", "trail-what", move.quantity ? `${move.what} × ${number(move.quantity)}` : move.what),
        el("span", "trail-where", `${move.from} → ${move.to}`),
      );
      if (move.queued) item.append(el("span", "tag", t("put.trail.queued")));
      return item;
    }),
  );
}

function step() {
  if (!source) return "source";
  return task ? "target" : "item";
}

function render() {
  const current = step();
  const hint = t(`move.hint.${current}`);
  showScanPrompt(scanField, hint);
  document.body.dataset.step = current;
  $("source-box").hidden = !source;
  $("source-code").textContent = source?.location || "";
  $("whole").disabled = !source || source.stock.length === 0;
  renderTask();
  $("choices").hidden = !choices;
  $("choice-list").replaceChildren(...(choices?.rows || []).map((row) => rowElement(row, pick)));
  renderTrail();
  $("contents").hidden = !source;
  if (!source) return;
  $("contents-title").textContent = t("move.contents.title", { location: source.location });
  $("contents-list").replaceChildren(...source.stock.map((row) => rowElement(row, pick)));
  $("contents-empty").hidden = source.stock.length > 0;
}

// -- the from-location and what was scanned on it ------------------------------------------

async function loadSource(code, { announce = false } = {}) {
  const mine = ++latest;
  if (announce) note("pending", () => t("put.busy"), () => code);
  try {
    const found = await api.moveSource(code);
    if (mine !== latest) return;
    source = found;
    sourceKept.save(found);
    setParams({ location: source.location });
    render();
    if (announce) {
      const text = () => t("move.source.loaded", { location: found.location, count: number(found.stock.length) });
      tell("good", text, () => (found.restricted ? t("move.restricted", { type: found.type }) : ""));
    }
  } catch (err) {
    if (mine !== latest) return;
    const kept = sourceKept.load();
    if (err.code === "NETWORK_ERROR" && kept?.location === code.toUpperCase()) {
      source = kept; // offline: what it held when last seen; the move waits in the outbox
      setParams({ location: source.location });
      render();
      return;
    }
    tell("bad", () => errorText(err), () => code);
  }
}

function pick(row, item) {
  choices = null;
  task = { kind: "item", row, item };
  qtyField.value = String(Math.max(row.available, 0));
  render();
  tell("good", () => t("move.item_found", { sku: row.sku }), () => lotText(row));
  scanInput.focus();
}

async function scanItem(code) {
  const mine = ++latest;
  note("pending", () => t("put.busy"), () => code);
  try {
    const found = await api.moveSource(source.location, code);
    if (mine !== latest) return;
    if (found.sscc) {
      choices = null;
      task = { kind: "carton", sscc: found.sscc, rows: found.stock };
      render();
      tell("good", () => t("put.carton", { sscc: found.sscc }), () => t("move.hint.target"));
      return;
    }
    if (found.stock.length === 1) {
      pick(found.stock[0], code);
      return;
    }
    choices = { item: code, rows: found.stock };
    task = null;
    render();
    tell("info", () => t("move.choose_lot"), () => code);
  } catch (err) {
    if (mine !== latest) return;
    tell("bad", () => errorText(err), () => code);
  }
}

function chooseWhole() {
  if (!source || source.stock.length === 0) return;
  choices = null;
  task = { kind: "whole" };
  render();
  tell("good", () => t("move.whole.title", { location: source.location }), () => t("move.hint.target"));
  scanInput.focus();
}

// -- the move -----------------------------------------------------------------------------

function moveBody(target) {
  const base = { from_location: source.location, to_location: target };
  if (task.kind === "carton") return { ...base, sscc: task.sscc };
  if (task.kind === "whole") return { ...base, whole_location: true };
  const quantity = Number(qtyField.value.trim());
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > task.row.quantity) return null;
  const { lot, customer } = task.row; // the customer: two may share one GTIN
  return { ...base, item: task.item, lot, customer, quantity };
}

/** A move waiting on the device: show the location without it, so it is not done twice. */
function takeFromSource(lines) {
  for (const moved of lines) {
    const same = (r) => ["customer", "sku", "lot", "expiry"].every((key) => r[key] === moved[key]);
    const row = source.stock.find(same);
    if (!row) continue;
    row.quantity -= moved.quantity;
    row.available = Math.max(row.available - moved.quantity, 0);
  }
  source.stock = source.stock.filter((r) => r.quantity > 0);
}

function queuedLines(body) {
  if (task.kind === "item") return [{ ...task.row, quantity: body.quantity }];
  return (task.kind === "carton" ? task.rows : source.stock).map((r) => ({ ...r }));
}

async function moveTo(target) {
  const body = moveBody(target);
  if (!body) {
    tell("bad", () => t("put.qty.bad", { max: number(task.row.quantity) }), () => qtyField.value);
    return;
  }
  const large = await askAboutLargeQuantity(body.quantity, scanInput.maxQuantityPerScan);
  if (large === "cancelled") {
    qtyField.focus();
    qtyField.select();
    return;
  }
  if (large === "confirmed") body.confirmed_large = true;
  const what = taskTitle();
  const lines = queuedLines(body);
  note("pending", () => t("common.sending"), () => `${what} → ${target}`);
  try {
    const answer = await outbox.submit("/api/v1/moves", body);
    task = null;
    if (answer.queued) {
      const quantity = lines.reduce((sum, m) => sum + m.quantity, 0);
      trail = [{ what, quantity, from: source.location, to: target.toUpperCase(), queued: true }, ...trail];
      trail = trail.slice(0, TRAIL_LENGTH);
      takeFromSource(lines);
      render();
      tell("info", () => t("common.queued"), () => `${what} → ${target}`);
      return;
    }
    const { moved, to_location: to, from_location: from, move_no: moveNo } = answer.result;
    const quantity = moved.reduce((sum, m) => sum + m.quantity, 0);
    const skus = [...new Set(moved.map((m) => m.sku))].join(", ");
    trail = [{ what: skus, quantity, from, to, queued: false }, ...trail].slice(0, TRAIL_LENGTH);
    render();
    const done = () => t("move.moved", { quantity: number(quantity), sku: skus, from, to });
    tell("good", done, () => moveNo);
    await loadSource(source.location);
  } catch (err) {
    if (err.code === "LOCATION_OTHER_CUSTOMER") {
      // Bonded segregation: never mix customers on a location. Its own sound and buzz.
      tell("segregation", () => errorText(err), () => t("put.segregation.detail"));
      return;
    }
    if (STALE.has(err.code)) {
      task = null;
      render();
      loadSource(source.location);
    }
    tell("bad", () => errorText(err), () => target);
  }
}

function onScan(code) {
  if (!source) loadSource(code.trim(), { announce: true });
  else if (task) moveTo(code);
  else scanItem(code);
}

// -- wiring -------------------------------------------------------------------------------

function changeSource() {
  latest += 1;
  source = null;
  sourceKept.clear();
  task = null;
  choices = null;
  setParams({ location: null });
  render();
  feedback.hide(banner);
  said.forget();
  scanInput.focus();
}

function relabel() {
  render();
  said.redo();
}

async function main() {
  startPage({ onLanguage: relabel });
  scanInput = new ScanInput($("scan-form"), { onScan });
  outbox.onUploaded(() => {
    trail = trail.map((move) => ({ ...move, queued: false })); // up now: no "to upload" left
    renderTrail();
    if (source) loadSource(source.location);
  });
  keepScanFocus(scanInput, [qtyField]);
  $("whole").addEventListener("click", chooseWhole);
  $("source-change").addEventListener("click", changeSource);
  $("task-cancel").addEventListener("click", () => {
    task = null;
    render();
    said.clear();
  });
  render();
  scanInput.focus();

  try {
    const [, config] = await Promise.all([api.me(), api.clientConfig().catch(() => null)]);
    scanInput.configure(config?.scan);
  } catch (err) {
    tell("bad", () => errorText(err));
  }
  const from = param("location") || sourceKept.load()?.location;
  if (from) await scanInput.holdUntil(loadSource(from)); // a scan now belongs to that location
}

main();
