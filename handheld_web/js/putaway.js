// Put-away: take what waits on a dock or staging location to storage.
//
// Scan an item (EAN, GS1 or SKU code) or a carton's SSCC; the page shows where it should
// go; scanning the target location confirms the move. The server checks the location
// again (segregation, capacity), so a person may choose another place, but never one
// holding or assigned to another customer's goods: that refusal gets its own sound.

import "./strings/putaway.js"; // first: its strings before any use
import * as api from "./api.js";
import * as feedback from "./feedback.js";
import * as outbox from "./outbox.js";
import { errorText, t } from "./i18n.js";
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
// Refusals that mean the item is no longer where the page thought: start again from the list.
const STALE = new Set(["ITEM_NOT_ON_LOCATION", "INSUFFICIENT_STOCK", "SSCC_NOT_FOUND", "LOT_AMBIGUOUS"]);

let scanInput = null;
let gsPlaceholder = "~";
const pendingKept = openWork("putaway"); // the location worked from and what waits there
let source = (param("location") || pendingKept.load()?.location || "DOCK-01").toUpperCase();
let pending = [];
let task = null; // {row, item} for an item, {sscc} for a carton
let choices = null; // {item, rows}: the scanned item lies here in several lots
let trail = []; // the last moves, newest first
let latest = 0;
let confirmFor = null; // a location entered by hand, until a load of it answers

/** The SSCC (AI 00) of a carton label scan, or "". */
function ssccOf(text) {
  const bare = text.replace(/^\][A-Za-z][0-9A-Za-z]/, "");
  const match = /^00(\d{18})/.exec(bare);
  if (!match) return "";
  const rest = bare.slice(20);
  const separated = rest.startsWith("\x1d") || (gsPlaceholder && rest.startsWith(gsPlaceholder));
  return rest === "" || separated ? match[1] : "";
}

// -- rendering ----------------------------------------------------------------------------

function suggestionText(suggestion) {
  if (!suggestion) return t("put.no_suggestion");
  const why = t(`put.reason.${suggestion.reason}`);
  return suggestion.held ? `${why} · ${t("put.held", { held: number(suggestion.held) })}` : why;
}

function rowElement(row, onPick) {
  const item = el("li");
  const button = el("button", "pending-row");
  button.type = "button";
  button.dataset.sku = row.sku;
  button.dataset.lot = row.lot;
  button.dataset.quantity = String(row.quantity);
  button.dataset.suggestion = row.suggestion?.location || "";
  const top = el("span", "pending-top");
  top.append(el("span", "pending-sku", row.sku), el("span", "pending-qty", number(row.quantity)));
  const name = el("span", "pending-name");
  name.append(el("span", "chip chip-plain", row.customer), " ", row.sku_name);
  const lot = elKeepingCodesWhole("span", "pending-lot", lotText(row));
  const where = el("span", "pending-where");
  where.append(
    el("span", "pending-arrow", "→ "),
    el("strong", "pending-target", row.suggestion?.location || "—"),
    " ",
    el("span", "pending-why", suggestionText(row.suggestion)),
  );
  button.append(top, name, lot, where);
  button.addEventListener("click", () => onPick(row));
  item.append(button);
  return item;
}

function renderTask() {
  const box = $("task");
  box.hidden = !task;
  if (!task) return;
  const target = $("task-target");
  if (task.sscc) {
    box.dataset.kind = "carton";
    $("task-sku").textContent = t("put.carton", { sscc: task.sscc });
    $("task-name").textContent = "";
    $("task-lot").textContent = `${t("put.carton.note")} · ${source}`;
    target.hidden = true;
    $("task-qty").hidden = true;
    return;
  }
  const { row } = task;
  box.dataset.kind = "item";
  box.dataset.sku = row.sku;
  box.dataset.lot = row.lot;
  $("task-sku").textContent = row.sku;
  $("task-name").textContent = `${row.sku_name} · ${row.customer}`;
  setTextKeepingCodesWhole($("task-lot"), lotText(row));
  $("task-on-source").textContent = t("put.on_source", { quantity: number(row.quantity) });
  target.hidden = false;
  target.dataset.found = String(Boolean(row.suggestion));
  $("suggested").textContent = row.suggestion?.location || "—";
  $("suggested-why").textContent = suggestionText(row.suggestion);
  $("task-qty").hidden = false;
}

function renderTrail() {
  $("trail").hidden = trail.length === 0;
  $("trail-list").replaceChildren(
    ...trail.map((move) => {
      const item = el("li", "trail-move");
      item.dataset.to = move.to;
      item.toggleAttribute("data-queued", move.queued);
      const from = move.from === source ? "" : `${move.from} `;
      item.append(
        el("span", "trail-what", move.quantity ? `${move.what} × ${number(move.quantity)}` : move.what),
        el("span", "trail-where", `${from}→ ${move.to}`),
      );
      if (move.queued) item.append(el("span", "tag", t("put.trail.queued")));
      return item;
    }),
  );
}

function render() {
  const hint = t(task ? "put.hint.target" : "put.hint.item");
  showScanPrompt(scanField, hint);
  document.body.dataset.step = task ? "target" : "item";
  renderTask();
  $("choices").hidden = !choices;
  const lots = choices?.rows || [];
  $("choice-list").replaceChildren(...lots.map((row) => rowElement(row, (r) => pick(r, choices.item))));
  renderTrail();
  $("pending-title").textContent = t("put.pending.title", { location: source });
  $("pending-list").replaceChildren(...pending.map((row) => rowElement(row, (r) => pick(r, r.sku))));
  $("pending-empty").hidden = pending.length > 0;
}

// -- what waits, and what was scanned -----------------------------------------------------

