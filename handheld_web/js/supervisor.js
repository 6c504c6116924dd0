// The supervisor's dashboard (desktop first, usable on a tablet): the day's flow per site
// hour and step as small SVG bar charts, open work by step, holds and exceptions, the
// manual stock adjustments waiting for a second supervisor, the open alerts with their
// acknowledgement, devices and the OMS link. GET /api/v1/dashboard answers all but the
// adjustments (GET /api/v1/ledger/adjustments); both asked again every few seconds.
//
// The charts are drawn here, without a library: one <svg> per step with a <rect> per hour;
// each bar carries data-hour and data-count so what is drawn can be checked.
//
// Acknowledging is sent at once or not at all (it answers what is on screen now); the
// attempt keeps its idempotency key until it has an answer, so a second press after a
// lost answer cannot acknowledge twice. Approving or rejecting an adjustment is sent the
// same way.

import "./strings/supervisor.js"; // first: its strings before any use
import * as api from "./api.js";
import * as feedback from "./feedback.js";
import { errorText, language, t } from "./i18n.js";
import { dateTime, el, number, param, setParams, signed } from "./ui.js";
import { startPage } from "./shell.js";

const $ = (id) => document.getElementById(id);
const banner = $("banner");
const SVG = "http://www.w3.org/2000/svg";
const POLL_MS = 5000;
const CHART = { width: 360, height: 120, top: 16, bottom: 18 };
const WORK = [
  "plans_to_receive",
  "units_to_put_away",
  "orders_waiting",
  "orders_to_pick",
  "orders_short",
  "orders_to_pack",
  "orders_to_load",
  "open_floor_tasks",
  "adjustments_to_approve",
];
const HOLDS = ["customs_holds", "open_pick_shortages", "failed_print_jobs"];

let board = null; // the last answer of GET /api/v1/dashboard
let live = { ok: false, at: null, error: "" };
let refreshes = 0;
let polling = false;
let denied = false;
let timer = null;
let attempt = null; // the acknowledgement being sent and its key, kept until answered
let notes = {}; // what is typed in each alert's note box, kept across redraws
let adjustments = []; // the last answer of GET /api/v1/ledger/adjustments (pending ones)
let drawnAdjustments = ""; // what the list shows: redrawn only on a change, so focus stays
let deciding = null; // the adjustment decision being sent and its key, kept until answered

// -- reading the server ------------------------------------------------------------------

function chosenDay() {
  return $("day").value || "";
}

async function refresh() {
  if (polling || denied) return;
  polling = true;
  try {
    [board, adjustments] = await Promise.all([api.dashboard(chosenDay()), api.listAdjustments()]);
    live = { ok: true, at: new Date(), error: "" };
    if (!$("day").value) $("day").value = board.throughput.day;
    render();
    refreshes += 1;
    document.body.dataset.refreshed = String(refreshes);
  } catch (err) {
    live = { ok: false, at: live.at, error: errorText(err) };
    if (err.code === "ROLE_NOT_ALLOWED") {
      denied = true;
      feedback.signal("bad", banner, errorText(err));
    }
    renderLive();
  } finally {
    polling = false;
  }
}

async function poll() {
  clearTimeout(timer);
  if (!document.hidden) await refresh();
  clearTimeout(timer);
  if (!denied) timer = setTimeout(poll, POLL_MS);
}

// -- drawing -----------------------------------------------------------------------------

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

