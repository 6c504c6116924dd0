// Dock check-out on a handheld: a truck leaves the bonded zone only with its loading list
// (装载清单) checked at the door — the plate, the driver (ID number and name), the seal,
// and every parcel's face sheet.
//
// The door is chosen once and remembered on the device. One scan field serves every step;
// what a scan means depends on where the list is:
//   open      a plate or list number: opens the truck's list at this door
//   driver    the driver's ID number (a wrong one is refused and audited); the page shows
//             the list's driver name and the worker taps "name matches"
//   seal      the seal number on the truck
//   load      a parcel's face sheet: loaded (good), a second scan (a notice, never counted
//             twice), or refused with its own text — the intercept alarm for a parcel
//             cancelled or held by customs, the bad buzz for every other refusal
//   departed  the next truck's plate
// A big counter shows loaded against planned, with the parcels still missing, those to
// pull off (loaded, then cancelled or held: red), the weight against the expected, and a
// Depart button that works only when the server says the truck may go; otherwise what
// still stops it. Supervisors take a parcel off the list with a reason.
//
// Parcel scans go through the outbox like every handheld scan: a scan made while the
// Wi-Fi is gone waits on the device and is sent later under the same key (the server
// answers a replay with the first result, so it is never counted twice). Opening, the
// driver, the seal, removals and departure are sent at once or not at all: they only
// make sense while the truck is at the door. Departure keeps its key until it has an
// answer, so a retry after a lost answer cannot depart twice.

import "./strings/dock.js"; // first: its strings before any use
import * as api from "./api.js";
import * as feedback from "./feedback.js";
import * as outbox from "./outbox.js";
import { errorText, t } from "./i18n.js";
import { attachIdNumberField } from "./id-number.js";
import { ScanInput, showScanPrompt } from "./scan-input.js";
import { dateTime, el, keepScanFocus, number, param, setParams, signed } from "./ui.js";
import { speaker, startPage } from "./shell.js";
import { openWork } from "./open-work.js";

const $ = (id) => document.getElementById(id);
const banner = $("banner");
const said = speaker(banner);
const { note, tell } = said;
const scanField = $("scan");
const doorField = $("door");

const DOOR_KEY = "bondfloor.dock.door";
const POLL_MS = 2000;
const WAITING_EVERY = 3; // polls between two readings of the lists waiting for a truck
const MANAGERS = ["supervisor", "admin"];
// The parcel must not go on: the intercept alarm, not the ordinary refusal.
const INTERCEPT = new Set(["PARCEL_CANCELLED", "PARCEL_ON_HOLD"]);
// After these refusals the list has changed under the page: read it again.
const STALE = new Set([
  "LIST_DEPARTED",
  "LIST_NOT_OPEN",
  "DRIVER_NOT_VERIFIED",
  "PARCEL_CANCELLED",
  "PARCEL_ON_HOLD",
  "PARCEL_REMOVED",
  "DEPARTURE_BLOCKED",
]);
const REMOVE_REASONS = ["hold", "cancelled", "damaged", "not_found"];
// The new-list form: [field, input id, required]
const NEW_LIST_FIELDS = [
  ["plate", "nl-plate", true],
  ["second_plate", "nl-second-plate", false],
  ["driver_name", "nl-driver-name", true],
  ["driver_id", "nl-driver-id", true],
  ["driver_phone", "nl-driver-phone", true],
  ["seal_no", "nl-seal-no", true],
  ["carrier", "nl-carrier", false],
  ["list_no", "nl-list-no", false],
];
const PROBLEM_FIELDS = [...NEW_LIST_FIELDS.map(([field]) => field), "courier", "waybills"];
const PROBLEM_INPUTS = {
  ...Object.fromEntries(NEW_LIST_FIELDS.map(([field, id]) => [field, id])),
  courier: "nl-courier",
  waybills: "nl-waybills",
};

let scanInput = null;
let driverIdField = null; // the ID number typed on the keypad, checked as it is typed
let me = null; // the logged-in user
let doors = []; // the site's dock doors (client-config stations of kind dock_door)
let door = readDoor();
let list = null; // the open list's progress, as the server last said
let waiting = []; // lists waiting for a truck, and those loading
let waitingLoaded = false;
let lastScan = null; // {listId, kind, waybill}: the last parcel scan and what it did
let departure = null; // the answer of the departure made here (its handover slip)
let departKey = null; // {listId, key}: kept until the departure has an answer
let createAttempt = null; // {json, key}: the same list sent again keeps its key
let newListOpen = false;
let couriers = [];
let removing = null; // the waybill a supervisor is taking off the list
let removeReason = "";
let driverRefused = false; // the last ID number given was refused
let problemsShown = []; // the new list's problems, shown again in another language
let version = 0; // bumped whenever the page takes a new view: older polls are dropped
let polls = 0;
let latest = 0;
const listKept = openWork("dock"); // the truck's list open at the door, back after a reload
let uploadPending = false;

