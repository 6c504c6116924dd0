// Orders and waves, for the supervisor: how many orders are at each step, the list by
// state or courier (or only the exceptions: customs holds, shorts, back-orders, open
// floor tasks), building a wave, and the open return-to-stock and inspection tasks.
// Scanning an order number, waybill or tote shows that one order in full.

import "./strings/orders.js"; // first: its strings before any use
import * as api from "./api.js";
import * as feedback from "./feedback.js";
import * as outbox from "./outbox.js";
import { errorText, t } from "./i18n.js";
import { ScanInput } from "./scan-input.js";
import { el, keepScanFocus, number, param, setParams } from "./ui.js";
import { speaker, startPage } from "./shell.js";

const $ = (id) => document.getElementById(id);
const banner = $("banner");
const said = speaker(banner);
const { note, tell } = said;

// The order states in floor order (server/db/migrations.py ORDER_STATES).
const STATES = [
  "new",
  "backorder",
  "allocated",
  "waved",
  "picking",
  "picked",
  "short",
  "packed",
  "loaded",
  "shipped",
  "cancelled",
];
// Customs list reply codes as the floor reads them (server/outbound/customs.py); the
// list rows carry only the code.
const WAITING = new Set([1, 2, 3, 4, 300, 399]);
const ACCEPTED = new Set([120]);
const RELEASED = new Set([800, 899]);
const INSPECTION = 500;

let filters = {
  state: param("state"),
  courier: param("courier"),
  exceptions: param("exceptions") === "true",
};
let couriers = new Set();
let summary = null;
let orders = [];
let tasks = [];
let wave = null; // the last wave built here: the answer, shown until the next
let scanned = null; // the order last scanned, in full
let latest = 0;

/** What customs lets the floor do with an order: waiting, accepted, released, hold, inspection. */
function customsGate(code) {
  if (code === null || code === undefined || WAITING.has(code)) return "waiting";
  if (ACCEPTED.has(code)) return "accepted";
  if (RELEASED.has(code)) return "released";
  return code === INSPECTION ? "inspection" : "hold";
}

function chip(kind, text, className = "chip") {
  const node = el("span", className, text);
  node.dataset.kind = kind;
  return node;
}

// -- rendering ----------------------------------------------------------------------------

function statButton(kind, count, label, onPick) {
  const button = el("button", "stat");
  button.type = "button";
  button.dataset.stat = kind;
  button.dataset.count = String(count);
  button.append(el("strong", "stat-count", number(count)), el("span", "stat-label", label));
  button.addEventListener("click", onPick);
  return button;
}

function renderStats() {
  if (!summary) return;
  const stats = STATES.filter((s) => summary.by_state[s]).map((s) => {
    const byState = () => setFilters({ state: s, exceptions: false });
    return statButton(s, summary.by_state[s], t(`order.state.${s}`), byState);
  });
  const openTasks = Object.values(summary.open_tasks).reduce((sum, n) => sum + n, 0);
  const exceptions = () => setFilters({ state: "", exceptions: true });
  stats.push(statButton("on_hold", summary.on_hold, t("orders.on_hold"), exceptions));
  stats.push(statButton("open_tasks", openTasks, t("orders.open_tasks"), exceptions));
  $("stats").replaceChildren(...stats);
}

function option(value, text) {
  const node = el("option", "", text);
  node.value = value;
  return node;
}

function renderFilters() {
  const stateSelect = $("filter-state");
  stateSelect.replaceChildren(
    option("", t("orders.filter.all_states")),
    ...STATES.map((s) => option(s, t(`order.state.${s}`))),
  );
  stateSelect.value = filters.state;
  const known = [...couriers].sort();
  const courierSelect = $("filter-courier");
  const courierOptions = () => known.map((c) => option(c, c));
  courierSelect.replaceChildren(option("", t("orders.filter.all_couriers")), ...courierOptions());
  courierSelect.value = filters.courier;
  const waveCourier = $("wave-courier");
  const chosen = waveCourier.value;
  waveCourier.replaceChildren(option("", t("orders.wave.any_courier")), ...courierOptions());
  waveCourier.value = known.includes(chosen) ? chosen : "";
  $("filter-exceptions").setAttribute("aria-pressed", String(filters.exceptions));
}

/** The customs and floor flags of an order (list row or full view). */
function flags(row) {
  const parts = [];
  const gate = customsGate(row.customs_status);
  const code = row.customs_status ?? "";
  const customs = chip(gate, t(`customs.${gate}`, { code }));
  customs.classList.add("customs");
  parts.push(customs);
  if (row.blocked) parts.push(chip("blocked", t(`blocked.${row.blocked}`), "chip blocked"));
  if (row.tote) parts.push(el("span", "order-tote", t("orders.tote", { tote: row.tote })));
  if (row.wave) parts.push(el("span", "order-wave", t("orders.wave", { wave: row.wave })));
  return parts;
}

