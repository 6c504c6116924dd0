// Talking to the bondfloor server: session token, device id, the one error shape.

import { loadErrorTexts, setLanguage } from "./i18n.js";
import { forgetOpenWork } from "./open-work.js";

const TOKEN_KEY = "bondfloor.token";
const USER_KEY = "bondfloor.user";
const DEVICE_KEY = "bondfloor.device";
// The last answers of `me` and client-config, so a page reloaded offline keeps its session.
const ME_KEY = "bondfloor.me";
const CLIENT_CONFIG_KEY = "bondfloor.client-config";
const LOGIN_PAGE = "index.html";
const SESSION_OVER = new Set(["UNAUTHENTICATED", "SESSION_EXPIRED"]);

/** A failed call, carrying the server's stable error code. */
export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** This handheld's id, made once and kept; the server logs it with every scan. */
export function deviceId() {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    // crypto.randomUUID needs a secure context; handhelds reach the server over plain http.
    const bytes = crypto.getRandomValues(new Uint8Array(6));
    id = "HH-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function saveToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
  sessionStorage.removeItem(ME_KEY);
  if (!value) forgetOpenWork();
}

/** Leave for the login page, saying why (`expired`) when the session ended under us. */
export function goToLogin(reason = "") {
  saveToken(null);
  location.replace(LOGIN_PAGE + (reason ? `?reason=${encodeURIComponent(reason)}` : ""));
}

async function send(method, path, { body, query, key, accept = "application/json" } = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query || {})) url.searchParams.set(name, value);
  const headers = { Accept: accept, "X-Device": deviceId() };
  if (key) headers["Idempotency-Key"] = key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  try {
    const response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    tellReachable(true);
    return response;
  } catch (err) {
    tellReachable(false);
    throw new ApiError(0, "NETWORK_ERROR", String(err));
  }
}

/** For js/offline.js's note: the last call reached the server or not (kept on the document
 * too, for a note mounted after the first call). */
function tellReachable(reached) {
  document.documentElement.dataset.server = reached ? "reachable" : "unreachable";
  window.dispatchEvent(new Event(reached ? "bondfloor:reachable" : "bondfloor:unreachable"));
}

/** `fetchAnswer()`, kept in `storage` under `name`; when the server cannot be reached, the
 * answer kept from before (a page reloaded offline keeps working with what it knew). */
async function keptWhenOffline(storage, name, fetchAnswer) {
  try {
    const answer = await fetchAnswer();
    storage.setItem(name, JSON.stringify(answer));
    return answer;
  } catch (err) {
    const kept = err.code === "NETWORK_ERROR" ? storage.getItem(name) : null;
    if (kept === null) throw err;
    return JSON.parse(kept);
  }
}

/** Turn a refused answer into an ApiError (or leave for the login page when the session is over). */
async function refusal(response) {
  const data = await response.json().catch(() => null);
  const error = data?.error || {};
  const failure = new ApiError(
    response.status,
    error.code || `HTTP_${response.status}`,
    error.message || response.statusText,
    error.details || {},
  );
  if (response.status === 401 && token() && SESSION_OVER.has(failure.code)) {
    goToLogin(failure.code);
    return new Promise(() => {}); // the page is leaving; nothing after this call should run
  }
  await loadErrorTexts(); // resolved already but for a call that is not `call`'s
  throw failure;
}

async function call(method, path, options = {}) {
  // Answers may carry codes (refusals, warnings, blocks) the page shows in words: the
  // error texts come alongside the first call, and no answer is handed over before them.
  const [response] = await Promise.all([send(method, path, options), loadErrorTexts()]);
  if (!response.ok) return refusal(response);
  return response.json().catch(() => null);
}

/** Public settings the pages need before login: site name, scan settings, role labels. */
let clientConfigPromise = null;
export function clientConfig() {
  clientConfigPromise ??= keptWhenOffline(localStorage, CLIENT_CONFIG_KEY, () =>
    call("GET", "/api/v1/client-config"),
  );
  return clientConfigPromise;
}

export async function login(credentials) {
  saveToken(null);
  const answer = await call("POST", "/api/v1/auth/login", { body: credentials });
  saveToken(answer.token);
  sessionStorage.setItem(USER_KEY, answer.user.code);
  // The user's language follows them to any handheld ('' leaves this one's own choice).
  if (answer.user.language) setLanguage(answer.user.language);
  return answer.user;
}