/** The text of a refusal; a parcel's customs status may be none yet. */
function refusalText(err) {
  const details = { ...err.details };
  if (details.customs_status === null || details.customs_status === undefined) details.customs_status = "—";
  if (err.code === "DEPARTURE_BLOCKED") {
    const reasons = (details.reasons || []).map(blockerText).join("；");
    return reasons ? `${errorText({ ...err, details })}：${reasons}` : errorText({ ...err, details });
  }
  return errorText({ ...err, details });
}

function refusal(err, detail = () => "") {
  tell(INTERCEPT.has(err.code) ? "intercept" : "bad", () => refusalText(err), detail);
}

function newKey() {
  const random = crypto.getRandomValues(new Uint32Array(2));
  return `${api.deviceId()}-${Date.now().toString(36)}-${random[0].toString(36)}${random[1].toString(36)}`;
}

function readDoor() {
  try {
    return localStorage.getItem(DOOR_KEY) || "";
  } catch {
    return "";
  }
}

function saveDoor(value) {
  door = value;
  try {
    localStorage.setItem(DOOR_KEY, value);
  } catch {
    // Private mode without storage: the door lasts for this page only.
  }
}

function isManager() {
  return Boolean(me?.roles?.some((role) => MANAGERS.includes(role)));
}

/** Grams as kilograms with two decimals, as the gate's papers give them. */
function kg(grams) {
  return (grams / 1000).toFixed(2);
}

/** An ID number as the banner may show it: the ends only. */
function maskId(text) {
  return text.length >= 10 ? `${text.slice(0, 6)}••••${text.slice(-4)}` : text;
}

function blockerText(blocker) {
  const waybills = blocker.waybills || [];
  return t(`dock.blocker.${blocker.code}`, { count: number(waybills.length), waybills: waybills.join(", ") });
}

/** Where the open list is: what the next scan means. */
function step() {
  if (!list || list.state === "open") return "open";
  if (list.state === "departed") return "departed";
  // Opened by its list number: the truck's plate is still to be scanned or typed.
  if (!list.plate_confirmed) return "open";
  if (!list.driver_id_verified) return "driver";
  if (!list.driver_name_confirmed) return "name";
  if (!list.seal_confirmed) return "seal";
  return "load";
}

// -- rendering ----------------------------------------------------------------------------

function renderDoors() {
  const options = doors.map((name) => {
    const option = el("option", null, name);
    option.value = name;
    return option;
  });
  if (doorField.options.length !== options.length || [...doorField.options].some((o, i) => o.value !== doors[i])) {
    doorField.replaceChildren(...options);
  }
  doorField.value = door;
  // The door is chosen before a truck opens; while it loads, its chip says where.
  $("door-form").hidden = doors.length === 0 || Boolean(list && list.state !== "open");
  $("door-none").hidden = doors.length > 0 || !me;
}

function waitingItem(item) {
  const button = el("button", "plan-item dock-waiting-item");
  button.type = "button";
  button.dataset.listId = String(item.id);
  button.dataset.listNo = item.list_no;
  button.dataset.state = item.state;
  const top = el("span", "plan-item-top");
  const state = el("span", "chip", t(`dock.state.${item.state}`));
  state.dataset.kind = item.state;
  top.append(el("strong", "plan-item-no dock-waiting-plate", item.plate), state);
  const counts = { planned: number(item.planned), loaded: number(item.loaded), driver: item.driver_name, door: item.door || "" };
  const what = item.state === "loading" ? t("dock.waiting.at_door", counts) : t("dock.waiting.item", counts);
  button.append(top, el("span", "plan-item-ref", `${item.list_no} · ${what}`));
  // The plate is chosen here: the card is today's truck, so no plate is typed at the door.
  button.addEventListener("click", () => openAtDoor(item.plate, { listNo: item.list_no }));
  return button;
}

