// A station's own screen (the PC at a pack bench, the printer station, a dock door, or a
// phone): every scan of its fixed scanner as it happens, and what is open there.
//
// `station.html?name=pack-02` shows one station; without `name` the stations are listed
// and the choice is remembered on the device. The page asks for new scans every second
// (`scans?after=<last id>`), newest on top, refused ones red, with the good or bad sound
// for each scan made after the page opened; the station itself (who is signed in, the
// open order, its agent) is read again after every new scan and every few seconds.
//
//   pack bench       the open order with packed/ordered per item; all in: weigh and pack.
//                    Where the station names a scale, its live weight shows and one tap
//                    takes the stable weight (bench-scale.js, as on the packing page); a
//                    weight outside the order's expected range is refused once with the
//                    range, and the packer weighs again or confirms it
//   printer station  the last parcel scanned with its labels, and a reprint with a reason
//   dock door        the truck loading there (plate, loaded/planned), links to the dock
//                    check-out and the door's screen; the fixed scanner checks out: the
//                    plate opens the list, then the driver's ID number, the seal, parcels
//
// A scan typed or wedge-scanned here goes to the station like one of its fixed scanner
// (through the outbox: it keeps its place in line when the Wi-Fi drops). Signing in and
// out and packing are sent at once or not at all: the pack call weighs whatever order is
// open at the bench when it arrives, so it must never be replayed later from a queue.

import "./strings/station.js"; // first: its strings before any use
import * as api from "./api.js";
import * as feedback from "./feedback.js";
import * as outbox from "./outbox.js";
import { errorText, language, t } from "./i18n.js";
import { ScanInput, showScanPrompt } from "./scan-input.js";
import { dateTime, el, keepScanFocus, number, param, setParams } from "./ui.js";
import { speaker, startPage } from "./shell.js";
import { BenchScale, showExpectedWeight, showWeightWarning } from "./bench-scale.js";

const $ = (id) => document.getElementById(id);
const banner = $("banner");
const said = speaker(banner);
const { note, tell } = said;
const weightField = $("weight");

const CHOICE_KEY = "bondfloor.station.page";
const POLL_MS = 1000;
const VIEW_EVERY = 5; // polls between two readings of the station when no scan came
const JOBS_EVERY = 2; // polls between two readings of the labels still printing
const FIRST_SCANS = 50; // scans shown when the page opens
const KEEP_SCANS = 200; // scans kept on the page
const MAX_WEIGHT_G = 1_000_000;
// The order must not go on: the intercept alarm, not the ordinary refusal.
const STOPPED = new Set([
  "ORDER_CANCELLED",
  "ORDER_INSPECTION",
  "ORDER_ON_HOLD",
  "PARCEL_CANCELLED",
  "PARCEL_ON_HOLD",
]);
const REASONS = ["damaged", "unreadable", "wrong_parcel", "lost"];
const WAITING = new Set(["queued", "sending"]);
// Who may work at each kind of station (server/stations/service.py STATION_ROLES); others
// only watch: no sign-in button, no scan field.
const WORKERS = {
  pack_bench: ["packer", "supervisor", "admin"],
  printer_station: ["packer", "supervisor", "admin"],
  dock_door: ["dock", "supervisor", "admin"],
};

let scanInput = null;
let me = null; // the logged-in user
let name = ""; // the station shown
let view = null; // the station as the server last said
let scans = []; // its scans, oldest first
let seen = new Set(); // scan ids on the page
let lastId = 0; // the newest scan id the feed has asked for
let baseline = 0; // scans above this id came after the page opened: they sound
let generation = 0; // bumped when another station is opened: late answers are dropped
let viewAsked = 0;
let polls = 0;
let timer = null;
let live = { ok: false, at: null, error: "" };
let done = null; // the parcel packed on this page: {waybill_no, lane, print_job}
let packAttempt = null; // {orderNo, weight, confirmed, key}: a retry of the same pack replays its answer
let packing = false; // a pack is on its way: the take button waits
let weightWarn = null; // {orderNo, weight, details}: outside the expected range, waits for a confirm
let scale = null; // the bench's scale, where the station names one (bench-scale.js)
let reprints = []; // copies queued from this page: [{waybill_no, job}]
let jobUpdates = new Map(); // job id -> the job as last read
let reprintOpen = false;
let reason = "";
let atDoor = null; // a dock door's loading list, as the door last said (null: none)

