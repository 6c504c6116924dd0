// Receiving: choose today's arrival (or scan its plan number), check the truck or
// container in, scan the goods against the plan with a live tally, close with a reason
// for every difference, then print the tally record and the warehouse receipt.
//
// One scan field serves every step; what a scan means depends on the step:
//   choose  – a plan number
//   checkin – the container no / truck plate / air waybill, then the seal number
//   receive – an item (EAN, GS1 with lot/expiry/count, SSCC carton)
//   closed  – a plan number (the next arrival)

import "./strings/receiving.js"; // first: its strings before any use
import * as api from "./api.js";
import * as feedback from "./feedback.js";
import * as outbox from "./outbox.js";
import { errorText, t } from "./i18n.js";
import { askAboutLargeQuantity } from "./large-quantity.js";
import { openWork } from "./open-work.js";
import { ScanInput, showScanPrompt } from "./scan-input.js";
import {
  dateTime,
  el,
  keepScanFocus,
  normaliseDate,
  number,
  param,
  setParams,
  setSiteTimeZone,
  signed,
  today,
} from "./ui.js";
import { cartonLabelsFor, mountCartonLabels } from "./carton-labels.js";
import { speaker, startPage } from "./shell.js";

const $ = (id) => document.getElementById(id);
const banner = $("banner");
const said = speaker(banner);
const { note, tell } = said;
const scanField = $("scan");
const countField = $("count");
const damagedToggle = $("damaged");

// What the dock reads off the arrival, by transport mode (the check-in must match one).
const REFERENCE_FIELDS = {
  sea: ["container_no"],
  land: ["truck_plate", "second_plate", "container_no"],
  air: ["air_waybill"],
};
const REASONS = ["short", "over", "damaged", "wrong_item"];

let scanInput = null;
let user = { code: "", roles: [] };
let step = "choose";
let arrivals = [];
let plan = null; // the open plan: summary + tally
let checkin = { reference: "", seal: "", active: "reference" };
let mismatch = null; // {reference, seal, expected} after the server said ARRIVAL_MISMATCH
let asked = null; // {body, needs:Set, code, details}: a receive scan the server asked about
let closeQueued = false;
let latest = 0; // the newest plan lookup; older answers are dropped
const openPlanKept = openWork("receiving"); // the open plan, back after a reload

// -- the banner ---------------------------------------------------------------------------

/** Say `text()` in the banner with the sound of `kind` (good, bad, info, segregation). */
/** Put text in the banner without a sound (waiting, or a plain note). */
function refusal(err, detail = () => "") {
  tell("bad", () => errorText(err), detail);
}

// -- plan facts ---------------------------------------------------------------------------

function references(summary) {
  const transport = summary.transport || {};
  return (REFERENCE_FIELDS[summary.transport_mode] || []).map((f) => transport[f]).filter(Boolean);
}

function needsReason(line) {
  return line.difference !== 0 || line.damaged > 0;
}

function isSupervisor() {
  return user.roles.includes("supervisor") || user.roles.includes("admin");
}

function stepFor(summary) {
  if (summary.status === "closed") return "closed";
  if (summary.status === "planned" || !summary.dock) return "checkin";
  return "receive";
}

// -- rendering ----------------------------------------------------------------------------

function showStepPrompt() {
  const keys = {
    choose: "recv.hint.plan",
    closed: "recv.hint.plan",
    checkin: checkin.active === "seal" ? "recv.hint.seal" : "recv.hint.reference",
    receive: "recv.hint.item",
    close: "recv.hint.item",
  };
  const text = t(keys[step], { ref: plan ? t(`ref.${plan.transport_mode}`) : "" });
  showScanPrompt(scanField, text);
}

function unitsText(summary) {
  return t("recv.units", { expected: number(summary.expected), counted: number(summary.counted) });
}

function damagedTag(count) {
  return el("span", "tag tag-damaged", t("recv.tally.damaged", { count: number(count) }));
}

function chip(node, kind, text) {
  node.textContent = text;
  node.dataset.kind = kind;
}