/** Keep the language chosen on the switch as the logged-in user's (best effort: the
 * switch works on this handheld whatever the answer). */
export function saveMyLanguage(language) {
  if (!token()) return Promise.resolve(null);
  return sendCommand("/api/v1/auth/me/language", { language }, newKey()).catch(() => null);
}

/** The logged-in user's code (asked of the server once per session). */
export async function currentUser() {
  let code = sessionStorage.getItem(USER_KEY);
  if (!code) {
    code = (await me()).code;
    sessionStorage.setItem(USER_KEY, code);
  }
  return code;
}

/** A new idempotency key for one change: this device, the time, and randomness. */
export function newKey() {
  const random = crypto.getRandomValues(new Uint32Array(2));
  return `${deviceId()}-${Date.now().toString(36)}-${random[0].toString(36)}${random[1].toString(36)}`;
}

/** Send one change under its idempotency key (use outbox.submit, which keeps the key). */
export function sendCommand(path, body, key) {
  return call("POST", path, { body, key });
}

export async function logout() {
  try {
    await call("POST", "/api/v1/auth/logout");
  } finally {
    saveToken(null);
  }
}

/** Who is logged in; without a session, straight to the login page. */
export function me() {
  if (!token()) {
    goToLogin();
    return new Promise(() => {}); // the page is leaving
  }
  return keptWhenOffline(sessionStorage, ME_KEY, () => call("GET", "/api/v1/auth/me"));
}

export function lookupStock(code) {
  return call("GET", "/api/v1/stock/lookup", { query: { code } });
}

// Cycle counts: a counter's answers never carry expected quantities (the server's rule).

/** The caller's count in progress, else the next open count task (null: none). */
export function nextCount() {
  return call("GET", "/api/v1/counts/next");
}

/** Start the count of the scanned location (it is frozen until submitted). */
export function startCount(location) {
  return sendCommand("/api/v1/counts/start", { location }, newKey());
}

/** Set the counted quantity of one scanned item: `{item, quantity, lot?, expiry?}`. */
export function countLine(taskId, line) {
  return sendCommand(`/api/v1/counts/${encodeURIComponent(taskId)}/lines`, line, newKey());
}

export function submitCount(taskId) {
  return sendCommand(`/api/v1/counts/${encodeURIComponent(taskId)}/submit`, undefined, newKey());
}

/** Supervisors: count tasks for `{locations}`, `{zone}`, `{sku}` or `{abc_class}`. */
export function createCounts(scope) {
  return sendCommand("/api/v1/counts", scope, newKey());
}

/** Supervisors: the differences waiting for a decision (expected, counted, delta). */
export function listCountProposals(status = "pending") {
  return call("GET", "/api/v1/count-proposals", { query: { status } });
}

/** Supervisors: `decision` is `approve` (stock changes) or `reject`; `{reason}`. */
export function decideCountProposal(id, decision, body) {
  return sendCommand(`/api/v1/count-proposals/${encodeURIComponent(id)}/${decision}`, body, newKey());
}

// Inbound: delivery plans, their tally and the receipt document.

/** Today's arrivals: plans expected on `day` (YYYY-MM-DD) and every plan at the door. */
export function listPlans(day) {
  return call("GET", "/api/v1/plans", { query: { day } });
}

/** Plans with a scanned plan number (unique per customer, so maybe several). */
export function lookupPlan(code) {
  return call("GET", "/api/v1/plans/lookup", { query: { code } });
}

/** A plan's summary with its live tally. */
export function getPlan(id) {
  return call("GET", `/api/v1/plans/${encodeURIComponent(id)}`);
}

export function getReceipt(id) {
  return call("GET", `/api/v1/plans/${encodeURIComponent(id)}/receipt`);
}

export function getCustomer(code) {
  return call("GET", `/api/v1/customers/${encodeURIComponent(code)}`);
}

// Put-away.

/** What waits on a dock or staging location, each row with its suggested location. */
export function putawayPending(location) {
  return call("GET", "/api/v1/putaway/pending", { query: { location } });
}

