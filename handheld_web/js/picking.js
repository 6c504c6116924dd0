// Picking: choose an open wave, take its next task (leased to this handheld), then scan
// the location, the item and the tote; the quantity is the task's remaining unless the
// picker changes it. The tote scan confirms, and the next task comes by itself.
//
// One scan field serves every step; what a scan means depends on the step:
//   wave     – a wave number (or tap one)
//   location – the task's location, checked by the server (changes nothing)
//   item     – the item: EAN, SKU code or GS1 with lot/expiry, checked by the server
//   lot      – only for a lot-tracked item scanned without its lot (a plain EAN): the lot
//              label (the lot text itself, or GS1 with AI 10), checked by the server; where
//              the site's policy allows, a button confirms the reserved lot instead
//   tote     – the order's tote (or an empty one): checked, then the pick is confirmed
// A confirm renews the lease; an order cancelled or stopped by customs stops the task
// with its own alarm and a card saying what to do.

import "./strings/picking.js"; // first: its strings before any use
import * as api from "./api.js";
import * as feedback from "./feedback.js";
import * as outbox from "./outbox.js";
import { errorText, t } from "./i18n.js";
import { askAboutLargeQuantity } from "./large-quantity.js";
import { ScanInput, showScanPrompt } from "./scan-input.js";
import { el, keepScanFocus, number, param, setParams, setTextKeepingCodesWhole } from "./ui.js";
import { lotText, speaker, startPage } from "./shell.js";
import { openWork } from "./open-work.js";

const $ = (id) => document.getElementById(id);
const banner = $("banner");
const said = speaker(banner);
const { note, tell } = said;
const scanField = $("scan");
const qtyField = $("qty");

const SLOTS = ["location", "item", "lot", "tote"];
// The order may not go on: the task stops and the card says what to do with its goods.
const STOPPED = new Set(["ORDER_ON_HOLD", "ORDER_INSPECTION", "ORDER_CANCELLED", "ORDER_NOT_RELEASED"]);
// The task is no longer this handheld's to pick.
const TASK_GONE = new Set(["TASK_CLOSED", "TASK_LEASED", "TASK_NOT_FOUND"]);
const ITEM_REFUSALS = new Set(["WRONG_ITEM", "LOT_MISMATCH", "EXPIRY_MISMATCH", "BARCODE_INVALID"]);
// The reserved lot has expired since it was reserved: it is not picked, the picker reports it.
const EXPIRED = "PICK_LOT_EXPIRED";

let scanInput = null;
let waves = [];
let wave = null; // the chosen wave {id, wave_no, ...}
let task = null; // the leased task
let step = "wave"; // wave | loading | location | item | lot | tote | blocked | none
let scanned = { location: "", item: "", lot: "", lotChoice: "" };
let lotPolicy = "scan"; // the site's outbound.lot_confirmation, as the server last said
let blocked = null; // {code, details}: why the order stopped
let openLeft = 0; // tasks of the wave still open when none was free for us
let shortOpen = false;
let uploadPending = false; // a change was saved on the device: once it is up, ask again
let latest = 0; // the newest request; older answers are dropped
let wavesUnreachable = false; // the last wave list failed at the network
const pickKept = openWork("picking"); // the wave and task, back after a reload
const keptAtLoad = pickKept.load(); // read before the first render keeps the page's state

function refusal(err, detail = () => "") {
  tell("bad", () => errorText(err), detail);
}

// -- rendering ----------------------------------------------------------------------------

function waveElement(item) {
  const li = el("li");
  const button = el("button", "plan-item");
  button.type = "button";
  button.dataset.waveId = String(item.id);
  button.dataset.waveNo = item.wave_no;
  const top = el("span", "plan-item-top");
  const courier = el("span", "chip", item.courier || t("pick.wave_all"));
  top.append(el("strong", "plan-item-no", item.wave_no), courier);
  const counts = { orders: number(item.orders), open: number(item.open_tasks), tasks: number(item.tasks) };
  button.append(top, el("span", "plan-item-units", t("pick.wave_item", counts)));
  button.addEventListener("click", () => chooseWave(item));
  li.append(button);
  return li;
}