function newKey() {
  const random = crypto.getRandomValues(new Uint32Array(2));
  return `${api.deviceId()}-${Date.now().toString(36)}-${random[0].toString(36)}${random[1].toString(36)}`;
}

function stationPath(suffix) {
  return `/api/v1/stations/${encodeURIComponent(name)}/${suffix}`;
}

/** A server time as the clock on the wall says it; with the date when it is not today. */
function clock(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  if (d.toDateString() !== new Date().toDateString()) return dateTime(iso);
  return d.toLocaleTimeString(language() === "zh" ? "zh-CN" : "en-GB", { hour12: false });
}

/** The last item of `list` that passes `test` (older handheld browsers lack findLast). */
function lastOf(list, test = () => true) {
  for (let i = list.length - 1; i >= 0; i -= 1) if (test(list[i])) return list[i];
  return undefined;
}

function chip(kind, text, className = "chip") {
  const node = el("span", className, text);
  node.dataset.kind = kind;
  return node;
}

function remembered() {
  try {
    return localStorage.getItem(CHOICE_KEY) || "";
  } catch {
    return "";
  }
}

function remember(value) {
  try {
    if (value) localStorage.setItem(CHOICE_KEY, value);
    else localStorage.removeItem(CHOICE_KEY);
  } catch {
    // Private mode: the station is remembered for this page only.
  }
}

// -- what a scan says ---------------------------------------------------------------------

/** The text of a server refusal; at a bench, a lot mismatch is about the tote. */
function refusalText(error) {
  if (error.code === "LOT_MISMATCH" && error.details?.sku) return t("pack.lot_mismatch", error.details);
  if (error.code === "PACK_INCOMPLETE") {
    const missing = (error.details?.missing || []).map((m) => `${m.sku} × ${number(m.missing)}`).join(", ");
    return missing ? `${errorText(error)} · ${t("pack.incomplete", { missing })}` : errorText(error);
  }
  return errorText(error);
}

function scanText(scan) {
  const effect = scan.effect || {};
  if (scan.outcome === "refused") {
    return refusalText({ code: scan.error_code, message: scan.message, details: effect.details || {} });
  }
  switch (scan.action) {
    case "sign_in":
      return t("station.msg.sign_in", { name: effect.name || effect.user || "", user: effect.user || "" });
    case "open":
      return t("station.msg.open", { order_no: effect.order?.order_no || scan.code });
    case "pack_scan": {
      const counts = { sku: effect.sku, packed: number(effect.packed), ordered: number(effect.ordered) };
      const text = t("pack.scanned", counts);
      return effect.complete ? `${text} · ${t("pack.complete")}` : text;
    }
    case "lookup":
      return t("station.msg.lookup", { waybill_no: effect.waybill_no, count: number((effect.jobs || []).length) });
    case "open_list":
      return t("station.msg.open_list", { list_no: effect.list?.list_no || "", plate: effect.list?.plate || scan.code });
    case "driver_id":
      return t("station.msg.driver_id");
    case "seal":
      return t("station.msg.seal", { seal: scan.code });
    case "load": {
      const counts = t("dock.loaded.count", {
        loaded: number(effect.list?.loaded ?? 0),
        planned: number(effect.list?.planned ?? 0),
      });
      const key = effect.outcome === "duplicate" ? "dock.duplicate" : "dock.loaded";
      return `${t(key, { waybill_no: effect.waybill_no || scan.code })} · ${counts}`;
    }
    default:
      return scan.message || "";
  }
}

function scanKind(scan) {
  // A parcel scanned onto the truck a second time: a notice, not a second count.
  if (scan.outcome !== "refused") return scan.effect?.outcome === "duplicate" ? "notice" : "good";
  return STOPPED.has(scan.error_code) ? "intercept" : "bad";
}

// -- the feed -----------------------------------------------------------------------------

function feedRow(scan, newest) {
  const row = el("li", "feed-row");
  row.dataset.scanId = String(scan.id);
  row.dataset.outcome = scan.outcome;
  row.dataset.action = scan.action;
  row.dataset.code = scan.code;
  if (scan.error_code) row.dataset.errorCode = scan.error_code;
  row.toggleAttribute("data-newest", newest);
  const top = el("div", "feed-top");
  const time = el("time", "feed-time", clock(scan.scanned_at || scan.received_at));
  time.dateTime = scan.scanned_at || scan.received_at || "";
  top.append(
    time,
    chip(scan.action, t(`station.action.${scan.action}`), "chip feed-action"),
    chip(scan.outcome, t(`station.outcome.${scan.outcome}`), "chip feed-outcome"),
  );
  const who = [scan.scanner || t("station.feed.page"), scan.user_code].filter(Boolean).join(" · ");
  row.append(
    top,
    el("span", "feed-code", scan.code),
    el("p", "feed-message", scanText(scan)),
    el("span", "feed-who", who),
  );
  return row;
}

