// Packing at a pack bench: scan the tote (or the order or waybill number), scan every
// item into the parcel against the order lines, weigh, and the parcel is made with the
// order's waybill number while its face sheet is queued on the bench's printer.
//
// One scan field serves every step; what a scan means depends on the step:
//   open, done, stop – a tote, order number or waybill number: the next order
//   items, weigh     – an item (EAN, SKU code or GS1 with lot): one unit into the parcel
//   lot              – after a lot-tracked item scanned by its plain EAN: its lot label
//                      (the lot text, or GS1 with AI 10); where the site's policy allows,
//                      a button per lot in the tote chooses it instead
// A wrong item or one too many is refused with the bad sound; a cancelled order, or
// one customs holds or inspects, gets the intercept alarm and says where its tote goes.
//
// At a bench with a scale the live weight shows while the order is open: one tap takes
// the stable weight into the weight field, or, where the site packs by itself
// (`scale_take = "auto"`), the parcel is packed once every item is in and a weight that
// settled after the last item was scanned has stayed stable a moment: a weight already on
// the scale before then may lack that item, or be the last parcel not yet taken off, so
// it is taken only with a tap. A weight outside the order's expected range is refused once
// with the range; the packer weighs again or confirms.

import "./strings/packing.js"; // first: its strings before any use
import * as api from "./api.js";
import * as feedback from "./feedback.js";
import * as outbox from "./outbox.js";
import { errorText, t } from "./i18n.js";
import { ScanInput, showScanPrompt } from "./scan-input.js";
import { dateTime, el, keepScanFocus, number, param, setParams } from "./ui.js";
import { speaker, startPage } from "./shell.js";
import { openWork } from "./open-work.js";
import { BenchScale, showExpectedWeight, showWeightWarning } from "./bench-scale.js";

const $ = (id) => document.getElementById(id);
const banner = $("banner");
const said = speaker(banner);
const { note, tell } = said;
const scanField = $("scan");
const weightField = $("weight");
const stationField = $("station");
// Auto-take: the same stable weight this long before the parcel packs by itself.
const AUTO_STABLE_MS = 1000;

const STATION_KEY = "bondfloor.station";
const DEFAULT_STATION = "pack-01";
// The order must not be packed: the tote goes back to stock, to inspection, or aside.
const STOPPED = new Set(["ORDER_CANCELLED", "ORDER_INSPECTION", "ORDER_ON_HOLD"]);
// The open order is no longer this bench's to pack: start again from a scan.
const GONE = new Set(["ORDER_ALREADY_PACKED", "ORDER_NOT_PICKED", "ORDER_NOT_FOUND"]);

let scanInput = null;
let station = readStation();
let step = "open"; // open | items | lot | weigh | done | stop
let lotWanted = null; // {item, sku, policy, lots}: the item scan waiting for its lot
let order = null; // the order view being packed
let lastSku = "";
let done = null; // the parcel just made: {waybill_no, lane, print_job} or {waybill_no, queued}
let stop = null; // {code, details, task}: why an order must not be packed
let uploadPending = false; // a scan was saved on the device: once it is up, recount
let latest = 0;
let scale = null; // the bench's scale (bench-scale.js)
let shownStep = ""; // the step the page showed last
let scaledFor = ""; // the order whose weighing step has shown the scale
let scaleTake = "tap"; // the site's choice: "tap" or "auto" (client config)
let packInFlight = false; // a pack is on its way: no second one, no auto-take
let autoTried = null; // {order_no, grams}: auto-take packs one stable weight once
let weighingSince = 0; // when every item was in (performance.now()): auto-take weighs after it
let weightWarn = null; // {weight, details}: outside the expected range, waits for a confirm
const orderKept = openWork("packing"); // the order open at the bench, back after a reload
const keptAtLoad = orderKept.load(); // read before the first render keeps the page's state
let waiting = null; // orders picked and not packed yet (null: not asked yet)
// How often the list of what waits is asked again while nothing is open at the bench.
const WAITING_REFRESH_MS = 15_000;
// A short number typed (not scanned) while the parcel waits for its weight is the weight.
const TYPED_WEIGHT = /^\d{1,6}$/;

/** The text of a packing refusal: a lot mismatch here is about the tote, not a reservation. */
function refusalText(err) {
  if (err.code === "LOT_MISMATCH") return t("pack.lot_mismatch", err.details);
  if (err.code === "PACK_INCOMPLETE") {
    const missing = (err.details.missing || []).map((m) => `${m.sku} × ${number(m.missing)}`).join(", ");
    return `${errorText(err)} · ${t("pack.incomplete", { missing })}`;
  }
  return errorText(err);
}