/** One step's day as bars: an hour each, the tallest bar at full height. */
function chart(step, hours) {
  const { width, height, top, bottom } = CHART;
  const most = Math.max(1, ...step.per_hour);
  const slot = width / hours.length;
  const plot = height - top - bottom;
  const figure = el("figure", "board-chart");
  figure.dataset.step = step.step;
  const title = el("figcaption", "board-chart-title");
  title.append(
    el("span", "", t(`board.step.${step.step}`)),
    el("strong", "board-chart-total", `${number(step.total)} ${t(`board.unit.${step.unit}`)}`),
  );
  const drawing = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `${t(`board.step.${step.step}`)}: ${number(step.total)}`,
    "data-step": step.step,
    "data-total": step.total,
  });
  drawing.append(svg("line", { x1: 0, x2: width, y1: height - bottom, y2: height - bottom, class: "axis" }));
  step.per_hour.forEach((count, n) => {
    const h = Math.round((count / most) * plot);
    const bar = svg("rect", {
      x: (n * slot + 1).toFixed(1),
      y: height - bottom - h,
      width: Math.max(1, slot - 2).toFixed(1),
      height: h,
      class: "bar",
      "data-hour": hours[n],
      "data-count": count,
    });
    const tip = svg("title");
    tip.textContent = `${hours[n]} ${number(count)}`;
    bar.append(tip);
    drawing.append(bar);
    if (count > 0) {
      const label = svg("text", { x: (n * slot + slot / 2).toFixed(1), y: height - bottom - h - 3, class: "bar-label" });
      label.textContent = number(count);
      drawing.append(label);
    }
    if (n % 3 === 0) {
      const tick = svg("text", { x: (n * slot + slot / 2).toFixed(1), y: height - 4, class: "tick" });
      tick.textContent = hours[n].slice(0, 2);
      drawing.append(tick);
    }
  });
  figure.append(title, drawing);
  return figure;
}

function stat(name, value, key) {
  const box = el("div", "stat");
  box.dataset.stat = name;
  box.append(el("strong", "stat-count", number(value)), el("span", "stat-label", t(key)));
  return box;
}

function renderFlow() {
  const flow = board.throughput;
  $("flow").dataset.day = flow.day;
  $("charts").replaceChildren(...flow.steps.map((s) => chart(s, flow.hours)));
}

function renderWork() {
  const work = board.open_work;
  $("work-stats").replaceChildren(...WORK.map((name) => stat(name, work[name], `board.work.${name}`)));
  const holds = board.holds;
  $("holds-stats").replaceChildren(...HOLDS.map((name) => stat(name, holds[name], `board.holds.${name}`)));
  $("held-orders").replaceChildren(
    ...holds.held_orders.map((o) => {
      const item = el("li", "board-row");
      item.dataset.order = o.order_no;
      item.append(
        el("strong", "", o.order_no),
        el("span", "", t("board.held.status", { code: o.customs_status })),
        el("span", "sync-muted", known(`board.state.${o.state}`, o.state)),
      );
      return item;
    }),
  );
}

/** The text for `key`, or `fallback` when there is none (a state the page does not know). */
function known(key, fallback) {
  const text = t(key);
  return text === key ? fallback : text;
}

function kindText(kind) {
  return known(`alert.${kind}`, kind);
}

function alertItem(alert) {
  const item = el("li", "board-alert");
  item.dataset.kind = alert.kind;
  item.dataset.severity = alert.severity;
  item.dataset.id = String(alert.id);
  const head = el("div", "board-alert-head");
  head.append(
    el("span", "chip board-severity", t(`board.severity.${alert.severity}`)),
    el("strong", "board-alert-kind", kindText(alert.kind)),
    el("span", "board-alert-subject", alert.subject),
  );
  const seen = el(
    "p",
    "sync-muted",
    t("board.alert.seen", { first: dateTime(alert.first_seen_at), last: dateTime(alert.last_seen_at) }),
  );
  item.append(head, el("p", "board-alert-message", alert.message), seen);
  if (alert.acked_at) {
    item.dataset.acked = "true";
    item.append(el("p", "board-alert-ack", t("board.alert.acked", { who: alert.acked_by, note: alert.ack_note })));
    return item;
  }
  const form = el("form", "board-ack");
  form.noValidate = true;
  const note = el("input", "board-ack-note");
  note.type = "text";
  note.maxLength = 500;
  note.placeholder = t("board.ack.note");
  note.setAttribute("aria-label", t("board.ack.note"));
  note.value = notes[alert.id] || "";
  note.addEventListener("input", () => {
    notes[alert.id] = note.value;
  });
  const button = el("button", "primary board-ack-button", t("board.ack"));
  button.type = "submit";
  form.append(note, button);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    acknowledge(alert, note);
  });
  item.append(form);
  return item;
}