function renderFeed() {
  const newestFirst = [...scans].reverse();
  $("scan-feed").replaceChildren(...newestFirst.map((scan, i) => feedRow(scan, i === 0)));
  $("feed-empty").hidden = scans.length > 0;
}

/** Take scans into the feed (each once); those made after the page opened sound. */
function addScans(list) {
  const fresh = list.filter((scan) => !seen.has(scan.id));
  if (!fresh.length) return [];
  for (const scan of fresh) seen.add(scan.id);
  scans = [...scans, ...fresh].sort((a, b) => a.id - b.id).slice(-KEEP_SCANS);
  if (fresh.some((scan) => scan.action === "open" && scan.outcome === "ok")) done = null;
  if (fresh.some((scan) => scan.action === "lookup")) closeReprint();
  renderFeed();
  const heard = fresh.filter((scan) => scan.id > baseline);
  if (heard.length) announce(heard);
  return fresh;
}

/** One sound for the scans that just came: the worst of them, and what it said. */
function announce(heard) {
  const kinds = heard.map(scanKind);
  const kind = ["intercept", "bad", "notice", "good"].find((k) => kinds.includes(k));
  const scan = lastOf(heard, (s) => scanKind(s) === kind);
  tell(kind, () => scanText(scan), () => scan.code);
}

// -- the station --------------------------------------------------------------------------

function agentState(agent) {
  // The server says, by its own clock: a handheld's clock may be off.
  return agent?.state === "never seen" ? "never" : agent?.state || "never";
}

function deviceChip(kind, deviceName, report) {
  const state = report?.state || "unknown";
  const key = kind === "printers" ? `printers.state.${state}` : `station.scanner.${state}`;
  const label = t(key) === key ? state : t(key);
  const node = chip(state, t("station.device", { name: deviceName, state: label }), "chip agent-device");
  node.dataset.device = deviceName;
  node.dataset.state = state;
  if (report?.detail) node.title = report.detail;
  return node;
}

function renderHead() {
  if (!view) return;
  $("station-name").textContent = view.name;
  const kind = $("station-kind");
  kind.dataset.kind = view.kind;
  kind.textContent = t(`station.kind.${view.kind}`);
  document.body.dataset.kind = view.kind;

  const user = view.user;
  const who = $("station-user");
  who.dataset.user = user?.code || "";
  who.textContent = user
    ? t("station.user", { name: user.name || user.code, code: user.code })
    : t("station.user.none");
  const mayWork = Boolean(me?.roles?.some((role) => (WORKERS[view.kind] || []).includes(role)));
  $("sign-in").hidden = !mayWork || user?.code === me.code;
  $("scan-form").hidden = !mayWork;
  $("sign-out").hidden = !user;

  const agent = view.agent || {};
  const state = agentState(agent);
  const box = $("agent-state");
  box.dataset.state = state;
  const lines = {
    online: () => t("station.agent.online", { version: agent.version || "—" }),
    offline: () => t("station.agent.offline", { time: clock(agent.seen_at) }),
    never: () => t("station.agent.never"),
  };
  $("agent-line").textContent = lines[state]();
  const devices = agent.devices || {};
  const chips = [
    ...Object.entries(devices.scanners || {}).map(([n, r]) => deviceChip("scanners", n, r)),
    ...Object.entries(devices.printers || {}).map(([n, r]) => deviceChip("printers", n, r)),
  ];
  $("agent-devices").replaceChildren(...chips);
  $("agent-devices").hidden = chips.length === 0 || state === "never";
  const buffered = Number(devices.buffered_scans || 0);
  $("agent-buffered").hidden = !(buffered > 0);
  $("agent-buffered").dataset.count = String(buffered);
  $("agent-buffered").textContent = buffered > 0 ? t("station.agent.buffered", { count: number(buffered) }) : "";

  const hint = t(`station.hint.${view.kind}`);
  showScanPrompt($("scan"), hint);
}