function renderTask() {
  const box = $("task");
  const working = Boolean(task) && SLOTS.includes(step);
  box.hidden = !working;
  if (!task) return;
  box.dataset.taskId = String(task.id);
  box.dataset.location = task.location;
  box.dataset.sku = task.sku;
  box.dataset.orderNo = task.order_no;
  box.dataset.tote = task.tote || "";
  box.dataset.lot = task.lot || "";
  box.dataset.expiry = task.expiry || "";
  box.dataset.lotToConfirm = String(Boolean(task.lot_to_confirm));
  $("task-wave").textContent = task.wave_no || wave?.wave_no || "";
  $("task-order").textContent = t("pick.order", { order_no: task.order_no });
  $("pick-location").textContent = task.location;
  $("pick-sku").textContent = task.sku;
  $("pick-name").textContent = task.sku_name;
  setTextKeepingCodesWhole($("pick-lot"), lotText(task));
  $("pick-remaining").textContent = t("pick.of_remaining", { remaining: number(task.remaining) });
  $("pick-tote").textContent = task.tote ? t("pick.tote.own", { tote: task.tote }) : t("pick.tote.empty");
  $("slot-tote").dataset.own = String(Boolean(task.tote));
  $("slot-lot").hidden = !task.lot_to_confirm;
  $("pick-lot-expected").textContent = task.lot_to_confirm ? t("pick.lot", { lot: task.lot }) : "";
  const choose = $("lot-choose");
  choose.hidden = !(step === "lot" && lotPolicy === "choose");
  choose.textContent = t("pick.lot.choose", { lot: task.lot || "" });
  const at = SLOTS.indexOf(step);
  for (const [i, name] of SLOTS.entries()) {
    const slot = $(`slot-${name}`);
    if (i < at) slot.dataset.state = "done";
    else if (i === at) slot.dataset.state = "active";
    else delete slot.dataset.state;
  }
}

function render() {
  if (wave) pickKept.save({ wave, task });
  else pickKept.clear();
  const hints = {
    wave: "pick.hint.wave",
    none: "pick.hint.wave",
    loading: "pick.loading_task",
    location: "pick.hint.location",
    item: "pick.hint.item",
    lot: "pick.hint.lot",
    tote: "pick.hint.tote",
    blocked: "pick.hint.blocked",
  };
  const hint = t(hints[step]);
  showScanPrompt(scanField, hint);
  document.body.dataset.step = step;

  $("step-wave").hidden = step !== "wave";
  $("waves").replaceChildren(...waves.map(waveElement));
  $("waves-empty").hidden = waves.length > 0;
  renderTask();

  $("block").hidden = step !== "blocked";
  if (blocked) {
    $("block").dataset.code = blocked.code;
    const params = { order_no: "", customs_status: "", ...blocked.details };
    $("block-what").textContent = t(`pick.block.${blocked.code}`, params);
  }
  $("no-task").hidden = step !== "none";
  $("no-task-text").textContent = wave
    ? t("pick.none_free", { wave_no: wave.wave_no, open: number(openLeft) })
    : "";
  $("short-prompt").hidden = !(shortOpen && task && SLOTS.includes(step));
  if (task) $("short-title").textContent = t("pick.short.title", { sku: task.sku, location: task.location });
}

// -- waves --------------------------------------------------------------------------------

async function loadWaves() {
  const mine = ++latest;
  try {
    const found = await api.listWaves("open");
    wavesUnreachable = false;
    if (mine !== latest) return found;
    waves = found;
    render();
    return found;
  } catch (err) {
    wavesUnreachable = err.code === "NETWORK_ERROR";
    if (mine === latest) refusal(err);
    return [];
  }
}

function chooseWave(item) {
  wave = item;
  setParams({ wave: item.id });
  feedback.hide(banner);
  said.forget();
  return nextTask();
}

async function chooseWaveByCode(code) {
  const wanted = code.trim().toUpperCase();
  const byNumber = (list) => list.find((w) => w.wave_no.toUpperCase() === wanted);
  const found = byNumber(waves) || byNumber(await loadWaves()); // built since the list came
  if (found) chooseWave(found);
  else tell("bad", () => t("pick.no_wave", { code }));
}

function leaveWave() {
  if (task) outbox.submit(`/api/v1/pick-tasks/${task.id}/release`, {}).catch(() => {});
  wave = null;
  task = null;
  blocked = null;
  shortOpen = false;
  step = "wave";
  setParams({ wave: null });
  feedback.hide(banner);
  said.forget();
  render();
  loadWaves();
}

// -- the task -----------------------------------------------------------------------------