function renderWaiting() {
  const free = !list;
  $("waiting").hidden = !free;
  $("new-list").hidden = !free || !newListOpen;
  $("new-list-open").hidden = newListOpen;
  if (!free) return;
  // Loading here first (a truck being loaded at this door), then waiting, then elsewhere.
  const rank = (item) => (item.state === "loading" ? (item.door === door ? 0 : 2) : 1);
  const sorted = [...waiting].sort((a, b) => rank(a) - rank(b) || b.id - a.id);
  $("waiting-lists").replaceChildren(
    ...sorted.map((item) => {
      const row = el("li", null);
      row.append(waitingItem(item));
      return row;
    }),
  );
  $("waiting-empty").hidden = !waitingLoaded || sorted.length > 0;
}

function setCheck(id, value, state, active) {
  const row = $(id);
  row.dataset.state = state;
  row.toggleAttribute("data-active", active);
  $(`${id}-value`)?.replaceChildren(document.createTextNode(value));
  row.querySelector(".dock-check-state").textContent = t(`dock.check.${state}`);
}

let shownStep = null;

function renderChecks(current) {
  const loading = list.state === "loading";
  setCheck("check-plate", list.plate, list.plate_confirmed ? "done" : "todo", current === "open");
  $("plate-ok").hidden = !loading || list.plate_confirmed;
  $("driver-id-form").hidden = current !== "driver";
  // The scan field keeps the focus (a scanner may read the ID); a tap on the ID field
  // brings up the numeric keypad.
  if (current === "driver" && shownStep !== "driver") {
    $("driver-id-input").value = "";
    driverIdField.refresh();
  } else if (shownStep === "driver" && current !== "driver" && document.activeElement === $("driver-id-input")) {
    scanInput.focus(); // the keypad's field is gone: the seal and parcels are scans
  }
  shownStep = current;
  const idState = list.driver_id_verified ? "done" : driverRefused ? "refused" : "todo";
  setCheck("check-driver-id", list.driver_id, idState, current === "driver");
  $("driver-name").textContent = list.driver_name;
  const nameRow = $("check-driver-name");
  nameRow.dataset.state = list.driver_name_confirmed ? "done" : "todo";
  nameRow.toggleAttribute("data-active", current === "name" || (current === "driver" && !list.driver_name_confirmed));
  nameRow.querySelector(".dock-check-state").textContent = t(`dock.check.${nameRow.dataset.state}`);
  $("name-ok").hidden = !loading || list.driver_name_confirmed;
  // The seal number shows once it is checked: the worker reads it off the truck, not the screen.
  setCheck("check-seal", list.seal_confirmed ? list.seal_no : "—", list.seal_confirmed ? "done" : "todo", current === "seal");
}

function parcelRow(parcel, { code = "", removable = false } = {}) {
  const row = el("li", "dock-parcel");
  row.dataset.waybill = parcel.waybill_no;
  if (code) row.dataset.code = code;
  const what = el("div", "dock-parcel-what");
  what.append(el("strong", "dock-parcel-waybill", parcel.waybill_no));
  if (code) what.append(el("span", "dock-parcel-reason", t(`dock.pull_off.${code}`)));
  const meta = parcel.weight_g === undefined
    ? t("dock.parcel.order", { order_no: parcel.order_no })
    : t("dock.parcel.meta", { order_no: parcel.order_no, weight: kg(parcel.weight_g) });
  what.append(el("span", "dock-parcel-meta", meta));
  row.append(what);
  if (removable) {
    const button = el("button", "secondary danger dock-remove-open", t("dock.remove"));
    button.type = "button";
    button.dataset.waybill = parcel.waybill_no;
    button.addEventListener("click", () => openRemove(parcel.waybill_no));
    row.append(button);
  }
  return row;
}