function renderAlerts() {
  const list = $("alert-list");
  // Keep the box being typed in: no redraw while someone is writing a note.
  const focused = document.activeElement;
  if (list.contains(focused) && focused.classList.contains("board-ack-note") && focused.value) return;
  $("no-alerts").hidden = board.alerts.length > 0;
  $("alerts").dataset.count = String(board.alerts.length);
  list.replaceChildren(...board.alerts.map(alertItem));
}

// -- adjustments waiting for a second supervisor -------------------------------------------

/** An adjustment as a signed quantity: a receive or an adjust into a location adds. */
function delta(a) {
  return a.to_location ? a.quantity : -a.quantity;
}

function adjustmentSummary(a) {
  return `${a.to_location || a.from_location} · ${a.sku} · ${signed(delta(a))}`;
}

function field(name, labelKey, value) {
  const box = el("div", "board-adjust-field");
  box.dataset.field = name;
  box.append(el("dt", "", t(labelKey)), el("dd", "", value));
  return box;
}

function adjustmentItem(a) {
  const item = el("li", "board-adjust");
  item.dataset.id = String(a.id);
  item.dataset.sku = a.sku;
  item.dataset.delta = String(delta(a));
  item.dataset.sign = delta(a) < 0 ? "minus" : "plus";
  const fields = el("dl", "board-adjust-fields");
  fields.append(
    field("location", "board.adjust.location", a.to_location || a.from_location),
    field("customer", "board.adjust.customer", a.customer),
    field("sku", "board.adjust.sku", a.sku),
    field("lot", "board.adjust.lot", a.lot || "—"),
    field("quantity", "board.adjust.quantity", signed(delta(a))),
    field("reason", "board.adjust.reason", known(`reason.${a.reason}`, a.reason)),
    field("proposed_by", "board.adjust.proposed_by", a.proposed_by),
    field("proposed_at", "board.adjust.proposed_at", dateTime(a.proposed_at)),
  );
  const approve = el("button", "primary board-adjust-approve", t("board.adjust.approve"));
  approve.type = "button";
  approve.addEventListener("click", () => decideAdjustment(a, "approve"));
  const reject = el("button", "secondary danger board-adjust-reject", t("board.adjust.reject"));
  reject.type = "button";
  reject.addEventListener("click", () => decideAdjustment(a, "reject"));
  const actions = el("div", "board-adjust-actions");
  actions.append(approve, reject);
  item.append(fields, actions);
  return item;
}

function renderAdjustments() {
  const drawn = JSON.stringify([language(), adjustments]);
  if (drawn === drawnAdjustments) return;
  drawnAdjustments = drawn;
  $("adjustments").dataset.count = String(adjustments.length);
  $("no-adjustments").hidden = adjustments.length > 0;
  $("adjustment-list").replaceChildren(...adjustments.map(adjustmentItem));
}

/** Say the outcome in the section too: on a phone the banner is scrolled out of sight. */
function adjustOutcome(kind, text) {
  const line = $("adjust-outcome");
  line.hidden = false;
  line.dataset.feedback = kind;
  line.textContent = text;
}

async function decideAdjustment(a, decision) {
  const what = JSON.stringify([a.id, decision]);
  if (deciding?.what !== what) deciding = { what, key: api.newKey() };
  try {
    await api.decideAdjustment(a.id, decision, deciding.key);
    deciding = null;
    adjustments = adjustments.filter((other) => other.id !== a.id);
    renderAdjustments();
    const text = t(decision === "approve" ? "board.adjust.approved" : "board.adjust.rejected");
    adjustOutcome("good", `${text} · ${adjustmentSummary(a)}`);
    feedback.signal("good", banner, text, adjustmentSummary(a));
  } catch (err) {
    if (err.status !== 0 && err.status < 500) deciding = null;
    adjustOutcome("bad", `${errorText(err)} · ${adjustmentSummary(a)}`);
    feedback.signal("bad", banner, errorText(err), adjustmentSummary(a));
  }
  await refresh();
}

function deviceRow(kind, name, state, detail = "") {
  const item = el("li", "board-row");
  item.dataset.device = `${kind}:${name}`;
  item.dataset.state = state;
  item.append(
    el("strong", "", name),
    el("span", "chip board-device-state", known(`board.device.${state}`, state)),
    el("span", "sync-muted", detail),
  );
  return item;
}

