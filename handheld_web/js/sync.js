// The OMS link for supervisors: whether the events journal is being delivered to the OMS,
// how far (delivered / last sequence number), how much waits and for how long, the tries
// and the last error; asked every 2 s while the page is on screen.
//
// When the OMS refuses an event for good, delivery stops before it (never a silent skip):
// the alarm card shows that event (its seq, type, time and what it says) with the OMS's
// answer, and a supervisor either sends it again (the OMS was fixed) or skips it with a
// reason (kept and audited on the server).
//
// Retry and skip are sent at once or not at all, never queued on the device: they answer
// the stop on screen now, and a skip replayed later could pass over an event nobody has
// looked at. Each keeps its idempotency key until it has an answer, so pressing again
// after a lost answer cannot act twice.

import "./strings/sync.js"; // first: its strings before any use
import * as api from "./api.js";
import * as feedback from "./feedback.js";
import * as outbox from "./outbox.js";
import { errorText, language, t } from "./i18n.js";
import { dateTime, el, number } from "./ui.js";
import { speaker, startPage } from "./shell.js";

const $ = (id) => document.getElementById(id);
const banner = $("banner");
const said = speaker(banner);
const { note, tell } = said;

const POLL_MS = 2000;
const MIN_REASON = 3; // the server's SkipIn.reason: 3 to 200 characters
// The payload fields that say what an event is about, in the order people read them.
const EXCERPT_FIELDS = [
  "order_no",
  "waybill_no",
  "plan_no",
  "list_no",
  "wave_no",
  "handover_no",
  "customer",
  "sku",
  "quantity",
  "lot",
  "expiry",
  "location",
  "from_location",
  "to_location",
  "code",
  "from",
  "to",
  "state",
  "plate",
  "missing",
  "weight_g",
  "reason",
  "document",
];
const LIST_FIELDS = ["lines", "received_lots", "orders", "waybills", "parcels", "items"];
const EXCERPT_FALLBACK = 6; // an unknown payload: its first scalar fields as they are
// A departure's event carries the driver's ID and phone in full: the page shows the ends.
const MASKED = new Set(["driver_id", "driver_phone"]);

let status = null; // the last answer of GET /api/v1/sync
let event = null; // the refused event: {seq, row, err}
let drawnEvent = ""; // what the alarm card shows of it, as drawn last
let live = { ok: false, at: null, error: "" };
let refreshes = 0;
let polling = false;
let denied = false; // this user may not see the link: stop asking
let timer = null;
let busy = false; // a retry or skip is on its way
let attempt = null; // the action being sent and its key, kept until answered

// -- reading the server ------------------------------------------------------------------

/** One change, sent now; the same action asked again before an answer keeps its key. */
async function sendNow(path, body) {
  const what = JSON.stringify([path, body]);
  if (attempt?.what !== what) attempt = { what, key: api.newKey() };
  try {
    const answer = await api.sendCommand(path, body, attempt.key);
    attempt = null;
    return answer;
  } catch (err) {
    // Only an answer that never came may be asked again under the same key.
    if (err.status !== 0 && err.status < 500) attempt = null;
    throw err;
  }
}

// -- words and numbers -------------------------------------------------------------------

/** A server time as the clock on the wall says it; with the date when it is not today. */
function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  if (d.toDateString() !== new Date().toDateString()) return dateTime(iso);
  return d.toLocaleTimeString(language() === "zh" ? "zh-CN" : "en-GB", { hour12: false });
}

/** Seconds as people say them: 42 s, 3 min 5 s, 2 h 10 min, 1 d 4 h. */
function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return t("sync.duration.s", { s });
  const m = Math.floor(s / 60);
  if (m < 60) return t("sync.duration.m", { m, s: s % 60 });
  const h = Math.floor(m / 60);
  if (h < 24) return t("sync.duration.h", { h, m: m % 60 });
  return t("sync.duration.d", { d: Math.floor(h / 24), h: h % 24 });
}

/** The outbox's error ("500: words", "no answer: words", "400") as text, with its words. */
function omsError(text) {
  const match = /^(\d+|no answer)(?:: ?([\s\S]*))?$/.exec(text || "");
  if (!match) return { text: text || "", raw: "" };
  const code = match[1] === "no answer" ? 0 : Number(match[1]);
  let key = "sync.error.other";
  if (code === 0) key = "sync.error.no_answer";
  else if ([408, 425, 429].includes(code)) key = "sync.error.busy";
  else if (code >= 500) key = "sync.error.server";
  else if (code >= 400) key = "sync.error.refused";
  return { text: t(key, { status: code }), raw: (match[2] || "").trim() };
}