function arrivalElement(summary) {
  const item = el("li");
  const button = el("button", "plan-item");
  button.type = "button";
  button.dataset.planId = String(summary.id);
  button.dataset.planNo = summary.plan_no;
  const top = el("span", "plan-item-top");
  const status = el("span", "chip");
  chip(status, summary.status, t(`plan.status.${summary.status}`));
  top.append(el("strong", "plan-item-no", summary.plan_no), status);
  const who = el("span", "plan-item-customer", summary.customer_name);
  const mode = t(`mode.${summary.transport_mode}`);
  const ref = el("span", "plan-item-ref", `${mode} · ${references(summary).join(" / ")}`);
  const units = el("span", "plan-item-units", unitsText(summary));
  button.append(top, who, ref, units);
  button.addEventListener("click", () => openPlan(summary.id));
  item.append(button);
  return item;
}

function renderArrivals() {
  $("arrivals").replaceChildren(...arrivals.map(arrivalElement));
  $("arrivals-empty").hidden = arrivals.length > 0;
}

function renderHeader() {
  $("plan-no").textContent = plan.plan_no;
  chip($("plan-status"), plan.status, t(`plan.status.${plan.status}`));
  const released = plan.customs_released;
  chip($("plan-released"), released ? "released" : "held", t(`plan.${released ? "" : "not_"}released`));
  $("plan-customer-name").textContent = plan.customer_name;
  $("plan-customer").textContent = plan.customer;
  $("plan-mode").textContent = `${t(`mode.${plan.transport_mode}`)} · ${t(`ref.${plan.transport_mode}`)}`;
  $("plan-ref").textContent = references(plan).join(" / ");
  // Where and when it arrived matters once receiving is done; while scanning, the tally
  // needs the room.
  // A check-in just made stays on screen while receiving: the dock knows it went through.
  const arrival = $("plan-arrival");
  const checkedIn = plan.checked_in_as;
  arrival.hidden = !plan.dock || !(step === "closed" || (step === "receive" && checkedIn));
  const sealPart = plan.seal_no ? ` · ${t("recv.seal")} ${plan.seal_no}` : "";
  arrival.textContent = plan.dock ? `${plan.dock}${sealPart} · ${dateTime(plan.arrived_at)}` : "";
  if (step === "receive" && checkedIn) {
    arrival.textContent = t("recv.checkin.shown", {
      dock: plan.dock,
      reference: checkedIn,
      seal: plan.seal_no || checkin.seal || "—",
    });
  }
  $("plan-units").hidden = step === "receive" || step === "close";
  $("plan-units").textContent = unitsText(plan);
}

function renderCheckin() {
  $("slot-reference-label").textContent = t(`ref.${plan.transport_mode}`);
  for (const name of ["reference", "seal"]) {
    const slot = $(`slot-${name}`);
    const value = checkin[name];
    slot.toggleAttribute("data-active", checkin.active === name);
    slot.toggleAttribute("data-filled", Boolean(value));
    $(`slot-${name}-value`).textContent = value || t("recv.checkin.not_scanned");
  }
  if (mismatch) {
    $("override-what").textContent = t("recv.override.scanned", {
      reference: mismatch.reference,
      expected: mismatch.expected.join(" / "),
    });
  }
}

function tallyRow(line) {
  const row = el("tr", "tally-line");
  row.dataset.sku = line.sku;
  row.dataset.lot = line.lot;
  row.dataset.expected = String(line.expected);
  row.dataset.counted = String(line.counted);
  row.dataset.damaged = String(line.damaged);
  row.dataset.difference = String(line.difference);
  row.dataset.state = line.difference < 0 ? "short" : line.difference > 0 ? "over" : "match";
  row.toggleAttribute("data-has-damaged", line.damaged > 0);
  const item = el("td", "tally-item");
  item.append(el("span", "tally-sku", line.sku), " ", el("span", "tally-name", line.sku_name));
  if (line.lot) item.append(el("span", "tally-lot", `${t("recv.lot")} ${line.lot}`));
  if (line.damaged > 0) item.append(damagedTag(line.damaged));
  row.append(
    item,
    el("td", "num", number(line.expected)),
    el("td", "num tally-counted", number(line.counted)),
    el("td", "num tally-difference", signed(line.difference)),
  );
  return row;
}

function renderTally() {
  const lines = plan.tally || [];
  $("tally-body").replaceChildren(...lines.map(tallyRow));
  const sum = (key) => lines.reduce((total, line) => total + line[key], 0);
  $("tally-expected").textContent = number(sum("expected"));
  $("tally-counted").textContent = number(sum("counted"));
  $("tally-difference").textContent = signed(sum("difference"));
}