function renderParcels() {
  const canRemove = isManager() && list.state !== "departed";
  const pullOff = list.to_pull_off;
  $("pull-off").hidden = pullOff.length === 0;
  $("pull-off-title").textContent = t("dock.pull_off.title", { count: number(pullOff.length) });
  $("pull-off-list").replaceChildren(...pullOff.map((p) => parcelRow(p, { code: p.code, removable: canRemove })));

  const departed = list.state === "departed";
  $("missing").hidden = departed;
  $("missing-title").textContent = t("dock.missing.title", { count: number(list.missing.length) });
  $("missing-list").replaceChildren(...list.missing.map((p) => parcelRow(p, { removable: canRemove })));
  $("missing-none").hidden = list.missing.length > 0 || list.planned === 0;

  $("removed").hidden = list.removed.length === 0;
  $("removed-title").textContent = t("dock.removed.title", { count: number(list.removed.length) });
  $("removed-list").replaceChildren(
    ...list.removed.map((r) => {
      const row = el("li", "dock-parcel dock-parcel-removed");
      row.dataset.waybill = r.waybill_no;
      const what = el("div", "dock-parcel-what");
      what.append(
        el("strong", "dock-parcel-waybill", r.waybill_no),
        el("span", "dock-parcel-meta", t("dock.removed.item", { reason: r.removed_reason, by: r.removed_by })),
      );
      row.append(what);
      return row;
    }),
  );

  const form = $("remove-form");
  form.hidden = !removing || !canRemove;
  if (!form.hidden) {
    form.dataset.waybill = removing;
    $("remove-title").textContent = t("dock.remove.title", { waybill_no: removing });
    $("remove-reasons").replaceChildren(
      ...REMOVE_REASONS.map((reason) => {
        const button = el("button", "reason-preset", t(`dock.remove.reason.${reason}`));
        button.type = "button";
        button.dataset.reason = reason;
        button.setAttribute("aria-pressed", String(reason === removeReason));
        button.addEventListener("click", () => {
          removeReason = removeReason === reason ? "" : reason;
          render();
        });
        return button;
      }),
    );
  }
}

function renderWeight() {
  const weight = list.weight;
  const box = $("weight");
  box.hidden = list.state === "departed";
  box.toggleAttribute("data-warning", weight.warning);
  $("weight-line").textContent = t("dock.weight.line", { loaded: kg(weight.loaded_g), expected: kg(weight.expected_g) });
  // How far off only means something once everything planned is on the truck.
  const complete = list.planned > 0 && list.loaded === list.planned;
  $("weight-off").hidden = !complete;
  $("weight-off").textContent = t("dock.weight.off", {
    off: signed(weight.off_by_percent),
    tolerance: number(weight.tolerance_percent),
  });
  $("weight-warning").hidden = !weight.warning;
  $("weight-warning").textContent = t("dock.weight.warning", { tolerance: number(weight.tolerance_percent) });
}

function renderDeparture() {
  const departed = list.state === "departed";
  const box = $("depart-box");
  box.hidden = departed;
  box.dataset.canDepart = String(list.can_depart);
  $("depart").disabled = !list.can_depart;
  $("depart-note").textContent = t(list.can_depart ? "dock.depart.ready" : "dock.depart.blocked");
  $("blockers").replaceChildren(
    ...list.blockers.map((blocker) => {
      const row = el("li", "dock-blocker", blockerText(blocker));
      row.dataset.code = blocker.code;
      return row;
    }),
  );

  $("departed").hidden = !departed;
  if (!departed) return;
  const mine = departure && departure.handover_no === list.handover_no ? departure : null;
  $("departed-handover").textContent = list.handover_no || "";
  const by = mine?.departed_by || "";
  const time = dateTime(list.departed_at);
  $("departed-at").textContent = by ? t("dock.departed.at", { time, by }) : time;
  const slip = mine?.print_job;
  $("departed-slip").hidden = !slip;
  if (slip) $("departed-slip").textContent = t("dock.departed.slip", { printer: slip.printer });
  $("handover-link").href = `handover.html?list=${encodeURIComponent(list.id)}`;
}

function renderList() {
  const current = step();
  const section = $("list");
  section.dataset.listId = String(list.id);
  section.dataset.listNo = list.list_no;
  section.dataset.state = list.state;
  $("list-plate").textContent = list.plate;
  const state = $("list-state");
  state.textContent = t(`dock.state.${list.state}`);
  state.dataset.kind = list.state;
  $("list-no").textContent = t("dock.list_no", { list_no: list.list_no });
  $("list-second-plate").hidden = !list.second_plate;
  $("list-second-plate").textContent = t("dock.second_plate", { plate: list.second_plate });
  $("list-door").hidden = !list.door;
  $("list-door").textContent = t("dock.at_door", { door: list.door || "" });
  $("list-carrier").hidden = !list.carrier;
  $("list-carrier").textContent = t("dock.carrier", { carrier: list.carrier });
  $("open-here").hidden = list.state !== "open" || !door;
  $("open-here").textContent = t("dock.open_here", { door });
  $("checks").hidden = list.state === "open";
  // Once plate, driver and seal are checked they shrink to one line: the parcels matter now.
  $("checks").toggleAttribute("data-compact", current === "load" || current === "departed");
  renderChecks(current);

  const counter = $("counter");
  counter.dataset.loaded = String(list.loaded);
  counter.dataset.planned = String(list.planned);
  counter.toggleAttribute("data-complete", list.planned > 0 && list.loaded === list.planned);
  $("count-loaded").textContent = number(list.loaded);
  $("count-planned").textContent = number(list.planned);

  const last = lastScan && lastScan.listId === list.id ? lastScan : null;
  if (last) {
    section.dataset.lastScan = last.waybill;
    section.dataset.lastKind = last.kind;
  } else {
    delete section.dataset.lastScan;
    delete section.dataset.lastKind;
  }
  renderParcels();
  renderWeight();
  renderDeparture();
}