/** The order's lines per SKU (packing counts per SKU; one SKU may stand on two lines). */
function itemsOf(order) {
  const bySku = new Map();
  for (const line of order.lines) {
    const item = bySku.get(line.sku) || { sku: line.sku, name: line.sku_name, ordered: 0, packed: 0 };
    item.ordered += line.quantity;
    item.packed = line.packed; // already per SKU
    bySku.set(line.sku, item);
  }
  return [...bySku.values()];
}

function lineElement(item, lastSku) {
  const row = el("tr", "tally-line pack-line");
  row.dataset.sku = item.sku;
  row.dataset.packed = String(item.packed);
  row.dataset.ordered = String(item.ordered);
  row.dataset.state = item.packed >= item.ordered ? "match" : item.packed > 0 ? "partial" : "open";
  row.toggleAttribute("data-last", item.sku === lastSku);
  const what = el("td", "tally-item");
  what.append(el("span", "tally-sku", item.sku), el("span", "tally-name", item.name));
  row.append(what, el("td", "num pack-count", `${number(item.packed)} / ${number(item.ordered)}`));
  return row;
}

/** The SKU of the newest good pack scan of this order, to mark its line. */
function lastPackedSku(order) {
  const scan = lastOf(scans, (s) => s.action === "pack_scan" && s.outcome === "ok");
  return scan && scan.effect?.order?.order_no === order.order_no ? scan.effect.sku : "";
}

function renderOrder() {
  const panel = $("order");
  panel.hidden = view.kind !== "pack_bench";
  if (panel.hidden) return;
  const order = view.order;
  $("order-empty").hidden = Boolean(order);
  $("order-empty").textContent = view.user ? t("station.order.none") : t("station.order.no_user");
  $("order-body").hidden = !order;
  if (!order) {
    delete panel.dataset.orderNo;
    $("weigh").hidden = true;
    weightWarn = null;
    scale.setActive(false, false);
    return;
  }
  if (panel.dataset.orderNo !== order.order_no) weightField.value = "";
  if (weightWarn && weightWarn.orderNo !== order.order_no) weightWarn = null;
  panel.dataset.orderNo = order.order_no;
  panel.dataset.state = order.state;
  $("order-no").textContent = order.order_no;
  const state = $("order-state");
  state.dataset.kind = order.state;
  state.textContent = t(`order.state.${order.state}`);
  $("order-tote").textContent = order.tote ? t("orders.tote", { tote: order.tote }) : "—";
  $("order-waybill").textContent = t("pack.courier", { courier: order.courier, waybill_no: order.waybill_no });
  const items = itemsOf(order);
  $("lines-body").replaceChildren(...items.map((item) => lineElement(item, lastPackedSku(order))));
  const complete = items.every((item) => item.packed >= item.ordered);
  const weighing = complete && order.state === "picked";
  $("weigh").hidden = !weighing;
  showExpectedWeight($("expected"), view.expected_weight);
  renderWeightWarning();
  scale.setStation(view.name);
  // Only a station that names a scale asks for its weight: elsewhere the weight is typed.
  scale.setActive(Boolean(view.scales?.length), weighing && !packing);
}

/** A weight outside the order's expected range: the range in words and the confirm. */
function renderWeightWarning() {
  showWeightWarning(weightWarn?.details);
}

/** The scale's stable weight into the weight field (the packer's tap). */
function takeWeight() {
  const grams = scale.stableGrams();
  if (grams === null || $("weigh").hidden) return;
  weightField.value = String(grams);
  weightWarn = null;
  renderWeightWarning();
  $("pack-submit").focus();
}

function renderDone() {
  const panel = $("done");
  panel.hidden = !done || view.kind !== "pack_bench";
  if (panel.hidden) return;
  panel.dataset.waybill = done.waybill_no;
  panel.toggleAttribute("data-queued", Boolean(done.queued));
  $("done-waybill").textContent = done.waybill_no;
  $("done-lane").textContent = done.lane ? t("pack.done.lane", { lane: done.lane }) : "";
  $("done-print").dataset.printer = done.print_job?.printer || "";
  $("done-print").textContent = done.print_job ? t("pack.done.print", { printer: done.print_job.printer }) : "";

  const last = view.last_parcel;
  const line = $("last-parcel");
  line.hidden = !last || view.kind !== "pack_bench";
  if (last) {
    line.dataset.waybill = last.waybill_no;
    const facts = { ...last, weight: number(last.weight_g), time: clock(last.packed_at) };
    line.textContent = t("station.last_parcel", facts);
  }
}