function fieldLabel(name) {
  const key = `sync.field.${name}`;
  const text = t(key);
  return text === key ? name : text;
}

function masked(value) {
  const text = String(value ?? "");
  return text.length >= 10 ? `${text.slice(0, 6)}••••${text.slice(-4)}` : text;
}

function isScalar(value) {
  return value !== null && value !== undefined && value !== "" && typeof value !== "object";
}

/** What an event is about, as label/value pairs: its telling fields, and list sizes. */
function excerpt(payload) {
  const facts = [];
  for (const name of EXCERPT_FIELDS) {
    if (isScalar(payload[name])) facts.push([name, fieldLabel(name), String(payload[name])]);
  }
  for (const name of LIST_FIELDS) {
    const list = payload[name];
    if (!Array.isArray(list)) continue;
    facts.push([name, fieldLabel(name), t("sync.field.count", { count: number(list.length) })]);
  }
  if (!facts.length) {
    const scalars = Object.entries(payload).filter(([name, value]) => isScalar(value) && !MASKED.has(name));
    for (const [name, value] of scalars.slice(0, EXCERPT_FALLBACK)) facts.push([name, name, String(value)]);
  }
  return facts;
}

function rawPayload(payload) {
  const shown = Object.fromEntries(
    Object.entries(payload).map(([name, value]) => [name, MASKED.has(name) && value ? masked(value) : value]),
  );
  return JSON.stringify(shown, null, 2);
}

// -- drawing -----------------------------------------------------------------------------

/** Change a node's text only when it differs: the alarm card is a live region, and a
 * redraw every 2 s must not have it read out again. */
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function linkState(s) {
  if (!s.enabled) return "off";
  if (s.stopped) return "stopped";
  if (s.attempts > 0 && s.last_error) return "retrying";
  if (s.backlog > 0) return "catching_up";
  return "up_to_date";
}

function nextTry(s) {
  if (s.stopped) return t("sync.next_try.stopped");
  if (!s.next_attempt_at) return t("sync.none");
  if (new Date(s.next_attempt_at).getTime() <= Date.now()) return t("sync.next_try.now");
  return when(s.next_attempt_at);
}

function renderLink() {
  const s = status;
  const state = linkState(s);
  document.body.dataset.backlog = String(s.backlog);
  document.body.dataset.linkState = state;
  $("link").dataset.state = state;
  const chip = $("link-state");
  chip.dataset.kind = state;
  setText(chip, t(`sync.state.${state}`));
  $("link-off").hidden = s.enabled;
  setText($("backlog"), number(s.backlog));
  setText($("lag"), s.backlog ? duration(s.lag_seconds) : t("sync.lag.none"));
  setText($("seqs"), `${s.delivered_seq} / ${s.last_seq}`);
  setText($("attempts"), number(s.attempts));
  setText($("next-try"), nextTry(s));
  setText($("last-ok"), s.last_ok_at ? when(s.last_ok_at) : t("sync.never"));
  // After a restore the OMS holds events the floor forgot: say so until the next one.
  const restore = s.last_restore;
  setText(
    $("last-restore"),
    restore ? t("sync.restored", { time: when(restore.at), seq: restore.after_seq }) : t("sync.never"),
  );
  const error = $("last-error");
  if (s.last_error) {
    const said = omsError(s.last_error);
    error.replaceChildren(el("span", "sync-error-text", said.text));
    if (said.raw) error.append(el("span", "sync-raw-line", said.raw));
  } else {
    error.replaceChildren(t("sync.no_error"));
  }
}

function renderEvent(seq) {
  const row = event?.seq === seq ? event.row : null;
  // Drawn again only when it changed: the card is read out when it changes.
  const reading = event?.seq !== seq || event.err === undefined ? "loading" : event.err?.code || "done";
  const signature = JSON.stringify([language(), seq, reading, row]);
  if (drawnEvent === signature) return;
  drawnEvent = signature;
  const problem = $("stop-event-error");
  setText($("stop-type"), row?.type || "…");
  setText($("stop-at"), row ? dateTime(row.at) : "…");
  problem.hidden = !(event?.seq === seq && !row && event.err !== undefined);
  if (!problem.hidden) {
    const text = event.err
      ? t("sync.event.unreadable", { error: errorText(event.err) })
      : t("sync.event.missing", { seq });
    setText(problem, text);
  }
  const facts = row ? excerpt(row.payload || {}) : [];
  $("stop-excerpt").replaceChildren(
    ...facts.map(([name, label, value]) => {
      const item = el("div");
      item.dataset.field = name;
      item.append(el("dt", "", label), el("dd", "", value));
      return item;
    }),
  );
  $("stop-raw-box").hidden = !row;
  setText($("stop-raw"), row ? rawPayload(row.payload || {}) : "");
}