function renderReasons() {
  // Keep what was already chosen when the lines are drawn again (language, refresh).
  const chosen = new Map();
  for (const line of document.querySelectorAll(".reason-line")) {
    chosen.set(`${line.dataset.sku}\u0000${line.dataset.lot}`, {
      reason: line.querySelector("select").value,
      note: line.querySelector("input").value,
    });
  }
  const lines = (plan.tally || []).filter(needsReason);
  $("close-intro").textContent = t(lines.length ? "recv.close.reasons" : "recv.close.no_diff");
  $("reasons").replaceChildren(
    ...lines.map((line, index) => {
      const kept = chosen.get(`${line.sku}\u0000${line.lot}`) || { reason: line.reason, note: line.note };
      const box = el("fieldset", "reason-line");
      box.dataset.sku = line.sku;
      box.dataset.lot = line.lot;
      const legend = el("legend", "reason-item");
      legend.append(el("strong", null, line.sku), " ", line.sku_name, line.lot ? ` · ${line.lot}` : "");
      const numbers = el("p", "reason-numbers");
      numbers.append(
        `${t("recv.tally.expected")} ${number(line.expected)} · `,
        `${t("recv.tally.counted")} ${number(line.counted)} · `,
        el("strong", "reason-difference", `${t("recv.tally.difference")} ${signed(line.difference)}`),
      );
      if (line.damaged > 0) numbers.append(" · ", damagedTag(line.damaged));
      const select = el("select", "reason-select");
      select.name = `reason-${index}`;
      select.setAttribute("aria-label", `${t("doc.col.reason")} ${line.sku}`);
      select.append(el("option", null, t("recv.reason.choose")));
      select.options[0].value = "";
      for (const reason of REASONS) {
        const option = el("option", null, t(`recv.reason.${reason}`));
        option.value = reason;
        select.append(option);
      }
      select.value = kept.reason || "";
      const noteField = el("input", "reason-note");
      noteField.type = "text";
      noteField.maxLength = 200;
      noteField.placeholder = t("recv.reason.note");
      noteField.setAttribute("aria-label", `${t("recv.reason.note")} ${line.sku}`);
      noteField.value = kept.note || "";
      box.append(legend, numbers, select, noteField);
      return box;
    }),
  );
}

function renderClosed() {
  const query = `plan=${encodeURIComponent(plan.id)}`;
  $("print-tally").href = `receipt.html?${query}&doc=tally`;
  $("print-receipt").href = `receipt.html?${query}&doc=receipt`;
  $("to-putaway").href = `putaway.html?location=${encodeURIComponent(plan.dock || "DOCK-01")}`;
  $("closed-note").hidden = !closeQueued;
  $("closed-note").textContent = closeQueued ? t("recv.close_queued") : "";
}

let shownStep = null;

function render() {
  if (step !== shownStep) {
    window.scrollTo(0, 0); // a new step starts at the top, where the banner is
    shownStep = step;
  }
  document.body.dataset.step = step;
  $("override").hidden = !(step === "checkin" && mismatch && isSupervisor());
  $("step-choose").hidden = step !== "choose";
  $("plan").hidden = !plan || step === "choose";
  if (plan && step !== "choose") {
    renderHeader();
    $("step-checkin").hidden = step !== "checkin";
    $("step-receive").hidden = step !== "receive";
    $("step-close").hidden = step !== "close";
    $("step-closed").hidden = step !== "closed";
    if (step === "checkin") renderCheckin();
    if (step === "receive") renderTally();
    if (step === "receive") cartonLabelsFor(plan.id);
    if (step === "close") renderReasons();
    if (step === "closed") renderClosed();
  }
  renderArrivals();
  renderPrompts();
  showStepPrompt();
}

// -- choosing a plan ----------------------------------------------------------------------

async function loadArrivals() {
  try {
    arrivals = await api.listPlans(today());
  } catch (err) {
    arrivals = [];
    refusal(err);
  }
  render();
}

/**
 * Open a plan. `scanned` plans say so with a beep; a tapped one just opens. A plan not
 * released by customs always says so: its goods must wait.
 */