// -- the printer station's lookup ---------------------------------------------------------

function shownLookup() {
  return lastOf(scans, (s) => s.action === "lookup") || null;
}

/** The parcel's labels: as the lookup found them, copies made here since, fresh states. */
function lookupJobs(scan) {
  const effect = scan.effect || {};
  const jobs = new Map((effect.jobs || []).map((job) => [job.id, job]));
  for (const made of reprints) {
    if (made.waybill_no === effect.waybill_no && !jobs.has(made.job.id)) jobs.set(made.job.id, made.job);
  }
  const listed = [...jobs.values()].map((job) => ({ ...job, ...(jobUpdates.get(job.id) || {}) }));
  listed.sort((a, b) => a.id - b.id);
  const copies = new Map();
  return listed.map((job) => {
    if (!job.copy_of) return { ...job, copy: 0 };
    const copy = (copies.get(job.copy_of) || 0) + 1;
    copies.set(job.copy_of, copy);
    return { ...job, copy };
  });
}

function jobRow(job) {
  const row = el("li", "job-row lookup-job");
  row.dataset.jobId = String(job.id);
  row.dataset.status = job.status;
  row.dataset.printer = job.printer;
  row.dataset.copy = String(job.copy);
  const box = el("div", "job-open");
  const top = el("span", "job-top");
  top.append(el("strong", "job-waybill", t("printers.job.no", { id: job.id })));
  top.append(chip("printer", job.printer));
  top.append(
    job.copy
      ? chip("copy", t("printers.job.copy", { copy: job.copy }))
      : chip("original", t("station.lookup.original")),
  );
  top.append(chip(job.status, t(`printers.job.status.${job.status}`), "chip job-status"));
  box.append(top);
  const user = (job.created_by || "").replace(/^user:/, "");
  box.append(el("span", "job-facts", t("printers.job.made", { user, time: clock(job.done_at || job.created_at) })));
  if (job.reason) box.append(el("span", "job-reason", t("printers.job.reason", { reason: job.reason })));
  if (job.last_error) box.append(el("span", "job-error", t("printers.job.error", { error: job.last_error })));
  row.append(box);
  return row;
}

function renderReasons() {
  const buttons = REASONS.map((key) => {
    const button = el("button", "reason-preset", t(`printers.reason.${key}`));
    button.type = "button";
    button.dataset.reason = key;
    button.setAttribute("aria-pressed", String(reason === key));
    return button;
  });
  $("reasons").replaceChildren(...buttons);
}

function renderLookup() {
  const panel = $("lookup");
  panel.hidden = view.kind !== "printer_station";
  if (panel.hidden) return;
  const scan = shownLookup();
  const found = scan && scan.outcome === "ok";
  $("lookup-empty").hidden = Boolean(scan);
  $("lookup-error").hidden = !scan || found;
  $("lookup-body").hidden = !found;
  panel.dataset.scanId = scan ? String(scan.id) : "";
  panel.dataset.outcome = scan ? scan.outcome : "";
  if (!scan) return;
  if (!found) {
    panel.dataset.waybill = "";
    $("lookup-error").textContent = `${scan.code}: ${scanText(scan)}`;
    return;
  }
  const effect = scan.effect;
  panel.dataset.waybill = effect.waybill_no;
  $("lookup-waybill").textContent = effect.waybill_no;
  const state = t(`order.state.${effect.order_state}`);
  $("lookup-order").textContent = t("station.lookup.order", { order_no: effect.order_no, state });
  $("lookup-jobs").replaceChildren(...lookupJobs(scan).map(jobRow));
  $("reprint-open").hidden = reprintOpen;
  $("reprint-form").hidden = !reprintOpen;
}

function openReprint() {
  reprintOpen = true;
  reason = "";
  $("reprint-note").value = "";
  renderReasons();
  renderLookup();
}

function closeReprint() {
  reprintOpen = false;
  reason = "";
  $("reprint-note").value = "";
}

function reasonText() {
  const typed = $("reprint-note").value.trim();
  const preset = reason ? t(`printers.reason.${reason}`) : "";
  return [preset, typed].filter(Boolean).join(language() === "zh" ? "：" : ": ");
}