/** The scanned item's stock on `location`, each row with its suggested location. */
export function putawaySuggest(location, item, lot = "") {
  return call("GET", "/api/v1/putaway/suggest", { query: { location, item, lot } });
}

// Moves.

/** What a location holds (with reserved units); with `item`, only that item or carton. */
export function moveSource(location, item = "", lot = "", customer = "") {
  return call("GET", "/api/v1/moves/source", { query: { location, item, lot, customer } });
}

/** A SKU's master data: whether it is lot- and expiry-tracked. */
export function getSku(customer, code) {
  return call("GET", `/api/v1/skus/${encodeURIComponent(customer)}/${encodeURIComponent(code)}`);
}

// Outbound: waves and picking, packing, the supervisor's order lists.

/** Waves (`open` or `done`), newest first, each with its open pick tasks. */
export function listWaves(status = "open") {
  return call("GET", "/api/v1/waves", { query: { status } });
}

/** Check one pick scan (`{location}`, `{item}` or `{tote}`) against the task; changes nothing. */
export function checkPick(taskId, scan) {
  return call("POST", `/api/v1/pick-tasks/${encodeURIComponent(taskId)}/check`, { body: scan });
}

/** The order behind a scanned tote, order or waybill number, if it may be packed. */
export function openForPacking(scan) {
  return call("GET", "/api/v1/packing/open", { query: { scan } });
}

/** An order from its order number, waybill number or tote, whatever its state. */
export function lookupOrder(code) {
  return call("GET", "/api/v1/orders/lookup", { query: { code } });
}

/** Orders for the supervisor: `{state, exceptions, courier, limit}`, each optional. */
export function listOrders(filters = {}) {
  const query = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== "" && v != null));
  return call("GET", "/api/v1/orders", { query });
}

/** How many orders are at each step, on hold, and the open floor tasks by kind. */
export function orderSummary() {
  return call("GET", "/api/v1/orders/summary");
}

/** Open return-to-stock and to-inspection tasks. */
export function openOrderTasks() {
  return call("GET", "/api/v1/order-tasks");
}

// Printing: the printers with their state, the print queue, label previews.

/** Every printer with its state (online, unavailable, paper out…) and queue counts. */
export function listPrinters() {
  return call("GET", "/api/v1/printers");
}

/** The printers labels may go to (location and carton labels), with label size and state. */
export function labelPrinters() {
  return call("GET", "/api/v1/labels/printers");
}

/** A plan's lines as the carton label form offers them. */
export function labelLines(planId) {
  return call("GET", `/api/v1/plans/${encodeURIComponent(planId)}/label-lines`);
}

/** Print jobs, newest first: `{printer, status, limit}`, each optional. */
export function listPrintJobs(filters = {}) {
  const query = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== "" && v != null));
  return call("GET", "/api/v1/print-jobs", { query });
}

/** A job's label as the printer gets it, as a PNG blob (an <img> cannot send the token). */
export async function printPreview(jobId) {
  const path = `/api/v1/print-jobs/${encodeURIComponent(jobId)}/preview.png`;
  const response = await send("GET", path, { accept: "image/png, application/json" });
  if (!response.ok) return refusal(response);
  return response.blob();
}

/** One print job with what its label carries (its status, after a reprint). */
export function getPrintJob(jobId) {
  return call("GET", `/api/v1/print-jobs/${encodeURIComponent(jobId)}`);
}

// Stations: pack benches, the printer station and dock doors with their fixed scanners.

/** Every station: who works there, what is open, its agent and devices. */
export function listStations() {
  return call("GET", "/api/v1/stations");
}

/** One station: its user, open order, last parcel, last scan id and agent. */
export function getStation(name) {
  return call("GET", `/api/v1/stations/${encodeURIComponent(name)}`);
}

/** The live weight on the station's scale: `{state, grams, stable, net, tare_g, unit, age_ms}`. */
export function stationWeight(name) {
  return call("GET", `/api/v1/stations/${encodeURIComponent(name)}/weight`);
}

/** The station's scans after `after` (oldest first); with 0, the newest `limit`. */
export function stationScans(name, after = 0, limit = 50) {
  return call("GET", `/api/v1/stations/${encodeURIComponent(name)}/scans`, {
    query: { after, limit },
  });
}