function refusal(err, detail = () => "") {
  tell("bad", () => refusalText(err), detail);
}

function readStation() {
  try {
    return localStorage.getItem(STATION_KEY) || DEFAULT_STATION;
  } catch {
    return DEFAULT_STATION;
  }
}

// -- rendering ----------------------------------------------------------------------------

/** The order's lines per SKU (one SKU may stand on two lines; packing counts per SKU). */
function itemsOf(view) {
  const bySku = new Map();
  for (const line of view.lines) {
    const item = bySku.get(line.sku) || { sku: line.sku, name: line.sku_name, ordered: 0, packed: 0 };
    item.ordered += line.quantity;
    item.packed = line.packed; // already per SKU
    bySku.set(line.sku, item);
  }
  return [...bySku.values()];
}

function isComplete(view) {
  return itemsOf(view).every((item) => item.packed >= item.ordered);
}

function lineElement(item) {
  const row = el("tr", "tally-line pack-line");
  row.dataset.sku = item.sku;
  row.dataset.packed = String(item.packed);
  row.dataset.ordered = String(item.ordered);
  row.dataset.state = item.packed >= item.ordered ? "match" : item.packed > 0 ? "partial" : "open";
  row.toggleAttribute("data-last", item.sku === lastSku);
  const what = el("td", "tally-item");
  what.append(el("span", "tally-sku", item.sku), el("span", "tally-name", item.name));
  const count = el("td", "num pack-count", `${number(item.packed)} / ${number(item.ordered)}`);
  row.append(what, count);
  return row;
}

function render() {
  if (order) orderKept.save(order);
  else orderKept.clear();
  const hints = { items: "pack.hint.item", lot: "pack.hint.lot", weigh: "pack.hint.weigh" };
  const hint = t(hints[step] || "pack.hint.open");
  showScanPrompt(scanField, hint);
  document.body.dataset.step = step;
  if (document.activeElement !== stationField) stationField.value = station;

  const packing = Boolean(order) && (step === "items" || step === "lot" || step === "weigh");
  $("order").hidden = !packing;
  if (packing) {
    $("order").dataset.orderNo = order.order_no;
    $("order-no").textContent = order.order_no;
    $("order-tote").textContent = order.tote ? t("orders.tote", { tote: order.tote }) : "—";
    const courier = { courier: order.courier, waybill_no: order.waybill_no };
    $("order-courier").textContent = t("pack.courier", courier);
    $("lines-body").replaceChildren(...itemsOf(order).map(lineElement));
  }
  $("weigh").hidden = step !== "weigh";
  // All items in: bring the scale, the weight and the pack button on screen.
  if (step === "weigh" && shownStep !== "weigh") {
    $("pack-submit").scrollIntoView({ block: "nearest" });
    weighingSince = performance.now();
  }
  shownStep = step;
  if (packing) renderWeight();
  scale?.setStation(station);
  scale?.setActive(packing, step === "weigh" && !packInFlight);
  renderLotPrompt();
  renderWaiting();

  $("done").hidden = step !== "done" || !done;
  if (done) {
    $("done").dataset.waybill = done.waybill_no;
    $("done").toggleAttribute("data-queued", Boolean(done.queued));
    $("done-waybill").textContent = done.waybill_no;
    $("done-lane").textContent = done.lane ? t("pack.done.lane", { lane: done.lane }) : "";
    $("done-print").textContent = done.queued
      ? t("pack.done.queued")
      : done.uploaded
        ? t("pack.done.uploaded")
        : t("pack.done.print", { printer: done.print_job.printer });
  }

  $("stop").hidden = step !== "stop" || !stop;
  if (stop) {
    $("stop").dataset.code = stop.code;
    $("stop-what").textContent = t(`pack.stop.${stop.code}`, stop.details);
    const task = stop.task;
    $("stop-task").hidden = !task;
    if (task) {
      const kind = t(`task.kind.${task.kind}`);
      const where = t("pack.stop.task", { kind, source: task.source || "—" });
      $("stop-task").textContent = task.target ? `${where} → ${task.target}` : where;
    }
  }
}

/** The weight the parcel should have, and the warning of a weight outside it. */
function renderWeight() {
  showExpectedWeight($("expected"), order.weight);
  showWeightWarning(weightWarn?.details);
}