async function reprint() {
  const scan = shownLookup();
  if (!scan || scan.outcome !== "ok") return;
  const waybill = scan.effect.waybill_no;
  const why = reasonText();
  if (!why) {
    tell("bad", () => t("printers.reprint.need_reason"), () => waybill);
    $("reprint-note").focus();
    return;
  }
  // At the printer station the copy comes out of the station's own printer.
  const body = { scan: waybill, reason: why };
  if (view.printers?.length) body.printer = view.printers[0];
  const submit = $("reprint-submit");
  submit.disabled = true;
  note("pending", () => t("common.sending"), () => waybill);
  try {
    const answer = await outbox.submit("/api/v1/print-jobs/reprint", body);
    closeReprint();
    if (answer.queued) {
      tell("info", () => t("common.queued"), () => waybill);
    } else {
      const made = answer.result;
      const job = {
        id: made.id,
        printer: made.printer,
        status: made.status,
        copy_of: made.copy_of,
        reason: why,
        created_by: me ? `user:${me.code}` : "",
        created_at: new Date().toISOString(),
      };
      reprints.push({ waybill_no: waybill, job });
      tell("good", () => t("printers.reprint.queued", made), () => t("printers.reprint.detail", made));
    }
    render();
  } catch (err) {
    const kind = err.code === "ORDER_CANCELLED" ? "intercept" : "bad";
    tell(kind, () => refusalText(err), () => waybill);
  } finally {
    submit.disabled = false;
    scanInput.focus();
  }
}

/** Read again the labels of the shown parcel that are still waiting to print. */
async function refreshJobs(mine) {
  const scan = view?.kind === "printer_station" ? shownLookup() : null;
  if (!scan || scan.outcome !== "ok") return;
  const waiting = lookupJobs(scan).filter((job) => WAITING.has(job.status)).slice(0, 5);
  if (!waiting.length) return;
  const read = await Promise.all(waiting.map((job) => api.getPrintJob(job.id).catch(() => null)));
  if (mine !== generation) return;
  for (const job of read) if (job) jobUpdates.set(job.id, job);
  renderLookup();
}

// -- the whole page -----------------------------------------------------------------------

function renderLive() {
  const line = $("live");
  line.dataset.live = live.ok ? "ok" : "lost";
  if (live.ok) line.textContent = t("station.live", { time: clock(live.at.toISOString()) });
  else line.textContent = live.error ? t("station.live.lost", { error: live.error }) : t("common.loading");
}

function render() {
  if (!view) return;
  renderHead();
  renderOrder();
  renderDone();
  renderLookup();
  renderDock();
  renderLive();
}

/** A dock door: the truck loading there, and where the worker and the screen go. */
function renderDock() {
  const panel = $("dock");
  panel.hidden = view.kind !== "dock_door";
  if (panel.hidden) return;
  const loading = atDoor?.name === view.name ? atDoor.list : null;
  $("dock-list").dataset.listId = loading ? String(loading.id) : "";
  $("dock-list").textContent = loading
    ? t("station.dock.list", {
        list_no: loading.list_no,
        plate: loading.plate,
        loaded: number(loading.loaded),
        planned: number(loading.planned),
      })
    : t("station.dock.none");
  $("dock-handheld").href = loading ? `dock.html?list=${encodeURIComponent(loading.id)}` : "dock.html";
  $("dock-screen").href = `dock-screen.html?door=${encodeURIComponent(view.name)}`;
}

/** Read the station again after a change made here; the next poll tries again if this fails. */
function refreshSoon() {
  refreshView().catch(() => {});
}

async function refreshView(mine = generation) {
  const asked = ++viewAsked;
  const fresh = await api.getStation(name);
  const door = fresh.kind === "dock_door" ? await api.dockDoor(fresh.name).catch(() => null) : null;
  if (mine !== generation || asked !== viewAsked) return; // a newer reading is on its way
  view = fresh;
  if (door) atDoor = { name: fresh.name, list: door.list };
  render();
}

async function poll() {
  const mine = generation;
  timer = null;
  polls += 1;
  try {
    const fresh = await api.stationScans(name, lastId, 100);
    if (mine !== generation) return;
    if (fresh.length) lastId = Math.max(lastId, lastOf(fresh).id);
    const added = addScans(fresh);
    live = { ok: true, at: new Date(), error: "" };
    if (added.length || polls % VIEW_EVERY === 0) await refreshView(mine);
    if (polls % JOBS_EVERY === 0) await refreshJobs(mine);
  } catch (err) {
    if (mine !== generation) return;
    live = { ok: false, at: null, error: errorText(err) };
  }
  renderHead(); // the agent turns offline by the clock, not by a change
  renderLive();
  if (mine === generation) timer = setTimeout(poll, POLL_MS);
}