// Dock check-out: loading lists, what is loading at a door, the handover record.

/** Loading lists, newest first; `state` is `open`, `loading` or `departed` (or all). */
export function listLoadingLists(state = "") {
  return call("GET", "/api/v1/loading-lists", { query: state ? { state } : {} });
}

/** A loading list's progress: checks, loaded vs planned, missing, to pull off, weight. */
export function getLoadingList(id) {
  return call("GET", `/api/v1/loading-lists/${encodeURIComponent(id)}`);
}

/** What is loading at a dock door: `{door, list}` (`list` null when the door is free). */
export function dockDoor(door) {
  return call("GET", `/api/v1/dock-doors/${encodeURIComponent(door)}`);
}

/** A plan's tally record (`kind` "tally") or warehouse receipt ("receipt") as a PDF file. */
export function planPdf(id, kind) {
  return pdfFile(`/api/v1/plans/${encodeURIComponent(id)}/${kind}.pdf`, `${kind}.pdf`);
}

/** The handover record of a departed truck as a PDF file. */
export function handoverPdf(id) {
  return pdfFile(`/api/v1/loading-lists/${encodeURIComponent(id)}/handover.pdf`, "handover.pdf");
}

/** A PDF as `{blob, filename}` (a link cannot send the token); the name as the server gives
 * it, the Chinese one (`filename*`) first. */
async function pdfFile(path, fallback) {
  const response = await send("GET", path, { accept: "application/pdf, application/json" });
  if (!response.ok) return refusal(response);
  const disposition = response.headers.get("Content-Disposition") || "";
  const wide = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1];
  const plain = /filename="([^"]+)"/.exec(disposition)?.[1];
  return { blob: await response.blob(), filename: wide ? decodeURIComponent(wide) : plain || fallback };
}

/** The handover record (交接单) of a departed truck. */
export function getHandover(id) {
  return call("GET", `/api/v1/loading-lists/${encodeURIComponent(id)}/handover`);
}

/** Delivery of the events journal to the OMS: backlog, lag, last error, a stop. */
export function syncStatus() {
  return call("GET", "/api/v1/sync");
}

/** The journal's event `seq` (or the next one after it, when it is gone). */
export async function journalEvent(seq) {
  const rows = await call("GET", "/api/v1/events", { query: { after: seq - 1, limit: 1 } });
  return rows[0] || null;
}

// Trace: histories and "where did it go", for supervisors.

/** One page of a history, newest first: `{kind, value, customer, before, limit}`. */
export function trace(params) {
  const query = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== "" && v != null));
  return call("GET", "/api/v1/trace", { query });
}

/** The whole history as a CSV file: `{blob, filename}` (a link cannot send the token). */
export async function traceCsv(params) {
  const query = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== "" && v != null));
  const response = await send("GET", "/api/v1/trace/export", { query, accept: "text/csv, application/json" });
  if (!response.ok) return refusal(response);
  const disposition = response.headers.get("Content-Disposition") || "";
  const filename = /filename="([^"]+)"/.exec(disposition)?.[1] || "trace.csv";
  return { blob: await response.blob(), filename };
}

/** A counted quantity against the ledger: `{sku, counted, customer, lot, location}`. */
export function explainDifference(params) {
  const query = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== "" && v != null));
  return call("GET", "/api/v1/trace/explain", { query });
}

// The supervisor's dashboard: the day's flow, open work, holds, alerts, devices, the link.

/** Everything the dashboard shows for a site day (YYYY-MM-DD; default today). */
export function dashboard(day = "") {
  return call("GET", "/api/v1/dashboard", { query: day ? { day } : {} });
}

/** A report as a CSV file, `{blob, filename}`: `throughput` (of a day) or `alerts`. */
export async function reportCsv(report, query = {}) {
  const path = `/api/v1/reports/${encodeURIComponent(report)}.csv`;
  const response = await send("GET", path, { query, accept: "text/csv, application/json" });
  if (!response.ok) return refusal(response);
  const disposition = response.headers.get("Content-Disposition") || "";
  const filename = /filename="([^"]+)"/.exec(disposition)?.[1] || `${report}.csv`;
  return { blob: await response.blob(), filename };
}