function waitingElement(row) {
  const item = el("li");
  const button = el("button", "plan-item waiting-item");
  button.type = "button";
  button.dataset.orderNo = row.order_no;
  const top = el("span", "plan-item-top");
  top.append(el("strong", "plan-item-no", row.tote || row.order_no));
  if (row.priority > 0) top.append(el("span", "chip", t("pack.waiting.priority")));
  const what = el("span", "plan-item-ref", `${row.order_no} · ${row.courier}`);
  button.append(top, what);
  if (row.cutoff_at) {
    button.append(el("span", "plan-item-units", t("pack.waiting.cutoff", { time: dateTime(row.cutoff_at) })));
  }
  button.addEventListener("click", () => openOrder(row.tote || row.order_no));
  item.append(button);
  return item;
}

function renderWaiting() {
  const idle = !order && step !== "stop" && waiting !== null;
  $("waiting").hidden = !idle;
  if (!idle) return;
  $("waiting-title").textContent = t("pack.waiting.title", { count: number(waiting.length) });
  $("waiting-list").replaceChildren(...waiting.map(waitingElement));
  $("waiting-empty").hidden = waiting.length > 0;
}

/** What waits at packing: picked orders nothing stops (held or cancelled ones are not listed). */
async function loadWaiting() {
  try {
    const rows = await api.listOrders({ state: "picked", limit: 100 });
    waiting = rows.filter((row) => !row.blocked);
  } catch {
    waiting = waiting ?? []; // offline: the scan still opens a tote
  }
  renderWaiting();
}

function renderLotPrompt() {
  const asking = step === "lot" && Boolean(lotWanted);
  $("lot-prompt").hidden = !asking;
  if (!asking) return;
  $("lot-prompt").dataset.sku = lotWanted.sku;
  $("lot-title").textContent = t("pack.lot.title", { sku: lotWanted.sku });
  const choosing = lotWanted.policy === "choose";
  $("lot-hint").textContent = t(choosing ? "pack.lot.hint_choose" : "pack.lot.hint", {
    lots: lotWanted.lots.join(", "),
  });
  const buttons = choosing
    ? lotWanted.lots.map((lot) => {
        const button = el("button", "secondary lot-choice", t("pack.lot.choose", { lot }));
        button.type = "button";
        button.dataset.lot = lot;
        button.addEventListener("click", () => {
          packScan(lotWanted.item, { lot_choice: lot });
          scanInput.focus();
        });
        return button;
      })
    : [];
  $("lot-choices").replaceChildren(...buttons);
}

/** The item is right but its lot is not known: ask for the lot label, keep the item. */
function askForLot(err, item) {
  lotWanted = {
    item,
    sku: err.details.sku,
    policy: err.details.policy || "scan",
    lots: err.details.lots || [],
  };
  step = "lot";
  render();
  tell("info", () => errorText(err), () => lotWanted && t("pack.lot.hint", { lots: lotWanted.lots.join(", ") }));
}

function cancelLot() {
  lotWanted = null;
  step = order && isComplete(order) ? "weigh" : "items";
  render();
  feedback.hide(banner);
  said.forget();
}

// -- opening an order ---------------------------------------------------------------------

function unitsOf(view) {
  return itemsOf(view).reduce((sum, item) => sum + item.ordered, 0);
}

async function openOrder(code, { quiet = false } = {}) {
  const mine = ++latest;
  if (!quiet) note("pending", () => t("common.loading"), () => code);
  try {
    const found = await api.openForPacking(code);
    if (mine !== latest) return;
    showOrder(found);
    if (quiet) return;
    const opened = { order_no: found.order_no, units: number(unitsOf(found)) };
    const detail = { courier: found.courier, waybill_no: found.waybill_no };
    tell("good", () => t("pack.opened", opened), () => t("pack.courier", detail));
  } catch (err) {
    if (mine !== latest) return;
    if (STOPPED.has(err.code)) {
      await showStop(err, code);
      return;
    }
    if (err.code === "NETWORK_ERROR" && quiet && keptAtLoad?.order_no === code) {
      showOrder(keptAtLoad); // offline: the order as last seen; its scans wait in the outbox
      return;
    }
    if (quiet) {
      leaveOrder();
      return;
    }
    refusal(err, () => code);
  }
}

function showOrder(found) {
  order = found;
  lastSku = "";
  lotWanted = null;
  done = null;
  stop = null;
  weightWarn = null;
  autoTried = null;
  shownStep = ""; // another order: its weighing starts when its items are in
  step = isComplete(found) ? "weigh" : "items";
  weightField.value = "";
  setParams({ order: found.order_no });
  render();
}