function render() {
  const current = step();
  document.body.dataset.step = current;
  const hint = t(`dock.hint.${current === "departed" ? "departed" : current}`);
  showScanPrompt(scanField, hint);
  renderDoors();
  renderWaiting();
  $("list").hidden = !list;
  if (list) renderList();
}

function relabel() {
  render();
  if (newListOpen) {
    renderCouriers();
    if (problemsShown.length) showProblems(problemsShown, { scroll: false });
  }
  said.redo();
}

/** Take the server's view of a list; another list starts with a clean slate. */
function showList(view) {
  if (!list || list.id !== view.id) {
    lastScan = null;
    driverRefused = false;
    removing = null;
    if (departure && departure.list_no !== view.list_no) departure = null;
  }
  list = view;
  listKept.save(view);
  version += 1;
  setParams({ list: view.id });
  render();
}

function leaveList() {
  list = null;
  listKept.clear();
  lastScan = null;
  removing = null;
  version += 1;
  setParams({ list: null });
  render();
  loadWaiting().catch(() => {});
}

// -- at the door --------------------------------------------------------------------------

function onScan(text) {
  switch (step()) {
    case "open":
    case "departed":
      openAtDoor(text);
      return;
    case "driver":
      sendStep("driver-id", { driver_id: text }, maskId(text));
      return;
    case "name":
      tell("bad", () => t("dock.name.first"), () => list.driver_name);
      return;
    case "seal":
      sendStep("seal", { seal_no: text }, text);
      return;
    default:
      loadScan(text);
  }
}

/** Open a list here by a scanned plate or list number, or by the plate of the card tapped
 * (`listNo`: that list, even when the truck has another). */
async function openAtDoor(scan, { listNo = "" } = {}) {
  if (!door) {
    tell("bad", () => t("dock.door.choose"), () => scan);
    return;
  }
  const mine = ++latest;
  note("pending", () => t("common.sending"), () => scan);
  try {
    const body = listNo ? { scan, door, list_no: listNo } : { scan, door };
    const opened = await api.sendCommand("/api/v1/dock/open", body, newKey());
    if (mine !== latest) return;
    newListOpen = false;
    showList(opened);
    const params = { list_no: opened.list_no, plate: opened.plate, door: opened.door };
    tell("good", () => t("dock.opened", params), () => t(`dock.hint.${step()}`));
  } catch (err) {
    if (mine !== latest) return;
    refusal(err, () => scan);
  }
}

/** The ID number typed on the keypad: sent once it is valid, else what is wrong. */
function submitDriverId() {
  const text = $("driver-id-input").value;
  if (driverIdField.problem() !== null) {
    tell("bad", () => $("driver-id-status").textContent || t("id.typing", { left: 18 }), () => maskId(text));
    $("driver-id-input").focus();
    return;
  }
  if (step() === "driver") sendStep("driver-id", { driver_id: text }, maskId(text));
}

const STEP_DONE = {
  "driver-id": () => t("dock.driver_ok"),
  "driver-name": () => t("dock.name_ok", { name: list?.driver_name || "" }),
  seal: () => t("dock.seal_ok", { seal: list?.seal_no || "" }),
};

/** A check at the door (driver's ID number, name, seal): sent now or not at all. */
async function sendStep(path, body, shown) {
  const open = list;
  const mine = ++latest;
  note("pending", () => t("common.sending"), () => shown);
  try {
    const view = await api.sendCommand(`/api/v1/loading-lists/${open.id}/${path}`, body, newKey());
    if (mine !== latest || list?.id !== open.id) return;
    if (path === "driver-id") driverRefused = false;
    showList(view);
    tell("good", STEP_DONE[path], () => t(`dock.hint.${step()}`));
  } catch (err) {
    if (mine !== latest || list?.id !== open.id) return;
    if (path === "driver-id" && (err.code === "DRIVER_MISMATCH" || err.code === "DRIVER_ID_INVALID")) {
      driverRefused = true;
      render();
    }
    refusal(err, () => shown);
    if (STALE.has(err.code)) refreshSoon();
  }
}