async function loadPending() {
  const mine = ++latest;
  try {
    const rows = await api.putawayPending(source);
    if (mine !== latest) return;
    pending = rows;
    pendingKept.save({ location: source, rows });
    render();
    // A location just entered is confirmed by whichever load answers last for it: the
    // page's own first load (or an upload's) may start after it and win.
    if (confirmFor === source) {
      confirmFor = null;
      const text = () => t("put.pending.loaded", { location: source, count: number(pending.length) });
      tell("good", text);
    }
  } catch (err) {
    if (mine !== latest) return;
    confirmFor = null;
    const kept = pendingKept.load();
    if (err.code === "NETWORK_ERROR" && kept?.location === source) {
      pending = kept.rows; // offline: as last seen; what is put away waits in the outbox
      render();
      return;
    }
    pending = [];
    render();
    tell("bad", () => errorText(err), () => source);
  }
}

function pick(row, item) {
  choices = null;
  task = { row, item };
  qtyField.value = String(row.quantity);
  render();
  const found = row.suggestion ? "put.item_found" : "put.item_found_free";
  tell("good", () => t(found, { sku: row.sku, location: row.suggestion?.location }), () => lotText(row));
  scanInput.focus();
}

async function scanItem(code) {
  const sscc = ssccOf(code);
  if (sscc) {
    choices = null;
    task = { sscc };
    render();
    tell("good", () => t("put.carton", { sscc }), () => t("put.hint.target"));
    return;
  }
  const mine = ++latest;
  note("pending", () => t("put.busy"), () => code);
  try {
    const found = await api.putawaySuggest(source, code);
    if (mine !== latest) return;
    if (found.stock.length === 1) {
      pick(found.stock[0], code);
      return;
    }
    choices = { item: code, rows: found.stock };
    task = null;
    render();
    tell("info", () => t("put.choose_lot"), () => code);
  } catch (err) {
    if (mine !== latest) return;
    tell("bad", () => errorText(err), () => code);
  }
}

// -- the move -----------------------------------------------------------------------------

function moveBody(target) {
  if (task.sscc) return { from_location: source, to_location: target, sscc: task.sscc };
  const quantity = Number(qtyField.value.trim());
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > task.row.quantity) return null;
  const { lot, customer } = task.row; // the customer: two may share one GTIN on a dock
  return { from_location: source, to_location: target, item: task.item, lot, customer, quantity };
}

/** A move waiting on the device: show the dock without it, so it is not done twice. */
function takeFromPending(moved, quantity) {
  const same = (r) => ["customer", "sku", "lot", "expiry"].every((key) => r[key] === moved[key]);
  const row = pending.find(same);
  if (!row) return;
  row.quantity -= quantity;
  if (row.quantity <= 0) pending = pending.filter((r) => r !== row);
  pendingKept.save({ location: source, rows: pending });
}

function remember(move) {
  trail = [move, ...trail].slice(0, TRAIL_LENGTH);
}

async function putAway(target) {
  const body = moveBody(target);
  if (!body) {
    tell("bad", () => t("put.qty.bad", { max: number(task.row.quantity) }), () => qtyField.value);
    return;
  }
  const what = task.sscc ? t("put.carton", { sscc: task.sscc }) : task.row.sku;
  const { row } = task;
  note("pending", () => t("common.sending"), () => `${what} → ${target}`);
  try {
    const answer = await outbox.submit("/api/v1/putaway", body);
    task = null;
    if (answer.queued) {
      remember({ what, quantity: body.quantity ?? 0, from: source, to: target.toUpperCase(), queued: true });
      if (row) takeFromPending(row, body.quantity);
      render();
      tell("info", () => t("common.queued"), () => `${what} → ${target}`);
      return;
    }
    const { moved, to_location: to, from_location: from } = answer.result;
    const quantity = moved.reduce((sum, m) => sum + m.quantity, 0);
    const skus = [...new Set(moved.map((m) => m.sku))].join(", ");
    remember({ what: skus, quantity, from, to, queued: false });
    render();
    const done = () => t("put.moved", { quantity: number(quantity), sku: skus, to });
    tell("good", done, () => t("put.moved.detail", { from }));
    await loadPending();
  } catch (err) {
    if (err.code === "LOCATION_OTHER_CUSTOMER") {
      // Bonded segregation: never mix customers on a location. Its own sound and buzz.
      tell("segregation", () => errorText(err), () => t("put.segregation.detail"));
      return;
    }
    if (STALE.has(err.code)) {
      task = null;
      render();
      loadPending();
    }
    tell("bad", () => errorText(err), () => target);
  }
}

function onScan(code) {
  if (task) putAway(code);
  else scanItem(code);
}

// -- wiring -------------------------------------------------------------------------------

function setSource(code) {
  const value = code.trim().toUpperCase();
  if (!value) return;
  source = value;
  $("source").value = source;
  task = null;
  choices = null;
  setParams({ location: source });
  render();
  confirmFor = source;
  loadPending();
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
    loadPending();
  });
  keepScanFocus(scanInput, [qtyField]);
  $("source-form").addEventListener("submit", (e) => {
    e.preventDefault();
    setSource($("source").value);
    scanInput.focus();
  });
  $("task-cancel").addEventListener("click", () => {
    task = null;
    render();
    said.clear();
  });
  // Set once here and by setSource only: a render while the page loads must not put the
  // old location back over one the user is typing.
  $("source").value = source;
  render();
  scanInput.focus();

  try {
    const [, config] = await Promise.all([api.me(), api.clientConfig().catch(() => null)]);
    scanInput.configure(config?.scan);
    gsPlaceholder = config?.scan?.gs_placeholder || "~";
  } catch (err) {
    tell("bad", () => errorText(err));
  }
  await loadPending();
}

main();