function leaveOrder() {
  order = null;
  lotWanted = null;
  step = "open";
  setParams({ order: null });
  render();
  loadWaiting();
}

/** Say loudly that the order must not be packed, then what to do with its tote. */
async function showStop(err, code) {
  const mine = latest;
  const details = { order_no: code, customs_status: "", tote: "—", target: "—", ...err.details };
  stop = { code: err.code, details, task: null };
  order = null;
  step = "stop";
  setParams({ order: null });
  render();
  const refused = { code: err.code, message: err.message, details };
  tell("intercept", () => errorText(refused), () => code);
  try {
    const view = await api.lookupOrder(details.order_no);
    if (mine !== latest || !stop) return;
    const task = view.tasks.find((k) => k.status === "open") || null;
    stop.task = task;
    stop.details = { ...details, tote: view.tote || task?.source || "—", target: task?.target || "—" };
    render();
  } catch {
    // The card already says to stop; the supervisor's task list has the rest.
  }
}

// -- packing ------------------------------------------------------------------------------

/** One unit into the parcel; `lot` carries the lot label scan or the chosen lot. */
async function packScan(code, lot = {}) {
  const packing = order;
  const mine = ++latest;
  const shown = lot.lot || lot.lot_choice || code;
  note("pending", () => t("common.sending"), () => shown);
  try {
    const body = { scan: code, station, ...lot };
    const answer = await outbox.submit(`/api/v1/orders/${packing.id}/pack-scans`, body);
    if (mine !== latest || order !== packing) return;
    if (answer.queued) {
      uploadPending = true;
      lotWanted = null;
      step = "items";
      render();
      tell("info", () => t("common.queued"), () => shown);
      return;
    }
    const result = answer.result;
    lotWanted = null;
    order = { ...result.order, weight: order.weight }; // the expected weight came at opening
    lastSku = result.sku;
    step = result.complete ? "weigh" : "items";
    render();
    const counts = { sku: result.sku, packed: number(result.packed), ordered: number(result.ordered) };
    tell("good", () => t("pack.scanned", counts), () => (result.complete ? t("pack.complete") : code));
  } catch (err) {
    if (mine !== latest || order !== packing) return;
    if (err.code === "LOT_CONFIRMATION_REQUIRED") {
      askForLot(err, code);
      return;
    }
    refusePack(err, shown); // a wrong lot label keeps the prompt: scan the right one
  }
}

function refusePack(err, what) {
  if (STOPPED.has(err.code)) {
    showStop(err, order?.order_no || what);
    return;
  }
  if (GONE.has(err.code)) leaveOrder();
  if (err.code === "STATION_UNKNOWN") {
    const known = (err.details.known || []).join(", ");
    refusal(err, () => t("pack.station.known", { known }));
    stationField.focus();
    return;
  }
  refusal(err, () => what);
}

async function pack({ confirmed = false } = {}) {
  if (packInFlight) return;
  const weight = Number(weightField.value.trim());
  if (!Number.isInteger(weight) || weight < 1) {
    tell("bad", () => t("pack.weight.bad"), () => weightField.value);
    weightField.focus();
    return;
  }
  const packing = order;
  const body = { weight_g: weight, station };
  if (confirmed) body.weight_confirmed = true;
  const mine = ++latest;
  note("pending", () => t("common.sending"), () => `${packing.order_no} · ${number(weight)} g`);
  packInFlight = true;
  try {
    const answer = await outbox.submit(`/api/v1/orders/${packing.id}/pack`, body);
    if (mine !== latest) return;
    order = null;
    weightWarn = null;
    step = "done";
    setParams({ order: null });
    scanInput.focus(); // the weight field is gone: the next tote is a scan
    if (answer.queued) {
      done = { waybill_no: packing.waybill_no, queued: true };
      render();
      tell("info", () => t("pack.done.queued"), () => packing.waybill_no);
      return;
    }
    done = answer.result;
    render();
    loadWaiting();
    const result = answer.result;
    const { lane, print_job: job } = result;
    const printer = job.printer;
    const detail = () => `${t("pack.done.lane", { lane })} · ${t("pack.done.print", { printer })}`;
    tell("good", () => t("pack.done", { waybill_no: result.waybill_no }), detail);
  } catch (err) {
    if (mine !== latest) return;
    if (err.code === "PACK_INCOMPLETE") await openOrder(packing.order_no, { quiet: true });
    if (err.code === "WEIGHT_OUT_OF_RANGE") weightField.focus();
    if (err.code === "WEIGHT_OUTSIDE_EXPECTED") {
      weightWarn = { weight, details: err.details };
      render();
      $("weight-confirm").focus();
    }
    refusePack(err, `${number(weight)} g`);
  } finally {
    packInFlight = false;
    if (order) render();
  }
}