function setLast(kind, waybill) {
  lastScan = { listId: list.id, kind, waybill };
}

/** A parcel's face sheet onto the truck, through the outbox. Every answer is told (a
 * quick second scan must not swallow the sound of the first). */
async function loadScan(code) {
  const open = list;
  note("pending", () => t("common.sending"), () => code);
  try {
    const answer = await outbox.submit(`/api/v1/loading-lists/${open.id}/scans`, { scan: code });
    if (list?.id !== open.id) return;
    if (answer.queued) {
      uploadPending = true;
      setLast("info", code);
      render();
      tell("info", () => t("common.queued"), () => code);
      return;
    }
    const result = answer.result;
    // The answer carries the counts; the full list (missing, to pull off) is read after.
    const view = { ...open, ...list, ...result.summary };
    showList(view);
    refreshSoon();
    const waybill = result.waybill_no;
    const counts = () => t("dock.loaded.count", { loaded: number(view.loaded), planned: number(view.planned) });
    if (result.outcome === "duplicate") {
      setLast("notice", waybill);
      render();
      tell("notice", () => t("dock.duplicate", { waybill_no: waybill }), counts);
      return;
    }
    setLast("good", waybill);
    render();
    tell("good", () => t("dock.loaded", { waybill_no: waybill }), counts);
  } catch (err) {
    if (list?.id !== open.id) return;
    const kind = INTERCEPT.has(err.code) ? "intercept" : "bad";
    setLast(kind, err.details?.waybill_no || code);
    render();
    tell(kind, () => refusalText(err), () => code);
    if (STALE.has(err.code)) refreshSoon();
  }
}

function confirmName() {
  if (!list || list.state !== "loading") return;
  sendStep("driver-name", { driver_name: list.driver_name }, list.driver_name);
}

/** The truck leaves: sent at once; its key is kept until there is an answer. */
async function depart() {
  const open = list;
  if (!open?.can_depart) return;
  if (departKey?.listId !== open.id) departKey = { listId: open.id, key: newKey() };
  $("depart").disabled = true;
  ++latest;
  note("pending", () => t("common.sending"), () => open.plate);
  try {
    const record = await api.sendCommand(`/api/v1/loading-lists/${open.id}/depart`, {}, departKey.key);
    departKey = null;
    departure = record;
    const view = await api.getLoadingList(open.id).catch(() => ({
      ...open,
      state: "departed",
      handover_no: record.handover_no,
      departed_at: record.departed_at,
      can_depart: false,
      blockers: [],
    }));
    if (list?.id !== open.id) return;
    showList(view);
    const detail = () => `${record.plate} · ${t("dock.loaded.count", { loaded: number(record.parcels.length), planned: number(open.planned) })}`;
    tell("good", () => t("dock.departed", { handover_no: record.handover_no }), detail);
  } catch (err) {
    // Only an answer that never came may be asked again under the same key.
    if (err.status !== 0 && err.status < 500) departKey = null;
    if (list?.id === open.id) render();
    refusal(err, () => open.plate);
    if (STALE.has(err.code)) refreshSoon();
  }
}

// -- supervisors: taking a parcel off the list ---------------------------------------------

function openRemove(waybill) {
  removing = waybill;
  removeReason = "";
  $("remove-note").value = "";
  render();
  $("remove-form").scrollIntoView({ block: "nearest" });
}

function closeRemove() {
  removing = null;
  render();
}

async function submitRemove() {
  const open = list;
  const waybill = removing;
  if (!open || !waybill) return;
  const preset = removeReason ? t(`dock.remove.reason.${removeReason}`) : "";
  const reason = [preset, $("remove-note").value.trim()].filter(Boolean).join(" · ");
  if (!reason) {
    tell("bad", () => t("dock.remove.need_reason"), () => waybill);
    return;
  }
  const button = $("remove-submit");
  button.disabled = true;
  note("pending", () => t("common.sending"), () => waybill);
  try {
    const view = await api.sendCommand(
      `/api/v1/loading-lists/${open.id}/remove-parcel`,
      { waybill_no: waybill, reason },
      newKey(),
    );
    removing = null;
    if (list?.id === open.id) showList(view);
    tell("good", () => t("dock.removed", { waybill_no: waybill }), () => reason);
  } catch (err) {
    if (err.code === "PARCEL_NOT_ON_LIST") removing = null;
    refusal(err, () => waybill);
    refreshSoon();
  } finally {
    button.disabled = false;
  }
}