/** Manual stock adjustments over the approval limit, waiting for a second supervisor. */
export function listAdjustments(status = "pending") {
  return call("GET", "/api/v1/ledger/adjustments", { query: { status } });
}

/** `decision` is `approve` (the stock changes) or `reject`, under its idempotency key. */
export function decideAdjustment(id, decision, key) {
  return sendCommand(`/api/v1/ledger/adjustments/${encodeURIComponent(id)}/${decision}`, undefined, key);
}

/** Acknowledge an alert with a note, under its idempotency key. */
export function ackAlert(alertId, note, key) {
  return sendCommand(`/api/v1/alerts/${encodeURIComponent(alertId)}/ack`, { note }, key);
}

/** The site CA's download address, file name and fingerprint (public: the CA page). */
export function siteCa() {
  return call("GET", "/api/v1/tls/ca");
}

// Administration (admins): users and API tokens. Every change is sent at once with its key.

/** Every user: roles, enabled, locked, language, last login, the badge masked. */
export function listUsers() {
  return call("GET", "/api/v1/users");
}

/** Station and OMS tokens: name, kind, made, last used (never the token). */
export function listTokens() {
  return call("GET", "/api/v1/tokens");
}

// Billing (managers): periods, statements and tariffs. Changes are sent at once with a key.

/** Periods closed or re-opened, newest first (a month never closed is open). */
export function billingPeriods() {
  return call("GET", "/api/v1/billing/periods");
}

/** Stored statements (closed and superseded), of a period when one is named. */
export function billingStatements(period = "") {
  return call("GET", "/api/v1/billing/statements", { query: period ? { period } : {} });
}

export function billingStatement(id) {
  return call("GET", `/api/v1/billing/statements/${encodeURIComponent(id)}`);
}

/** A stored statement as CSV, `{blob, filename}` (a link cannot send the token). */
export async function billingStatementCsv(id) {
  const path = `/api/v1/billing/statements/${encodeURIComponent(id)}/csv`;
  const response = await send("GET", path, { accept: "text/csv, application/json" });
  if (!response.ok) return refusal(response);
  const disposition = response.headers.get("Content-Disposition") || "";
  const filename = /filename="([^"]+)"/.exec(disposition)?.[1] || `statement-${id}.csv`;
  return { blob: await response.blob(), filename };
}

/** A stored statement as an A4 PDF file, `{blob, filename}`. */
export function billingStatementPdf(id) {
  return pdfFile(`/api/v1/billing/statements/${encodeURIComponent(id)}/pdf`, `statement-${id}.pdf`);
}

export function closeBillingPeriod(period, key) {
  return sendCommand(`/api/v1/billing/periods/${encodeURIComponent(period)}/close`, undefined, key);
}

export function reopenBillingPeriod(period, reason, key) {
  return sendCommand(`/api/v1/billing/periods/${encodeURIComponent(period)}/reopen`, { reason }, key);
}

/** Every charge a statement line can be (`priced`: a tariff's): code, category, unit,
 * scale, and the names of each in Chinese and English (js/charge-names.js). */
export function chargeCodes() {
  return call("GET", "/api/v1/billing/charge-codes");
}

/** A customer's tariff versions ("" : the site default's), newest first. */
export function tariffVersions(customer = "") {
  return call("GET", "/api/v1/billing/tariffs", { query: customer ? { customer } : {} });
}

/** `{customer, effective_from, minimum_fen, rates: [{charge_code, rate_fen}], reason}`. */
export function setTariff(tariff, key) {
  return sendCommand("/api/v1/billing/tariffs", tariff, key);
}

export function listCustomers() {
  return call("GET", "/api/v1/customers");
}

/** The stored lines facts fed: `kind` movement and up to 100 ids, or one code. */
export function billingLinesCiting(kind, refs) {
  return call("GET", "/api/v1/billing/lines", { query: { kind, ref: refs.join(",") } });
}

/** A stored line's facts (the first 200), each with the trace page that shows it. */
export function billingLineSources(statementId, lineNo) {
  const path = `/api/v1/billing/statements/${encodeURIComponent(statementId)}/lines/${encodeURIComponent(lineNo)}/sources`;
  return call("GET", path);
}