/** Lease the next task of the wave (the server gives back this handheld's current one). */
async function nextTask({ quiet = false } = {}) {
  if (!wave) return;
  const mine = ++latest;
  task = null;
  shortOpen = false;
  step = "loading";
  render();
  if (!quiet) note("pending", () => t("pick.loading_task"), () => wave.wave_no);
  try {
    const answer = await outbox.submit(`/api/v1/waves/${wave.id}/next-task`, {});
    if (mine !== latest) return;
    if (answer.queued) {
      uploadPending = true; // asked again once online
      tell("info", () => t("common.queued"), () => wave.wave_no);
      return;
    }
    const found = answer.result.task;
    if (!found) {
      const done = wave;
      openLeft = answer.result.open_tasks ?? 0;
      const left = openLeft;
      const finished = left === 0;
      const news = () =>
        finished
          ? t("pick.wave_done", { wave_no: done.wave_no })
          : t("pick.none_free", { wave_no: done.wave_no, open: number(left) });
      if (finished) {
        wave = null;
        step = "wave";
        setParams({ wave: null });
      } else {
        step = "none";
      }
      render();
      if (quiet && said.outcome) {
        // Right after a pick or a short: its banner stays; the wave's news goes under it.
        const { kind, text, detail } = said.outcome;
        note(kind, text, () => [detail(), news()].filter(Boolean).join(" · "));
      } else {
        tell(finished ? "good" : "info", news);
      }
      if (finished) await loadWaves();
      return;
    }
    showTask(found);
    if (!quiet) feedback.hide(banner);
  } catch (err) {
    if (mine !== latest) return;
    const waveNo = wave?.wave_no || "";
    leaveWave();
    refusal(err, () => waveNo);
  }
}

function showTask(found) {
  task = found;
  scanned = { location: "", item: "", lot: "", lotChoice: "" };
  qtyField.value = String(found.remaining);
  step = "location";
  render();
}

function chosenQuantity() {
  const value = Number(qtyField.value.trim());
  return Number.isInteger(value) && value >= 1 && value <= task.remaining ? value : null;
}

// -- scans --------------------------------------------------------------------------------

/** Check one scan with the server (changes nothing); offline, check what can be here. */
async function checkScan(field, code) {
  const taskId = task.id;
  const mine = ++latest;
  note("pending", () => t("common.sending"), () => code);
  let answer;
  try {
    answer = await api.checkPick(taskId, { [field]: code });
  } catch (err) {
    if (mine !== latest || !task || task.id !== taskId) return;
    if (err.code === "NETWORK_ERROR") {
      checkedOffline(field, code);
      return;
    }
    refuseScan(err, code);
    return;
  }
  if (mine !== latest || !task || task.id !== taskId) return;
  accept(field, code, answer, "good");
}

function checkedOffline(field, code) {
  if (field === "location" && code.trim().toUpperCase() !== task.location.toUpperCase()) {
    const err = { code: "WRONG_LOCATION", details: { expected: task.location, scanned: code } };
    refuseScan(err, code);
    return;
  }
  accept(field, code, null, "info");
}

function accept(field, code, answer, kind) {
  const offline = () => (kind === "info" ? t("pick.offline_check") : "");
  if (field === "location") {
    scanned.location = code;
    step = "item";
    render();
    const location = task.location;
    tell(kind, () => t("pick.location_ok", { location }), () => offline() || t("pick.hint.item"));
    return;
  }
  if (field === "item") {
    scanned.item = code;
    scanned.lot = "";
    scanned.lotChoice = "";
    const count = answer?.item?.count; // a GS1 count (AI 30) says how many are in hand
    if (Number.isInteger(count) && count >= 1 && count <= task.remaining) qtyField.value = String(count);
    if (answer?.item?.lot_policy) lotPolicy = answer.item.lot_policy;
    // Offline the server cannot say whether the scan carried the lot: ask for the label.
    const lotNeeded = answer ? Boolean(answer.item?.lot_needed) : Boolean(task.lot_to_confirm);
    step = lotNeeded ? "lot" : "tote";
    render();
    const { sku, lot } = task;
    const quantity = qtyField.value;
    const next = () => (lotNeeded ? t("pick.item_ok.lot", { lot }) : t("pick.item_ok.qty", { quantity }));
    tell(kind, () => t("pick.item_ok", { sku }), () => offline() || next());
    return;
  }
  if (field === "lot") {
    scanned.lot = code;
    scanned.lotChoice = "";
    lotConfirmed(kind, offline);
    return;
  }
  confirm(code);
}

function lotConfirmed(kind, offline = () => "") {
  step = "tote";
  render();
  const { lot } = task;
  const quantity = qtyField.value;
  tell(kind, () => t("pick.lot_ok", { lot }), () => offline() || t("pick.item_ok.qty", { quantity }));
}

/** The site lets the picker confirm the reserved lot by a choice instead of a label scan. */
function chooseLot() {
  if (!task || step !== "lot" || lotPolicy !== "choose") return;
  scanned.lot = "";
  scanned.lotChoice = task.lot;
  lotConfirmed("good");
  scanInput.focus();
}