// -- a new loading list -----------------------------------------------------------------

function problemText(problem) {
  const params = { waybill: "", ...problem };
  const keys = [
    `dock.problem.${problem.code}:${problem.rule}`,
    `dock.problem.${problem.code}:${problem.field}`,
    `dock.problem.${problem.code}`,
  ];
  for (const key of keys) {
    const text = t(key, params);
    if (text !== key) return text;
  }
  return problem.message || problem.code;
}

function clearProblems() {
  problemsShown = [];
  for (const field of PROBLEM_FIELDS) {
    const box = $(`nl-error-${field}`);
    box.hidden = true;
    box.replaceChildren();
    $(PROBLEM_INPUTS[field]).removeAttribute("aria-invalid");
  }
}

/** Every problem next to its field (one line per waybill under the waybills). */
function showProblems(problems, { scroll = true } = {}) {
  clearProblems();
  problemsShown = problems;
  const byField = new Map();
  for (const problem of problems) {
    const field = PROBLEM_FIELDS.includes(problem.field) ? problem.field : "waybills";
    byField.set(field, [...(byField.get(field) || []), problem]);
  }
  for (const [field, found] of byField) {
    const box = $(`nl-error-${field}`);
    box.hidden = false;
    box.dataset.codes = found.map((p) => p.code).join(" ");
    if (field === "waybills") {
      box.replaceChildren(
        ...found.map((p) => {
          const row = el("li", null, problemText(p));
          row.dataset.code = p.code;
          if (p.waybill) row.dataset.waybill = p.waybill;
          return row;
        }),
      );
    } else {
      box.textContent = found.map(problemText).join(" · ");
    }
    $(PROBLEM_INPUTS[field]).setAttribute("aria-invalid", "true");
  }
  const first = PROBLEM_FIELDS.find((field) => byField.has(field));
  if (first && scroll) $(PROBLEM_INPUTS[first]).closest(".field").scrollIntoView({ block: "nearest" });
}

function newListBody() {
  const body = {};
  for (const [field, id] of NEW_LIST_FIELDS) {
    const value = $(id).value.trim();
    if (value) body[field] = value;
  }
  const waybills = $("nl-waybills").value.split(/[\s,;，；、]+/).filter(Boolean);
  const courier = $("nl-courier").value;
  if (waybills.length) body.waybills = waybills;
  else if (courier) body.courier = courier;
  return body;
}

function renderCouriers() {
  const select = $("nl-courier");
  const chosen = select.value;
  const none = el("option", null, t("dock.new.courier.none"));
  none.value = "";
  const options = couriers.map((code) => {
    const option = el("option", null, code);
    option.value = code;
    return option;
  });
  select.replaceChildren(none, ...options);
  select.value = couriers.includes(chosen) ? chosen : "";
}

async function openNewList() {
  newListOpen = true;
  render();
  renderCouriers();
  $("nl-plate").focus();
  try {
    // The couriers with packed parcels: those a list "by courier" can take.
    const packed = await api.listOrders({ state: "packed", limit: 1000 });
    couriers = [...new Set(packed.map((o) => o.courier))].sort();
    renderCouriers();
  } catch {
    // Waybills can still be pasted.
  }
}

function closeNewList() {
  newListOpen = false;
  clearProblems();
  render();
  scanInput.focus();
}

async function createList() {
  const body = newListBody();
  const missing = NEW_LIST_FIELDS.filter(([field, , required]) => required && !body[field]);
  if (missing.length) {
    showProblems(missing.map(([field]) => ({ field, code: "REQUIRED" })));
    tell("bad", () => t("dock.new.invalid", { count: number(missing.length) }));
    return;
  }
  const json = JSON.stringify(body);
  if (createAttempt?.json !== json) createAttempt = { json, key: newKey() };
  const button = $("new-list-submit");
  button.disabled = true;
  note("pending", () => t("common.sending"), () => body.plate);
  try {
    const made = await api.sendCommand("/api/v1/loading-lists", body, createAttempt.key);
    createAttempt = null;
    $("new-list").reset();
    clearProblems();
    newListOpen = false;
    const params = { list_no: made.list_no, planned: number(made.planned) };
    tell("good", () => t("dock.new.made", params), () => made.plate);
    await loadWaiting().catch(() => {});
    render();
    scanInput.focus();
  } catch (err) {
    if (err.status !== 0 && err.status < 500) createAttempt = null;
    if (err.code === "LOADING_LIST_INVALID") {
      const problems = err.details.problems || [];
      showProblems(problems);
      tell("bad", () => t("dock.new.invalid", { count: number(problems.length) }), () => body.plate);
    } else {
      refusal(err, () => body.plate);
    }
  } finally {
    button.disabled = false;
  }
}

