// The dock door's screen: a TV at the door, logged in as the dock or a supervisor, showing
// the truck being loaded there for everyone at the truck to read — plate, HK/Macau plate,
// driver, parcels scanned against planned (huge), the missing ones, those to pull off (red,
// flashing), the weight against the expected with its warning, and whether it may go.
//
// `dock-screen.html?door=door-1` shows one door; without `door` the site's dock doors are
// listed and the choice is remembered on the screen. It asks `GET /dock-doors/{door}`
// every second. When the truck leaves the door is free again; the screen keeps showing the
// list that just left (departed, with its handover number) until the next truck opens.

import "./strings/dock-screen.js"; // first: its strings before any use
import * as api from "./api.js";
import * as feedback from "./feedback.js";
import { errorText, language, t, translatePage } from "./i18n.js";
import { dateTime, el, number, param, setParams, signed } from "./ui.js";
import { startPage } from "./shell.js";

const $ = (id) => document.getElementById(id);
const banner = $("banner");

const DOOR_KEY = "bondfloor.dock.screen.door";
const POLL_MS = 1000;
const MISSING_SHOWN = 16; // the rest is a count: the screen must stay readable from the truck

let door = "";
let doors = [];
let view = null; // the list shown (loading here, or the one that just left)
let lastListId = null;
let live = { ok: false, at: null, error: "" };
let generation = 0;
let timer = null;

function remembered() {
  try {
    return localStorage.getItem(DOOR_KEY) || "";
  } catch {
    return "";
  }
}

function remember(value) {
  try {
    if (value) localStorage.setItem(DOOR_KEY, value);
    else localStorage.removeItem(DOOR_KEY);
  } catch {
    // No storage: the screen asks again after a reload.
  }
}

function kg(grams) {
  return (grams / 1000).toFixed(2);
}

function clock(date) {
  return date.toLocaleTimeString(language() === "zh" ? "zh-CN" : "en-GB", { hour12: false });
}

// -- rendering ----------------------------------------------------------------------------

function renderChooser() {
  $("chooser").hidden = Boolean(door);
  $("screen").hidden = !door;
  $("change-door").hidden = !door || doors.length < 2;
  if (door) return;
  $("door-list").replaceChildren(
    ...doors.map((name) => {
      const button = el("button", "station-choice");
      button.type = "button";
      button.dataset.door = name;
      button.append(el("span", "station-choice-name", name));
      button.addEventListener("click", () => choose(name));
      const row = el("li", null);
      row.append(button);
      return row;
    }),
  );
  $("door-list-empty").hidden = doors.length > 0;
}

function renderList(list) {
  const body = document.body;
  body.dataset.listId = String(list.id);
  body.dataset.state = list.state;
  const state = $("screen-state");
  state.hidden = false;
  state.dataset.state = list.state;
  state.textContent = t(`dock.state.${list.state}`);
  $("screen-list-no").textContent = t("dock.list_no", { list_no: list.list_no });
  $("screen-plate").textContent = list.plate;
  $("screen-second").hidden = !list.second_plate;
  $("screen-second-plate").textContent = list.second_plate;
  $("screen-driver").textContent = list.driver_name;
  const checks = {
    plate: list.plate_confirmed,
    driver: list.driver_id_verified && list.driver_name_confirmed,
    seal: list.seal_confirmed,
  };
  for (const row of $("screen-checks").children) {
    row.dataset.state = checks[row.dataset.check] ? "done" : "todo";
  }

  const count = $("screen-count");
  count.dataset.loaded = String(list.loaded);
  count.dataset.planned = String(list.planned);
  count.toggleAttribute("data-complete", list.planned > 0 && list.loaded === list.planned);
  $("screen-loaded").textContent = number(list.loaded);
  $("screen-planned").textContent = number(list.planned);

  const weight = list.weight;
  const complete = list.planned > 0 && list.loaded === list.planned;
  const line = t("dock.weight.line", { loaded: kg(weight.loaded_g), expected: kg(weight.expected_g) });
  const off = t("dock.weight.off", { off: signed(weight.off_by_percent), tolerance: number(weight.tolerance_percent) });
  $("screen-weight").textContent = complete ? `${line} · ${off}` : line;
  $("screen-weight-warning").hidden = !weight.warning;
  $("screen-weight-warning").textContent = t("dock.weight.warning", { tolerance: number(weight.tolerance_percent) });

  const departed = list.state === "departed";
  const verdict = $("screen-verdict");
  verdict.hidden = departed;
  verdict.toggleAttribute("data-ready", list.can_depart);
  verdict.textContent = list.can_depart
    ? t("screen.ready")
    : list.blockers
        .map((b) => t(`dock.blocker.${b.code}`, { count: number((b.waybills || []).length), waybills: (b.waybills || []).join(", ") }))
        .join(" · ");

  const pullOff = list.to_pull_off;
  $("screen-pull-off").hidden = pullOff.length === 0;
  $("screen-pull-off-title").textContent = t("screen.pull_off", { count: number(pullOff.length) });
  $("screen-pull-off-list").replaceChildren(
    ...pullOff.map((p) => {
      const row = el("li", null, `${p.waybill_no} · ${t(`dock.pull_off.${p.code}`)}`);
      row.dataset.waybill = p.waybill_no;
      row.dataset.code = p.code;
      return row;
    }),
  );

  const missing = list.missing;
  $("screen-missing").hidden = departed || missing.length === 0;
  $("screen-missing-title").textContent = t("screen.missing", { count: number(missing.length) });
  $("screen-missing-list").replaceChildren(
    ...missing.slice(0, MISSING_SHOWN).map((p) => {
      const row = el("li", null, p.waybill_no);
      row.dataset.waybill = p.waybill_no;
      return row;
    }),
  );
  const more = missing.length - MISSING_SHOWN;
  $("screen-missing-more").hidden = more <= 0;
  $("screen-missing-more").textContent = t("screen.more", { count: number(more) });

  $("screen-departed").hidden = !departed;
  $("screen-departed").textContent = departed
    ? t("screen.handover", { handover_no: list.handover_no || "", time: dateTime(list.departed_at) })
    : "";
}