async function openPlan(id, { scanned = "" } = {}) {
  const mine = ++latest;
  try {
    const found = await api.getPlan(id);
    if (mine !== latest) return;
    showPlan(found);
    const opened = () => t("recv.opened", { plan_no: found.plan_no });
    if (!found.customs_released && found.status !== "closed") {
      tell("bad", () => t("recv.not_released_note"), opened);
    } else if (scanned) {
      tell("good", opened, () => scanned);
    } else {
      feedback.hide(banner);
      said.forget();
    }
  } catch (err) {
    if (mine !== latest) return;
    const kept = openPlanKept.load();
    if (err.code === "NETWORK_ERROR" && kept && String(kept.id) === String(id)) {
      showPlan(kept); // offline: the plan as last seen; scans wait in the outbox
      return;
    }
    refusal(err);
  }
}

function showPlan(found) {
  plan = found;
  openPlanKept.save(found);
  step = stepFor(found);
  checkin = { reference: "", seal: "", active: "reference" };
  mismatch = null;
  asked = null;
  closeQueued = false;
  $("override-reason").value = "";
  setParams({ plan: found.id });
  render();
}

/** Fetch the open plan again (after a scan) without a sound. */
async function refreshPlan() {
  if (!plan) return;
  try {
    const found = await api.getPlan(plan.id);
    if (!plan || found.id !== plan.id) return;
    plan = { ...found, checked_in_as: plan.checked_in_as };
    openPlanKept.save(plan);
    if (found.status === "closed" && !closeQueued) step = "closed"; // closed on another handheld
    render();
  } catch {
    // The scan's own outcome is already on screen; the tally catches up on the next scan.
  }
}

async function lookUpPlan(code) {
  const mine = ++latest;
  note("pending", () => t("common.loading"), () => code);
  try {
    const found = await api.lookupPlan(code);
    if (mine !== latest) return;
    if (found.length === 1) {
      await openPlan(found[0].id, { scanned: code });
      return;
    }
    arrivals = found;
    plan = null;
    openPlanKept.clear();
    step = "choose";
    setParams({ plan: null });
    render();
    tell("info", () => t("recv.choose_plan"), () => code);
  } catch (err) {
    if (mine !== latest) return;
    refusal(err, () => code);
  }
}

function leavePlan() {
  plan = null;
  openPlanKept.clear();
  asked = null;
  step = "choose";
  setParams({ plan: null });
  feedback.hide(banner);
  said.forget();
  render();
  loadArrivals();
}

// -- check-in -----------------------------------------------------------------------------

function takeCheckinScan(code) {
  checkin[checkin.active] = code;
  if (checkin.reference && checkin.seal) {
    submitCheckin();
    return;
  }
  checkin.active = checkin.reference ? "seal" : "reference";
  render();
}

async function submitCheckin(overrideReason = "") {
  const reference = overrideReason ? mismatch.reference : checkin.reference;
  const seal = overrideReason ? mismatch.seal : checkin.seal;
  if (!reference) {
    tell("bad", () => t("recv.checkin.missing", { ref: t(`ref.${plan.transport_mode}`) }));
    return;
  }
  const body = { reference, seal_no: seal, dock: $("dock").value.trim().toUpperCase() || "DOCK-01" };
  if (overrideReason) body.override_reason = overrideReason;
  note("pending", () => t("common.sending"), () => reference);
  const planId = plan.id;
  try {
    const answer = await outbox.submit(`/api/v1/plans/${planId}/check-in`, body);
    if (!plan || plan.id !== planId) return;
    mismatch = null;
    $("override-reason").value = "";
    if (answer.queued) {
      // The receiving scans queue behind the check-in and go in that order.
      step = "receive";
      render();
      tell("info", () => t("common.queued"), () => `${reference} · ${body.dock}`);
      return;
    }
    plan = { ...plan, ...answer.result, checked_in_as: reference.toUpperCase() };
    openPlanKept.save(plan);
    step = "receive";
    render();
    const dock = answer.result.dock;
    const detail = () => `${reference} · ${t("recv.seal")} ${seal || "—"}`;
    tell("good", () => t("recv.checkin.done", { dock }), detail);
    await refreshPlan();
  } catch (err) {
    if (err.code === "ARRIVAL_MISMATCH") {
      mismatch = { reference, seal, expected: err.details.expected || references(plan) };
      checkin.reference = "";
      checkin.seal = seal;
      checkin.active = "reference";
      render();
      refusal(err, () => (isSupervisor() ? t("recv.override.title") : t("recv.checkin.ask_supervisor")));
      return;
    }
    refusal(err, () => reference);
  }
}