// -- keeping up with the door -----------------------------------------------------------

async function loadWaiting() {
  const [open, loading] = await Promise.all([
    api.listLoadingLists("open"),
    api.listLoadingLists("loading"),
  ]);
  waiting = [...open, ...loading];
  waitingLoaded = true;
  renderWaiting();
}

/** Read the open list again (the door's fixed scanner, a supervisor elsewhere, customs). */
async function refreshList() {
  if (!list) return;
  const asked = version;
  const fresh = await api.getLoadingList(list.id);
  if (asked !== version || list?.id !== fresh.id) return; // the page took a newer view meanwhile
  if (JSON.stringify(fresh) === JSON.stringify(list)) return;
  list = fresh;
  listKept.save(fresh);
  render();
}

function refreshSoon() {
  refreshList().catch(() => {});
}

async function poll() {
  polls += 1;
  try {
    if (document.visibilityState !== "hidden") {
      if (list && list.state !== "departed") await refreshList();
      if (!list && (!waitingLoaded || polls % WAITING_EVERY === 0)) await loadWaiting();
    }
  } catch {
    // The next poll tries again; the banner keeps what the worker last did.
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

/** A reload comes back to the truck being loaded; else the trucks waiting. */
async function resumeList() {
  const kept = listKept.load();
  const resumed = param("list") || (kept ? String(kept.id) : "");
  try {
    if (resumed) showList(await api.getLoadingList(resumed));
    else await loadWaiting();
  } catch (err) {
    if (err.code === "NETWORK_ERROR" && kept && String(kept.id) === resumed) {
      showList(kept); // offline: the list as last seen; parcel scans wait in the outbox
    } else {
      if (resumed) setParams({ list: null });
      refusal(err, () => resumed);
    }
  }
}

async function main() {
  startPage({ onLanguage: relabel });
  scanInput = new ScanInput($("scan-form"), { onScan });
  keepScanFocus(scanInput, [$("remove-note")]);
  driverIdField = attachIdNumberField($("driver-id-input"), {
    xKey: $("driver-id-x"),
    status: $("driver-id-status"),
    onValid: submitDriverId,
  });
  attachIdNumberField($("nl-driver-id"), { xKey: $("nl-driver-id-x"), status: $("nl-driver-id-status") });
  $("driver-id-form").addEventListener("submit", (e) => {
    e.preventDefault();
    submitDriverId();
  });
  $("plate-ok").addEventListener("click", () => list && openAtDoor(list.plate, { listNo: list.list_no }));
  outbox.onUploaded(() => {
    if (!uploadPending) return; // every answered scan empties the queue too
    uploadPending = false;
    refreshSoon();
  });
  doorField.addEventListener("change", () => {
    saveDoor(doorField.value);
    render();
    scanInput.focus();
  });
  $("leave-list").addEventListener("click", leaveList);
  $("open-here").addEventListener("click", () => list && openAtDoor(list.plate, { listNo: list.list_no }));
  $("name-ok").addEventListener("click", confirmName);
  $("depart").addEventListener("click", depart);
  $("remove-cancel").addEventListener("click", closeRemove);
  $("remove-form").addEventListener("submit", (e) => {
    e.preventDefault();
    submitRemove();
  });
  $("new-list-open").addEventListener("click", openNewList);
  $("new-list-cancel").addEventListener("click", closeNewList);
  $("new-list").addEventListener("submit", (e) => {
    e.preventDefault();
    createList();
  });
  render();
  scanInput.focus();

  try {
    const [user, config] = await Promise.all([api.me(), api.clientConfig().catch(() => null)]);
    me = user;
    scanInput.configure(config?.scan);
    doors = (config?.stations || []).filter((s) => s.kind === "dock_door").map((s) => s.name);
    if (!doors.includes(door)) saveDoor(doors[0] || "");
  } catch (err) {
    refusal(err);
  }
  render();
  await scanInput.holdUntil(resumeList()); // a parcel scanned meanwhile belongs to that truck
  render();
  document.body.dataset.ready = "true";
  setTimeout(poll, POLL_MS);
}

main();