/** The stable weight into the weight field (the packer's tap, or auto-take). */
function takeWeight() {
  const grams = scale.stableGrams();
  if (grams === null || step !== "weigh") return false;
  weightField.value = String(grams);
  weightWarn = null;
  render();
  return true;
}

/** Auto-take: every item is in and the same weight has stayed stable a moment. */
function onScaleReading() {
  if (step === "weigh" && order && scaledFor !== order.order_no && !$("scale").hidden) {
    scaledFor = order.order_no; // the panel came in above the button: keep the button on screen
    $("pack-submit").scrollIntoView({ block: "nearest" });
  }
  if (scaleTake !== "auto" || step !== "weigh" || !order || packInFlight) return;
  const grams = scale.stableGrams();
  if (grams === null || scale.stableFor() < AUTO_STABLE_MS) return;
  if (!scale.settledSince(weighingSince)) return; // on the scale before the last item: tap it
  if (weightWarn?.weight === grams) return; // refused as it is: the packer confirms or changes it
  if (autoTried?.order_no === order.order_no && autoTried.grams === grams) return;
  autoTried = { order_no: order.order_no, grams };
  if (takeWeight()) pack();
}

// -- wiring -------------------------------------------------------------------------------

function onScan(code, { source } = {}) {
  // "Weigh and enter grams": a short number typed by a person while the parcel waits for
  // its weight is the weight, not an item (a scanner's code comes as a fast burst).
  if (step === "weigh" && source !== "scanner" && TYPED_WEIGHT.test(code)) {
    weightField.value = code;
    pack();
    return;
  }
  if (step === "lot" && lotWanted) packScan(lotWanted.item, { lot: code });
  else if (step === "items" || step === "weigh") packScan(code);
  else openOrder(code);
}

function setStation(value) {
  const name = value.trim();
  if (!name) return;
  station = name;
  try {
    localStorage.setItem(STATION_KEY, name);
  } catch {
    // Private mode: the bench is remembered for this page only.
  }
  render();
  tell("good", () => t("pack.station.saved", { station: name }));
}

function relabel() {
  render();
  said.redo();
}

async function main() {
  startPage({ onLanguage: relabel });
  scale = new BenchScale($("scale"), onScaleReading);
  $("scale-take").addEventListener("click", () => {
    if (takeWeight()) $("pack-submit").focus();
  });
  $("weight-confirm").addEventListener("click", () => pack({ confirmed: true }));
  weightField.addEventListener("input", () => {
    if (!weightWarn) return;
    weightWarn = null; // a new weight is checked afresh
    render();
  });
  scanInput = new ScanInput($("scan-form"), { onScan });
  outbox.onUploaded(() => {
    if (done?.queued) {
      done = { ...done, queued: false, uploaded: true }; // the parcel is on the server now
      render();
    }
    if (!uploadPending) return; // every answered scan empties the queue too
    uploadPending = false;
    if (order) openOrder(order.order_no, { quiet: true }); // the counts after the upload
  });
  keepScanFocus(scanInput, [stationField]);
  $("station-form").addEventListener("submit", (e) => {
    e.preventDefault();
    setStation(stationField.value);
    scanInput.focus();
  });
  $("weigh").addEventListener("submit", (e) => {
    e.preventDefault();
    pack();
  });
  $("lot-cancel").addEventListener("click", () => {
    cancelLot();
    scanInput.focus();
  });
  $("change-order").addEventListener("click", () => {
    leaveOrder();
    said.clear();
  });
  render();
  scanInput.focus();

  try {
    const [, config] = await Promise.all([api.me(), api.clientConfig().catch(() => null)]);
    scanInput.configure(config?.scan);
    scaleTake = config?.packing?.scale_take === "auto" ? "auto" : "tap";
  } catch (err) {
    refusal(err);
  }
  const resumed = param("order") || keptAtLoad?.order_no;
  // A reload: the counts come back, and a scan made meanwhile belongs to that order.
  if (resumed) await scanInput.holdUntil(openOrder(resumed, { quiet: true }));
  await loadWaiting();
  setInterval(() => {
    if (!order && document.visibilityState === "visible") loadWaiting();
  }, WAITING_REFRESH_MS);
}

main();