// -- receiving ----------------------------------------------------------------------------

function chosenCount() {
  const value = Number.parseInt(countField.value, 10);
  return Number.isInteger(value) && value > 0 ? value : null;
}

function resetControls() {
  countField.value = "";
  damagedToggle.setAttribute("aria-pressed", "false");
}

function receiveBody(code) {
  const body = { scan: code };
  const count = chosenCount();
  if (count !== null) body.quantity = count; // else the GS1 count (AI 30/37), or 1
  if (damagedToggle.getAttribute("aria-pressed") === "true") body.damaged = true;
  return body;
}

function receivedText(result) {
  const params = { quantity: number(result.quantity), sku: result.sku, name: result.sku_name };
  return () => t("recv.received", params);
}

function receivedDetail(result) {
  return () => {
    // Received as scanned, but a warning (a lot that may hold a date) comes first.
    const parts = (result.warnings || []).map((code) => errorText({ code, details: { lot: result.lot } }));
    if (result.lot) parts.push(`${t("recv.lot")} ${result.lot}`);
    if (result.expiry) parts.push(`${t("recv.expiry")} ${result.expiry}`);
    const where = result.condition === "good" ? "recv.received.where" : `recv.received.${result.condition}`;
    parts.push(t(where, { location: result.location }));
    if (result.over) parts.push(t("recv.received.over"));
    const progress = { counted: number(result.counted), expected: number(result.expected) };
    parts.push(t("recv.received.progress", progress));
    return parts.join(" · ");
  };
}

/** A scan with the typed count: a count above the per-scan maximum is asked about first. */
async function receiveScanned(code) {
  const body = receiveBody(code);
  const answer = await askAboutLargeQuantity(body.quantity, scanInput.maxQuantityPerScan);
  if (answer === "cancelled") {
    countField.value = "";
    note("info", () => t("qty.large.cancelled"), () => code);
    countField.focus();
    return;
  }
  if (answer === "confirmed") body.confirmed_large = true;
  receive(body);
}

/** Send one receiving scan; `needs` carries what an earlier prompt for it already asked. */
async function receive(body, needs = new Set()) {
  asked = null;
  renderPrompts();
  note("pending", () => t("common.sending"), () => body.scan);
  const planId = plan.id;
  try {
    const answer = await outbox.submit(`/api/v1/plans/${planId}/receive`, body);
    resetControls();
    if (answer.queued) {
      tell("info", () => t("common.queued"), () => body.scan);
      return;
    }
    const warned = (answer.result.warnings || []).length > 0;
    tell(warned ? "notice" : "good", receivedText(answer.result), receivedDetail(answer.result));
    await refreshPlan();
  } catch (err) {
    if (!plan || plan.id !== planId) return;
    await askAbout(body, err, needs);
  }
}

/** The server refused a scan: ask for what it needs, or say why. */
async function askAbout(body, err, asking) {
  const needs = new Set(asking);
  if (err.code === "LOT_REQUIRED" || err.code === "EXPIRY_REQUIRED") {
    // A question, not a refusal: a plain EAN carries no lot. Both at once when the SKU
    // tracks both, prefilled from the last carton of this SKU on this plan.
    const details = err.details || {};
    needs.add(err.code === "LOT_REQUIRED" ? "lot" : "expiry");
    if (details.lot_tracked) needs.add("lot");
    if (details.expiry_tracked) needs.add("expiry");
    const last = { lot: details.last_lot || "", expiry: details.last_expiry || "" };
    asked = { kind: "lot", body, needs, code: err.code, details, last };
    $("lot").value = body.lot || last.lot;
    $("expiry").value = body.expiry || last.expiry;
    renderPrompts();
    const sku = details.sku || body.scan;
    tell("notice", () => t(last.lot ? "recv.lot.same_title" : "recv.lot.ask", { sku }), () => body.scan);
    if (last.lot) {
      // Prefilled: a scanned lot label replaces the whole lot, not appends to it.
      $("lot").focus();
      $("lot").select();
      return;
    }
    (needs.has("lot") && !$("lot").value ? $("lot") : $("expiry")).focus();
    return;
  }
  if (OVER_CODES.has(err.code)) {
    asked = { kind: "over", body, needs, code: err.code, details: err.details };
    renderPrompts();
    refusal(err, () => t("recv.over.numbers", overNumbers(err.details)));
    return;
  }
  if (err.code === "PLAN_CLOSED" || err.code === "PLAN_NOT_ARRIVED") refreshPlan();
  refusal(err, () => body.scan);
}