function orderElement(row) {
  const item = el("li", "order-row");
  item.dataset.orderNo = row.order_no;
  item.dataset.state = row.state;
  item.dataset.customs = String(row.customs_status ?? "");
  item.dataset.blocked = row.blocked || "";
  item.dataset.wave = row.wave || "";
  item.dataset.tote = row.tote || "";
  const top = el("p", "order-top");
  top.append(el("strong", "order-no", row.order_no), chip(row.state, t(`order.state.${row.state}`)));
  const meta = el("p", "order-meta", `${row.customer} · ${row.courier} · ${row.waybill_no}`);
  const flagged = el("p", "order-flags");
  flagged.append(...flags(row));
  if (row.open_tasks) {
    flagged.append(el("span", "tag", `${t("orders.open_tasks")} ${number(row.open_tasks)}`));
  }
  item.append(top, meta, flagged);
  return item;
}

function taskElement(task) {
  const item = el("li", "order-row task-row");
  item.dataset.taskId = String(task.id);
  item.dataset.kind = task.kind;
  item.dataset.orderNo = task.order_no;
  const kind = t(`task.kind.${task.kind}`);
  item.append(
    el("p", "order-top", t("orders.task", { kind, order_no: task.order_no })),
    el("p", "order-meta", `${task.source || "—"} → ${task.target || "—"}`),
  );
  return item;
}

function codeItem(orderNo, code) {
  const item = el("li");
  item.dataset.orderNo = orderNo;
  if (code) item.dataset.code = code;
  item.textContent = code ? `${orderNo} · ${errorText({ code, details: { order_no: orderNo } })}` : orderNo;
  return item;
}

function waveText(built) {
  if (!built.wave_no) return t("orders.wave.none");
  const counts = { wave_no: built.wave_no, orders: number(built.orders), tasks: number(built.tasks) };
  return t("orders.wave.built", counts);
}

function renderWave() {
  $("wave-result").hidden = !wave;
  if (!wave) return;
  const result = $("wave-result");
  result.dataset.waveNo = wave.wave_no || "";
  result.dataset.orders = String(wave.orders);
  $("wave-result-text").textContent = waveText(wave);
  $("wave-orders").replaceChildren(...(wave.members || []).map((no) => codeItem(no, "")));
  const backordered = wave.backordered || [];
  const skipped = wave.skipped || [];
  $("wave-backordered-title").hidden = backordered.length === 0;
  const count = (list) => ({ count: number(list.length) });
  $("wave-backordered-title").textContent = t("orders.wave.backordered", count(backordered));
  $("wave-backordered").replaceChildren(...backordered.map((no) => codeItem(no, "")));
  $("wave-skipped-title").hidden = skipped.length === 0;
  $("wave-skipped-title").textContent = t("orders.wave.skipped", count(skipped));
  $("wave-skipped").replaceChildren(...skipped.map((s) => codeItem(s.order_no, s.code)));
}

function renderDetail() {
  $("detail").hidden = !scanned;
  if (!scanned) return;
  const detail = scanned;
  $("detail").dataset.orderNo = detail.order_no;
  $("detail").dataset.state = detail.state;
  $("detail-no").textContent = detail.order_no;
  $("detail-flags").replaceChildren(chip(detail.state, t(`order.state.${detail.state}`)), ...flags(detail));
  $("detail-meta").textContent = `${detail.customer} · ${detail.courier} · ${detail.waybill_no}`;
  const lineText = (line) => `${t("orders.detail.lines", line)} ${line.sku_name}`;
  $("detail-lines").replaceChildren(...detail.lines.map((line) => el("li", "", lineText(line))));
  const parcel = detail.parcel;
  $("detail-parcel").hidden = !parcel;
  if (parcel) {
    $("detail-parcel").textContent = t("orders.detail.parcel", { ...parcel, lane: parcel.lane || "—" });
  }
  $("detail-tasks").replaceChildren(
    ...detail.tasks.map((task) => {
      const kind = t(`task.kind.${task.kind}`);
      return el("li", "", `${kind} · ${task.status} · ${task.source || "—"} → ${task.target || "—"}`);
    }),
  );
}

function render() {
  renderStats();
  renderFilters();
  renderWave();
  renderDetail();
  $("orders-title").textContent = t("orders.list", { count: number(orders.length) });
  $("orders").replaceChildren(...orders.map(orderElement));
  $("orders-empty").hidden = orders.length > 0;
  $("tasks").replaceChildren(...tasks.map(taskElement));
  $("tasks-empty").hidden = tasks.length > 0;
}