function render() {
  translatePage();
  renderChooser();
  if (!door) return;
  // The door's name is a code: it wraps as a whole ("Door" / "door-1"), never at its hyphen.
  const [before, after] = t("screen.door", { door: "\u0000" }).split("\u0000");
  $("screen-door").replaceChildren(before, el("span", "code-whole", door), after ?? "");
  const live_ = $("screen-live");
  live_.dataset.live = live.ok ? "ok" : "lost";
  if (live.ok) live_.textContent = t("station.live", { time: clock(live.at) });
  else live_.textContent = live.error ? t("station.live.lost", { error: live.error }) : t("common.loading");
  $("screen-idle").hidden = Boolean(view) || !live.ok;
  $("screen-body").hidden = !view;
  if (!view) {
    $("screen-state").hidden = true;
    $("screen-list-no").textContent = "";
    delete document.body.dataset.listId;
    document.body.dataset.state = live.ok ? "free" : "";
    return;
  }
  renderList(view);
}

// -- keeping up with the door -------------------------------------------------------------

async function read(mine) {
  const answer = await api.dockDoor(door);
  if (mine !== generation) return;
  if (answer.list) {
    lastListId = answer.list.id;
    view = answer.list;
    return;
  }
  // Nothing loading: the truck that was here has left (keep showing how), or moved on.
  if (lastListId === null) {
    view = null;
    return;
  }
  if (view && view.id === lastListId && view.state === "departed") return;
  const last = await api.getLoadingList(lastListId).catch(() => null);
  if (mine !== generation) return;
  if (last && last.state === "departed") {
    view = last;
  } else {
    view = null;
    lastListId = null;
  }
}

async function poll(mine) {
  try {
    await read(mine);
    if (mine !== generation) return;
    live = { ok: true, at: new Date(), error: "" };
    feedback.hide(banner);
  } catch (err) {
    if (mine !== generation) return;
    live = { ok: false, at: live.at, error: errorText(err) };
  }
  render();
  timer = setTimeout(() => poll(mine), POLL_MS);
}

function start() {
  generation += 1;
  clearTimeout(timer);
  view = null;
  lastListId = null;
  live = { ok: false, at: null, error: "" };
  render();
  if (door) poll(generation);
}

function choose(name) {
  door = name;
  remember(name);
  setParams({ door: name });
  start();
}

async function main() {
  startPage({ onLanguage: render, uploads: false, badge: false });
  $("change-door").addEventListener("click", () => {
    door = "";
    remember("");
    setParams({ door: null });
    start();
  });
  try {
    const [, config] = await Promise.all([api.me(), api.clientConfig().catch(() => null)]);
    doors = (config?.stations || []).filter((s) => s.kind === "dock_door").map((s) => s.name);
  } catch (err) {
    feedback.show("bad", banner, errorText(err));
    return;
  }
  door = param("door") || remembered();
  if (door) remember(door);
  start();
  document.body.dataset.ready = "true";
}

main();