// Refusals the receiver may overrule by confirming: recorded as over.
const OVER_CODES = new Set(["RECEIPT_OVER", "SKU_NOT_ON_PLAN", "LOT_NOT_ON_PLAN"]);

function overNumbers(details) {
  return {
    expected: number(details.expected ?? 0),
    counted: number(details.counted ?? 0),
    quantity: number(details.quantity ?? 0),
  };
}

function renderPrompts() {
  const lotPrompt = $("lot-prompt");
  const overPrompt = $("over-prompt");
  lotPrompt.hidden = asked?.kind !== "lot" || step !== "receive";
  overPrompt.hidden = asked?.kind !== "over" || step !== "receive";
  if (asked?.kind === "lot") {
    const title = asked.last.lot ? "recv.lot.same_title" : "recv.lot.title";
    $("lot-prompt-title").textContent = t(title, { sku: asked.details.sku });
    $("lot-submit").textContent = t(asked.last.lot ? "recv.lot.use_last" : "recv.lot.submit");
    $("lot").required = asked.needs.has("lot");
    $("expiry").required = asked.needs.has("expiry");
  }
  if (asked?.kind === "over") {
    const line = (plan.tally || []).find((l) => l.sku === asked.details.sku);
    const title = {
      SKU_NOT_ON_PLAN: "recv.over.title.unplanned",
      LOT_NOT_ON_PLAN: "recv.over.title.unplanned_lot",
    }[asked.code];
    $("over-title").textContent = t(title || "recv.over.title.over");
    $("over-item").textContent = `${asked.details.sku} ${line ? line.sku_name : ""}`.trim();
    $("over-numbers").textContent = t("recv.over.numbers", overNumbers(asked.details));
  }
}

function submitLotPrompt() {
  const lot = $("lot").value.trim();
  const expiryText = $("expiry").value.trim();
  if (asked.needs.has("lot") && !lot) {
    tell("bad", () => t("recv.lot.missing"));
    $("lot").focus();
    return;
  }
  if (asked.needs.has("expiry") && !expiryText) {
    if (lot) {
      $("expiry").focus(); // the lot came first (typed or scanned): now the expiry
      return;
    }
    tell("bad", () => t("recv.expiry.missing"));
    $("expiry").focus();
    return;
  }
  const expiry = expiryText ? normaliseDate(expiryText) : "";
  if (expiry === null) {
    tell("bad", () => t("recv.expiry.bad"), () => expiryText);
    $("expiry").focus();
    return;
  }
  const body = { ...asked.body };
  if (lot) body.lot = lot;
  if (expiry) body.expiry = expiry;
  const needs = asked.needs;
  $("lot").value = "";
  $("expiry").value = "";
  asked = null;
  scanInput.focus();
  receive(body, needs);
}

function dropAsked() {
  if (!asked) return;
  const sku = asked.details.sku || asked.body.scan;
  asked = null;
  $("lot").value = "";
  $("expiry").value = "";
  renderPrompts();
  note("info", () => t("recv.not_recorded", { sku }));
  scanInput.focus();
}

// -- closing ------------------------------------------------------------------------------

function startClose() {
  asked = null;
  step = "close";
  render();
  const first = document.querySelector(".reason-select");
  if (first) first.focus();
  else scanInput.focus();
}

async function submitClose() {
  const differences = [];
  let missing = null;
  for (const line of document.querySelectorAll(".reason-line")) {
    const select = line.querySelector("select");
    if (!select.value) missing ??= select;
    differences.push({
      sku: line.dataset.sku,
      lot: line.dataset.lot,
      reason: select.value,
      note: line.querySelector("input").value.trim(),
    });
  }
  if (missing) {
    tell("bad", () => t("recv.reason.missing"));
    missing.focus();
    return;
  }
  note("pending", () => t("common.sending"));
  const planId = plan.id;
  try {
    const answer = await outbox.submit(`/api/v1/plans/${planId}/close`, { differences });
    if (!plan || plan.id !== planId) return;
    step = "closed";
    if (answer.queued) {
      closeQueued = true;
      render();
      tell("info", () => t("recv.close_queued"));
      return;
    }
    closeQueued = false;
    plan = { ...answer.result.plan, tally: answer.result.tally };
    openPlanKept.save(plan);
    render();
    tell("good", () => t("recv.closed"), () => plan.plan_no);
  } catch (err) {
    if (err.code === "DIFFERENCE_REASON_REQUIRED") {
      await refreshPlan(); // someone scanned meanwhile: the lines changed
      refusal(err);
      return;
    }
    if (err.code === "PLAN_CLOSED") {
      await refreshPlan();
      step = stepFor(plan);
      render();
    }
    refusal(err);
  }
}