function renderDevices() {
  const rows = board.devices.printers.map((p) => deviceRow("printer", p.name, p.state, p.detail));
  for (const [name, station] of Object.entries(board.devices.stations)) {
    rows.push(deviceRow("station", name, station.agent, station.seen_at ? dateTime(station.seen_at) : ""));
    for (const [scanner, state] of Object.entries(station.scanners || {})) {
      rows.push(deviceRow("scanner", `${name}/${scanner}`, state));
    }
  }
  if (!rows.length) rows.push(el("li", "sync-muted", t("board.devices.none")));
  $("device-list").replaceChildren(...rows);
}

function renderSync() {
  const s = board.sync;
  const boxes = [stat("backlog", s.backlog, "board.sync.backlog"), stat("lag", Math.round(s.lag_seconds), "board.sync.lag")];
  const state = !s.enabled ? "off" : s.stopped ? "stopped" : s.backlog ? "catching_up" : "up_to_date";
  $("sync").dataset.state = state;
  const chip = el("div", "stat");
  chip.dataset.stat = "state";
  chip.append(el("strong", "stat-count", t(`board.sync.${state}`)), el("span", "stat-label", t("board.sync.state")));
  $("sync-stats").replaceChildren(chip, ...boxes);
}

function renderLive() {
  const text = live.ok
    ? t("board.live", { at: live.at.toLocaleTimeString(language() === "zh" ? "zh-CN" : "en-GB", { hour12: false }) })
    : t("board.live.failed", { error: live.error });
  $("live").textContent = text;
  $("live").dataset.ok = String(live.ok);
}

function render() {
  renderLive();
  if (!board) return;
  renderFlow();
  renderWork();
  renderAdjustments();
  renderAlerts();
  renderDevices();
  renderSync();
}

// -- acknowledging and reports -------------------------------------------------------------

async function acknowledge(alert, input) {
  const note = input.value.trim();
  if (!note) {
    feedback.signal("bad", banner, t("board.ack.need_note"), alert.subject);
    input.focus();
    return;
  }
  const what = JSON.stringify([alert.id, note]);
  if (attempt?.what !== what) attempt = { what, key: api.newKey() };
  try {
    await api.ackAlert(alert.id, note, attempt.key);
    attempt = null;
    delete notes[alert.id];
    input.blur();
    feedback.signal("good", banner, t("board.ack.done"), `${kindText(alert.kind)} · ${alert.subject}`);
  } catch (err) {
    if (err.status !== 0 && err.status < 500) attempt = null;
    feedback.signal("bad", banner, errorText(err), alert.subject);
  }
  await refresh();
}

let checkKey = null; // kept until the check has an answer

async function checkNow() {
  checkKey ??= api.newKey();
  try {
    const answer = await api.sendCommand("/api/v1/alerts/check", {}, checkKey);
    checkKey = null;
    feedback.signal(
      "good",
      banner,
      t("board.check.done", { raised: answer.raised.length, cleared: answer.cleared.length }),
    );
  } catch (err) {
    if (err.status !== 0 && err.status < 500) checkKey = null;
    feedback.signal("bad", banner, errorText(err));
  }
  await refresh();
}

async function download(report, query) {
  try {
    const { blob, filename } = await api.reportCsv(report, query);
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

// -- wiring ------------------------------------------------------------------------------

function main() {
  if (!api.token()) {
    api.goToLogin();
    return;
  }
  startPage({ uploads: false, badge: false });
  document.addEventListener("languagechange", () => {
    $("adjust-outcome").hidden = true; // said in the other language
    render();
  });
  const day = param("day");
  if (day) $("day").value = day;
  $("day").addEventListener("change", () => {
    setParams({ day: chosenDay() });
    refresh();
  });
  $("throughput-csv").addEventListener("click", () => {
    download("throughput", chosenDay() ? { day: chosenDay() } : {});
  });
  $("alerts-csv").addEventListener("click", () => download("alerts", {}));
  $("check-now").addEventListener("click", checkNow);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) poll();
  });
  render();
  poll();
}

main();