/** An expired lot is not picked: say so and open the shortage report for this task. */
function expiredLot(err, code) {
  shortOpen = true;
  render();
  refusal(err, () => code);
}

function refuseScan(err, code) {
  if (err.code === EXPIRED) {
    expiredLot(err, code);
    return;
  }
  if (STOPPED.has(err.code)) {
    stopOrder(err); // held or cancelled: said at the first scan, before the walk
    return;
  }
  if (TASK_GONE.has(err.code)) {
    refusal(err, () => code);
    nextTask({ quiet: true });
    return;
  }
  refusal(err, () => code);
}

async function confirm(tote) {
  const quantity = chosenQuantity();
  if (quantity === null) {
    tell("bad", () => t("pick.qty.bad", { max: number(task.remaining) }), () => qtyField.value);
    qtyField.value = String(task.remaining);
    return;
  }
  const large = await askAboutLargeQuantity(quantity, scanInput.maxQuantityPerScan);
  if (large === "cancelled") {
    qtyField.value = String(task.remaining);
    return;
  }
  const picking = task;
  const body = { location: scanned.location, item: scanned.item, quantity, tote };
  if (large === "confirmed") body.confirmed_large = true;
  if (scanned.lot) body.lot = scanned.lot;
  if (scanned.lotChoice) body.lot_choice = scanned.lotChoice;
  const what = `${number(quantity)} × ${picking.sku} → ${tote}`;
  const mine = ++latest;
  note("pending", () => t("common.sending"), () => what);
  try {
    const answer = await outbox.submit(`/api/v1/pick-tasks/${picking.id}/confirm`, body);
    if (mine !== latest) return;
    if (answer.queued) {
      uploadPending = true;
      tell("info", () => t("common.queued"), () => what);
      if (quantity < picking.remaining) {
        // Keep picking the rest offline; the server checks each pick when it uploads.
        const remaining = picking.remaining - quantity;
        task = { ...picking, picked_qty: picking.picked_qty + quantity, remaining, tote };
        scanned = { ...scanned, item: "", lot: "", lotChoice: "" };
        qtyField.value = String(task.remaining);
        step = "item";
      } else {
        task = null;
        step = "loading"; // the next task comes once the pick is uploaded
      }
      render();
      return;
    }
    const result = answer.result;
    const picked = { quantity: number(quantity), sku: picking.sku, tote: result.tote };
    const more = result.task.status === "open" && result.task.remaining > 0;
    const detail = () => {
      if (result.order_state === "picked") {
        return t("pick.picked.order_done", { order_no: result.order_no });
      }
      return more ? t("pick.picked.more", { remaining: number(result.task.remaining) }) : "";
    };
    tell("good", () => t("pick.picked", picked), detail);
    if (more) {
      task = result.task;
      scanned = { ...scanned, item: "", lot: "", lotChoice: "" };
      qtyField.value = String(task.remaining);
      step = "item"; // same location: the next units of the item
      render();
      return;
    }
    await nextTask({ quiet: true });
  } catch (err) {
    if (mine !== latest) return;
    refuseConfirm(err, tote);
  }
}

function refuseConfirm(err, tote) {
  if (STOPPED.has(err.code)) {
    stopOrder(err);
    return;
  }
  if (TASK_GONE.has(err.code)) {
    refusal(err, () => task?.order_no || "");
    nextTask({ quiet: true });
    return;
  }
  if (err.code === EXPIRED) {
    expiredLot(err, tote);
    return;
  }
  if (err.details?.policy) lotPolicy = err.details.policy;
  if (err.code === "PICK_OVER") {
    task = { ...task, remaining: err.details.remaining };
    qtyField.value = String(task.remaining);
  } else if (err.code === "WRONG_LOCATION") {
    scanned = { location: "", item: "", lot: "", lotChoice: "" };
    step = "location";
  } else if (err.code === "LOT_CONFIRMATION_REQUIRED" || (err.code === "LOT_MISMATCH" && scanned.lot)) {
    scanned = { ...scanned, lot: "", lotChoice: "" }; // the item stands: scan its lot label
    step = "lot";
  } else if (ITEM_REFUSALS.has(err.code)) {
    scanned = { ...scanned, item: "", lot: "", lotChoice: "" };
    step = "item";
  }
  render();
  refusal(err, () => tote);
}