// -- scans --------------------------------------------------------------------------------

function onScan(code) {
  if (step === "choose" || step === "closed") {
    lookUpPlan(code);
  } else if (step === "checkin") {
    takeCheckinScan(code);
  } else if (step === "receive") {
    if (asked) dropAsked(); // a new scan answers "no" to the open question
    receiveScanned(code);
  } else {
    tell("bad", () => t("recv.close.busy"), () => code);
  }
}

// -- wiring -------------------------------------------------------------------------------

function relabel() {
  render();
  said.redo();
}

function wire() {
  $("change-plan").addEventListener("click", leavePlan);
  for (const button of document.querySelectorAll("[data-redo]")) {
    button.addEventListener("click", () => {
      checkin[button.dataset.redo] = "";
      checkin.active = button.dataset.redo;
      render();
    });
  }
  $("checkin-submit").addEventListener("click", () => submitCheckin());
  $("override").addEventListener("submit", (e) => {
    e.preventDefault();
    const reason = $("override-reason").value.trim();
    if (!reason) {
      tell("bad", () => t("recv.override.need_reason"));
      $("override-reason").focus();
      return;
    }
    submitCheckin(reason);
  });

  $("count-less").addEventListener("click", () => {
    countField.value = String(Math.max(1, (chosenCount() ?? 1) - 1));
  });
  $("count-more").addEventListener("click", () => {
    countField.value = String((chosenCount() ?? 1) + 1);
  });
  countField.addEventListener("change", () => {
    if (countField.value && chosenCount() === null) countField.value = "";
  });
  damagedToggle.addEventListener("click", () => {
    const on = damagedToggle.getAttribute("aria-pressed") !== "true";
    damagedToggle.setAttribute("aria-pressed", String(on));
  });

  $("lot-prompt").addEventListener("submit", (e) => {
    e.preventDefault();
    submitLotPrompt();
  });
  $("lot-cancel").addEventListener("click", dropAsked);
  $("lot").addEventListener("input", () => {
    // Another lot than the last carton's has its own expiry: never keep the old one.
    if (asked?.kind === "lot" && asked.last.lot && $("expiry").value === asked.last.expiry) {
      if ($("lot").value.trim() !== asked.last.lot) $("expiry").value = "";
    }
  });
  $("over-confirm").addEventListener("click", () => {
    if (asked?.kind !== "over") return;
    // A new command with its own key: the refused scan stays refused in the log.
    receive({ ...asked.body, confirm_over: true }, asked.needs);
  });
  $("over-reject").addEventListener("click", dropAsked);

  $("close-start").addEventListener("click", startClose);
  $("close-back").addEventListener("click", () => {
    step = "receive";
    render();
  });
  $("step-close").addEventListener("submit", (e) => {
    e.preventDefault();
    submitClose();
  });
}

async function main() {
  startPage({ onLanguage: relabel });
  scanInput = new ScanInput($("scan-form"), { onScan });
  outbox.onUploaded(refreshPlan);
  keepScanFocus(scanInput, [countField, $("dock")]);
  wire();
  mountCartonLabels(said);
  render();
  scanInput.focus();

  try {
    const [me, config] = await Promise.all([api.me(), api.clientConfig().catch(() => null)]);
    user = me;
    scanInput.configure(config?.scan);
    if (config?.site?.timezone) setSiteTimeZone(config.site.timezone); // today's arrivals
  } catch (err) {
    refusal(err);
  }
  const planId = param("plan") || openPlanKept.load()?.id;
  if (planId) await scanInput.holdUntil(openPlan(planId)); // a scan now belongs to that plan
  else await loadArrivals();
}

main();