function stopPolling() {
  generation += 1;
  scale?.setActive(false, false);
  clearTimeout(timer);
  timer = null;
}

/** Show one station: what it is now and its latest scans, then follow it. */
async function openStation(target) {
  stopPolling();
  const mine = generation;
  name = target;
  view = null;
  scans = [];
  seen = new Set();
  lastId = 0;
  polls = 0;
  done = null;
  packAttempt = null;
  weightWarn = null;
  reprints = [];
  jobUpdates = new Map();
  atDoor = null;
  closeReprint();
  $("chooser").hidden = true;
  note("pending", () => t("common.loading"), () => target);
  try {
    const [station, first] = await Promise.all([api.getStation(target), api.stationScans(target, 0, FIRST_SCANS)]);
    if (mine !== generation) return;
    view = station;
    lastId = first.length ? lastOf(first).id : 0;
    baseline = lastId; // what was scanned before the page opened makes no sound
    addScans(first);
    remember(target);
    setParams({ name: target });
    said.clear();
    live = { ok: true, at: new Date(), error: "" };
    $("station-top").hidden = false;
    $("station-body").hidden = false;
    render();
    if (station.kind === "dock_door") refreshSoon(); // the truck at the door, now
    scanInput.focus();
    timer = setTimeout(poll, POLL_MS);
  } catch (err) {
    if (mine !== generation) return;
    if (err.code === "STATION_UNKNOWN") {
      if (remembered() === target) remember("");
      setParams({ name: null });
      await showChooser();
      const known = (err.details?.known || []).join(", ");
      tell("bad", () => errorText(err), () => (known ? t("station.known", { known }) : ""));
      return;
    }
    tell("bad", () => errorText(err), () => target);
    timer = setTimeout(() => openStation(target), 3000); // the server is away: try again
  }
}

function choiceButton(station) {
  const button = el("button", "station-choice");
  button.type = "button";
  button.dataset.station = station.name;
  button.dataset.kind = station.kind;
  if (station.name === remembered()) button.setAttribute("aria-current", "true");
  const top = el("span", "station-choice-top");
  top.append(el("strong", "station-choice-name", station.name), chip(station.kind, t(`station.kind.${station.kind}`)));
  const user = station.user
    ? t("station.choice.user", { name: station.user.name || station.user.code })
    : t("station.choice.nobody");
  button.append(top, el("span", "station-choice-user", user));
  const item = el("li");
  item.append(button);
  return item;
}

let listed = [];

function renderChooser() {
  $("station-list").replaceChildren(...listed.map(choiceButton));
  $("station-list-empty").hidden = listed.length > 0;
}

async function showChooser() {
  stopPolling();
  view = null;
  name = "";
  $("station-top").hidden = true;
  $("station-body").hidden = true;
  $("chooser").hidden = false;
  try {
    listed = await api.listStations();
  } catch (err) {
    listed = [];
    tell("bad", () => errorText(err));
  }
  renderChooser();
}

// -- what the user does -------------------------------------------------------------------

async function onScan(code) {
  if (!view) return;
  const at = name;
  note("pending", () => t("common.sending"), () => code);
  try {
    const answer = await outbox.submit(stationPath("scans"), { code });
    if (at !== name) return;
    if (answer.queued) {
      tell("info", () => t("common.queued"), () => code);
      return;
    }
    // The feed sounds it (once, whether this answer or the next poll brings it first).
    addScans([answer.result]);
    refreshSoon();
  } catch (err) {
    if (at !== name) return;
    tell("bad", () => errorText(err), () => code);
  }
}

/** Sign in or out, at once or not at all (never replayed later from a queue). */
async function signInOrOut(action) {
  const button = $(action);
  button.disabled = true;
  note("pending", () => t("common.sending"), () => name);
  try {
    await api.sendCommand(stationPath(action), {}, newKey());
    const station = name;
    tell("good", () => t(action === "sign-in" ? "station.signed_in" : "station.signed_out", { station }));
    refreshSoon();
  } catch (err) {
    tell("bad", () => errorText(err), () => name);
  } finally {
    button.disabled = false;
    scanInput.focus();
  }
}