function renderStop() {
  const stop = status.stopped;
  const card = $("stop");
  card.hidden = !stop;
  document.body.dataset.stoppedSeq = stop ? String(stop.seq) : "";
  if (!stop) return;
  card.dataset.seq = String(stop.seq);
  setText($("stop-title"), t("sync.stop.title", { seq: stop.seq }));
  setText($("stop-seq"), String(stop.seq));
  renderEvent(stop.seq);
  const answer = omsError(stop.error);
  setText($("stop-error"), answer.text);
  setText($("stop-error-raw"), answer.raw);
  $("stop-error-raw").hidden = !answer.raw;
  setText($("retry"), t("sync.retry.button", { seq: stop.seq }));
  setText($("skip"), t("sync.skip.button", { seq: stop.seq }));
  $("retry").disabled = busy;
  $("skip").disabled = busy;
}

function renderLive() {
  const line = $("live");
  line.dataset.live = live.ok ? "ok" : "lost";
  if (live.ok) line.textContent = t("sync.live", { time: when(live.at.toISOString()) });
  else line.textContent = live.error ? t("sync.live.lost", { error: live.error }) : t("common.loading");
}

function render() {
  renderLive();
  if (denied) {
    $("link").hidden = true;
    $("stop").hidden = true;
    return;
  }
  if (!status) return;
  renderLink();
  renderStop();
}

// -- asking the server -------------------------------------------------------------------

async function loadEvent(seq) {
  event = { seq, row: null, err: undefined };
  try {
    const row = await api.journalEvent(seq);
    if (event?.seq !== seq) return;
    event = { seq, row: row?.seq === seq ? row : null, err: null };
  } catch (err) {
    if (event?.seq !== seq) return;
    event = { seq, row: null, err };
  }
  render();
}

async function refresh() {
  if (polling || denied) return;
  polling = true;
  try {
    status = await api.syncStatus();
    live = { ok: true, at: new Date(), error: "" };
    const seq = status.stopped?.seq;
    // The refused event is read once per stop (again only if reading it failed).
    if (seq && (event?.seq !== seq || event.err)) loadEvent(seq);
    render();
    refreshes += 1;
    document.body.dataset.refreshed = String(refreshes);
  } catch (err) {
    live = { ok: false, at: live.at, error: errorText(err) };
    if (err.code === "ROLE_NOT_ALLOWED") {
      denied = true;
      tell("bad", () => errorText(err));
    }
    render();
  } finally {
    polling = false;
  }
}

async function poll() {
  clearTimeout(timer);
  if (!document.hidden) await refresh();
  clearTimeout(timer); // a poll started meanwhile (back on screen) set one too: keep one
  if (!denied) timer = setTimeout(poll, POLL_MS);
}

// -- retry and skip ----------------------------------------------------------------------

async function act(path, body, done) {
  const seq = status?.stopped?.seq;
  const what = () => t("sync.event.no", { seq });
  busy = true;
  render();
  note("pending", () => t("common.sending"), what);
  try {
    const answer = await sendNow(path, body);
    done(answer);
  } catch (err) {
    tell("bad", () => errorText(err), what);
  } finally {
    busy = false;
    await refresh();
    render();
  }
}

function retry() {
  if (!status?.stopped || busy) return;
  act("/api/v1/sync/retry", {}, (answer) => {
    const seq = answer.retrying_seq;
    tell("good", () => t("sync.retry.done", { seq }), () => t("sync.retry.detail"));
  });
}

function skip() {
  if (!status?.stopped || busy) return;
  const field = $("skip-reason");
  const reason = field.value.trim();
  if ([...reason].length < MIN_REASON) {
    tell("bad", () => t("sync.skip.need_reason"), () => t("sync.event.no", { seq: status.stopped.seq }));
    field.focus();
    return;
  }
  act("/api/v1/sync/skip", { seq: status.stopped.seq, reason }, (answer) => {
    field.value = "";
    const seq = answer.skipped_seq;
    tell("good", () => t("sync.skip.done", { seq }), () => answer.reason);
  });
}

// -- wiring ------------------------------------------------------------------------------

function relabel() {
  render();
  said.redo();
}

function main() {
  if (!api.token()) {
    api.goToLogin();
    return;
  }
  startPage({ onLanguage: relabel });
  $("retry").addEventListener("click", retry);
  $("skip-form").addEventListener("submit", (e) => {
    e.preventDefault();
    skip();
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) poll(); // back on screen: fresh at once
  });
  render();
  poll();
}

main();