// -- loading ------------------------------------------------------------------------------

async function load() {
  const mine = ++latest;
  try {
    const query = { state: filters.state, courier: filters.courier, exceptions: filters.exceptions || "" };
    const [counts, rows, open] = await Promise.all([
      api.orderSummary(),
      api.listOrders(query),
      api.openOrderTasks(),
    ]);
    if (mine !== latest) return;
    summary = counts;
    orders = rows;
    tasks = open;
    for (const row of rows) couriers.add(row.courier);
    document.body.dataset.loaded = String(mine);
    render();
  } catch (err) {
    if (mine !== latest) return;
    tell("bad", () => errorText(err));
  }
}

async function learnCouriers() {
  // The couriers of the wave form and the filter come from the orders themselves.
  try {
    const rows = await api.listOrders({ limit: 1000 });
    for (const row of rows) couriers.add(row.courier);
    renderFilters();
  } catch {
    // The filtered list adds its couriers as it loads.
  }
}

function setFilters(change) {
  filters = { ...filters, ...change };
  setParams({ state: filters.state, courier: filters.courier, exceptions: filters.exceptions ? "true" : "" });
  load();
}

// -- building a wave ----------------------------------------------------------------------

async function buildWave() {
  const body = {};
  const courier = $("wave-courier").value;
  if (courier) body.courier = courier;
  const maxText = $("wave-max").value.trim();
  if (maxText) {
    const most = Number(maxText);
    if (!Number.isInteger(most) || most < 1) {
      tell("bad", () => t("orders.wave.max.bad"), () => maxText);
      return;
    }
    body.max_orders = most;
  }
  const what = [courier || t("orders.wave.any_courier"), maxText].filter(Boolean).join(" · ");
  note("pending", () => t("common.sending"), () => what);
  try {
    const answer = await outbox.submit("/api/v1/waves", body);
    if (answer.queued) {
      tell("info", () => t("common.queued"), () => what);
      return;
    }
    wave = answer.result;
    render();
    const built = wave;
    tell(built.wave_no ? "good" : "bad", () => waveText(built), () => what);
    await Promise.all([load(), built.wave_no && listMembers(built)]);
  } catch (err) {
    wave = null;
    render();
    tell("bad", () => errorText(err), () => what);
  }
}

/** The orders a wave took (its answer only counts them). */
async function listMembers(built) {
  try {
    const rows = await api.listOrders({ state: "waved", limit: 1000 });
    built.members = rows.filter((row) => row.wave === built.wave_no).map((row) => row.order_no);
    if (wave === built) renderWave();
  } catch {
    // The count is on screen; the list below shows the waved orders too.
  }
}

// -- a scanned order ----------------------------------------------------------------------

async function lookUp(code) {
  const mine = ++latest;
  note("pending", () => t("common.loading"), () => code);
  try {
    const found = await api.lookupOrder(code);
    if (mine !== latest) return;
    scanned = found;
    render();
    const state = () => t(`order.state.${found.state}`);
    const text = () => t("orders.found", { order_no: found.order_no, state: state() });
    const blocked = () => (found.blocked ? t(`blocked.${found.blocked}`) : code);
    tell(found.blocked ? "intercept" : "good", text, blocked);
  } catch (err) {
    if (mine !== latest) return;
    tell("bad", () => errorText(err), () => code);
  }
}

// -- wiring -------------------------------------------------------------------------------

function relabel() {
  render();
  said.redo();
}

async function main() {
  startPage({ onLanguage: relabel });
  const scanInput = new ScanInput($("scan-form"), { onScan: lookUp });
  outbox.onUploaded(load);
  keepScanFocus(scanInput, []); // Enter in the wave's "most orders" builds the wave
  $("filter-state").addEventListener("change", (e) => setFilters({ state: e.target.value }));
  $("filter-courier").addEventListener("change", (e) => setFilters({ courier: e.target.value }));
  $("filter-exceptions").addEventListener("click", () => setFilters({ exceptions: !filters.exceptions }));
  $("refresh").addEventListener("click", load);
  $("detail-close").addEventListener("click", () => {
    scanned = null;
    render();
  });
  $("wave-form").addEventListener("submit", (e) => {
    e.preventDefault();
    buildWave();
  });
  render();
  scanInput.focus();

  try {
    const [, config] = await Promise.all([api.me(), api.clientConfig().catch(() => null)]);
    scanInput.configure(config?.scan);
  } catch (err) {
    tell("bad", () => errorText(err));
  }
  await Promise.all([load(), learnCouriers()]);
}

main();