async function pack({ confirmed = false } = {}) {
  const order = view?.order;
  if (!order || packing) return;
  const text = weightField.value.trim();
  const weight = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(weight) || weight < 1 || weight > MAX_WEIGHT_G) {
    tell("bad", () => t("pack.weight.bad"), () => text);
    weightField.focus();
    return;
  }
  // The same order and weight again (the answer was lost): the same key, the first answer.
  const same = packAttempt?.orderNo === order.order_no && packAttempt.weight === weight;
  if (!same || packAttempt.confirmed !== confirmed) {
    packAttempt = { orderNo: order.order_no, weight, confirmed, key: newKey() };
  }
  const body = { weight_g: weight, order_no: order.order_no };
  if (confirmed) body.weight_confirmed = true;
  const submit = $("pack-submit");
  submit.disabled = true;
  $("weight-confirm").disabled = true;
  packing = true;
  scale.setActive(Boolean(view.scales?.length), false); // no take while the pack is on its way
  note("pending", () => t("common.sending"), () => `${order.order_no} · ${number(weight)} g`);
  try {
    const made = await api.sendCommand(stationPath("pack"), body, packAttempt.key);
    packAttempt = null;
    weightWarn = null;
    done = made;
    weightField.value = "";
    const detail = () => {
      const lane = made.lane ? t("pack.done.lane", { lane: made.lane }) : "";
      return [lane, t("pack.done.print", { printer: made.print_job.printer })].filter(Boolean).join(" · ");
    };
    tell("good", () => t("pack.done", { waybill_no: made.waybill_no }), detail);
    render();
    refreshSoon();
  } catch (err) {
    if (err.code === "WEIGHT_OUT_OF_RANGE") weightField.focus();
    if (err.code === "WEIGHT_OUTSIDE_EXPECTED") {
      weightWarn = { orderNo: order.order_no, weight, details: err.details };
      renderWeightWarning();
      $("weight-confirm").focus();
    }
    tell("bad", () => refusalText(err), () => `${order.order_no} · ${number(weight)} g`);
    if (err.status !== 0) refreshSoon();
  } finally {
    submit.disabled = false;
    $("weight-confirm").disabled = false;
    packing = false;
    if (view) renderOrder();
  }
}

function relabel() {
  renderReasons();
  if (view) {
    renderFeed();
    render();
  } else {
    renderChooser();
  }
  said.redo();
}

async function main() {
  startPage({ onLanguage: relabel });
  scale = new BenchScale($("scale"), () => {});
  scanInput = new ScanInput($("scan-form"), { onScan });
  keepScanFocus(scanInput, []); // Enter in the weight or the note field submits its form
  $("station-list").addEventListener("click", (e) => {
    const button = e.target.closest(".station-choice");
    if (button) openStation(button.dataset.station);
  });
  $("change-station").addEventListener("click", () => {
    setParams({ name: null });
    said.clear();
    showChooser();
  });
  $("sign-in").addEventListener("click", () => signInOrOut("sign-in"));
  $("sign-out").addEventListener("click", () => signInOrOut("sign-out"));
  $("weigh").addEventListener("submit", (e) => {
    e.preventDefault();
    pack();
  });
  $("scale-take").addEventListener("click", takeWeight);
  $("weight-confirm").addEventListener("click", () => pack({ confirmed: true }));
  weightField.addEventListener("input", () => {
    if (!weightWarn) return;
    weightWarn = null; // a new weight is checked afresh
    renderWeightWarning();
  });
  $("reprint-open").addEventListener("click", openReprint);
  $("reprint-cancel").addEventListener("click", () => {
    closeReprint();
    renderLookup();
    scanInput.focus();
  });
  $("reasons").addEventListener("click", (e) => {
    const button = e.target.closest(".reason-preset");
    if (!button) return;
    reason = reason === button.dataset.reason ? "" : button.dataset.reason;
    renderReasons();
  });
  $("reprint-form").addEventListener("submit", (e) => {
    e.preventDefault();
    reprint();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.hidden || !view || !timer) return;
    clearTimeout(timer); // back on screen: fresh at once
    timer = null;
    poll();
  });
  renderReasons();

  try {
    const [user, config] = await Promise.all([api.me(), api.clientConfig().catch(() => null)]);
    me = user;
    scanInput.configure(config?.scan);
  } catch (err) {
    tell("bad", () => errorText(err));
    return;
  }
  const target = param("name") || remembered();
  if (target) await openStation(target);
  else await showChooser();
}

main();