/** The order may not go on: give the task back and say what to do with the goods. */
function stopOrder(err) {
  const stopped = task;
  blocked = { code: err.code, details: { order_no: stopped?.order_no || "", ...err.details } };
  if (stopped) outbox.submit(`/api/v1/pick-tasks/${stopped.id}/release`, {}).catch(() => {});
  task = null;
  shortOpen = false;
  step = "blocked";
  render();
  const refused = { code: err.code, message: err.message, details: blocked.details };
  tell("intercept", () => errorText(refused), () => stopped?.location || "");
}

// -- short --------------------------------------------------------------------------------

async function reportShort() {
  const picking = task;
  const extra = $("short-note").value.trim();
  const reason = extra ? `${$("short-reason").value}: ${extra}` : $("short-reason").value;
  shortOpen = false;
  $("short-note").value = "";
  render();
  scanInput.focus();
  const mine = ++latest;
  note("pending", () => t("common.sending"), () => `${picking.sku} @ ${picking.location}`);
  try {
    const answer = await outbox.submit(`/api/v1/pick-tasks/${picking.id}/short`, { reason });
    if (mine !== latest) return;
    if (answer.queued) {
      uploadPending = true;
      task = null;
      step = "loading";
      render();
      tell("info", () => t("common.queued"), () => `${picking.sku} @ ${picking.location}`);
      return;
    }
    const result = answer.result;
    const text = () => t("pick.short.done", { missing: number(result.missing), sku: picking.sku });
    const detail = () =>
      result.order_state === "short"
        ? t("pick.short.order_short", { order_no: picking.order_no })
        : t("pick.short.found", { found: number(result.reallocated) });
    tell("info", text, detail);
    await nextTask({ quiet: true });
  } catch (err) {
    if (mine !== latest) return;
    refuseConfirm(err, picking.location);
  }
}

// -- wiring -------------------------------------------------------------------------------

function onScan(code) {
  if (step === "wave" || step === "none") chooseWaveByCode(code);
  else if (SLOTS.includes(step)) checkScan(step, code);
  else if (step === "blocked") tell("bad", () => t("pick.hint.blocked"), () => code);
  else note("pending", () => t("pick.loading_task"), () => code);
}

function relabel() {
  render();
  said.redo();
}

function wire() {
  $("block-next").addEventListener("click", () => {
    blocked = null;
    nextTask();
  });
  $("retry").addEventListener("click", () => nextTask());
  $("lot-choose").addEventListener("click", chooseLot);
  $("to-waves").addEventListener("click", leaveWave);
  $("leave").addEventListener("click", leaveWave);
  $("short").addEventListener("click", () => {
    shortOpen = true;
    render();
    $("short-reason").focus();
  });
  $("short-cancel").addEventListener("click", () => {
    shortOpen = false;
    render();
    scanInput.focus();
  });
  $("short-prompt").addEventListener("submit", (e) => {
    e.preventDefault();
    reportShort();
  });
  qtyField.addEventListener("change", () => {
    if (task && chosenQuantity() === null) qtyField.value = String(task.remaining);
  });
}

/** Offline after a reload: the wave and task as last seen (scans are checked on upload). */
function resumeOffline(kept) {
  wave = kept.wave;
  setParams({ wave: wave.id });
  if (kept.task) showTask(kept.task);
  else {
    step = "none";
    render();
  }
}

async function main() {
  startPage({ onLanguage: relabel });
  scanInput = new ScanInput($("scan-form"), { onScan });
  outbox.onUploaded(() => {
    if (!uploadPending) return; // every answered command empties the queue too
    uploadPending = false;
    // Later, not inside the outbox's own pass: the next task is a command too.
    if (wave && step === "loading") setTimeout(() => nextTask({ quiet: true }), 0);
  });
  keepScanFocus(scanInput, [qtyField, $("short-note")]);
  wire();
  render();
  scanInput.focus();

  try {
    const [, config] = await Promise.all([api.me(), api.clientConfig().catch(() => null)]);
    scanInput.configure(config?.scan);
  } catch (err) {
    refusal(err);
  }
  await scanInput.holdUntil(resumeWave()); // a scan meanwhile belongs to the resumed task
}

/** After a reload: back to the wave (and the task this handheld holds), else the list. */
async function resumeWave() {
  const found = await loadWaves();
  const kept = keptAtLoad;
  const waveId = param("wave") || (kept?.wave ? String(kept.wave.id) : "");
  const resumed = waveId && found.find((w) => String(w.id) === waveId);
  if (resumed) await chooseWave(resumed); // the server gives back the task this handheld holds
  else if (wavesUnreachable && kept?.wave && String(kept.wave.id) === waveId) resumeOffline(kept);
  else setParams({ wave: null });
}

main();
