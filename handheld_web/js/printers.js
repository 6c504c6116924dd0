// The printer station: every printer with its live state and queue (asked every 2 s),
// the failed jobs with their reason (a supervisor sends one again), a test print per
// printer, the label preview of any job, and reprint: scan the parcel's waybill or order
// number, give a reason, and a copy (marked as one on the label) is queued.
//
// The scan field only names the parcel; the reprint itself is a separate tap, after a
// reason is chosen: a reprint is audited and a stray scan must not print a label.

import "./strings/printers.js"; // first: its strings before any use
import * as api from "./api.js";
import * as feedback from "./feedback.js";
import * as outbox from "./outbox.js";
import { errorText, language, t } from "./i18n.js";
import { ScanInput } from "./scan-input.js";
import { el, keepScanFocus, number, setSiteTimeZone, wallClock } from "./ui.js";
import { speaker, startPage } from "./shell.js";

const $ = (id) => document.getElementById(id);
const banner = $("banner");
const said = speaker(banner);
const { note, tell } = said;

const POLL_MS = 2000;
const RECENT_DONE = 5; // printed jobs shown per printer
const MANAGERS = ["supervisor", "admin"];
const REASONS = ["damaged", "unreadable", "wrong_parcel", "lost"];
const WAITING = new Set(["queued", "sending"]);
// What a printer's detail (the driver's words) asks a person to do.
const HINTS = [
  [/paper end|paper out/i, "printers.hint.paper_out"],
  [/cover open/i, "printers.hint.cover_open"],
  [/refused/i, "printers.hint.refused"],
  [/timed out|timeout/i, "printers.hint.timeout"],
  [/unreachable|no route/i, "printers.hint.unreachable"],
  [/no answer after the job/i, "printers.hint.no_answer"],
  [/no answer to the status query/i, "printers.hint.no_status"],
  [/near its end/i, "printers.hint.near_end"],
];

let scanInput = null;
let printers = [];
let jobs = []; // waiting, failed and recently printed jobs of every printer
let isManager = false;
let isAdmin = false; // a test print is printer setup: the admin's
let reprintCode = ""; // the parcel to reprint: a waybill, order or parcel number
let reason = ""; // the chosen preset reason, or ""
let result = null; // the last reprint's answer
let previewJob = null;
let previewUrl = "";
let live = { ok: false, at: null, error: "" };
let refreshes = 0;
let polling = false;
let stopped = false; // this user may not see the printers: stop asking
let timer = null;

/** A server time as the site's wall clock says it; with the date when it is not today. */
const when = wallClock;

/** A job's `last_error` ("CODE: words") as text people read; the words stay as detail. */
function jobError(text) {
  const match = /^([A-Z][A-Z0-9_]+): (?:\1: )?([\s\S]*)$/.exec(text || "");
  if (!match) return { text: text || "", raw: "" };
  return { text: errorText({ code: match[1], message: match[2], details: {} }), raw: match[2] };
}

function hintFor(detail) {
  const found = HINTS.find(([pattern]) => pattern.test(detail || ""));
  return found ? t(found[1]) : "";
}

/** What a job prints, in words: the test label, a location's or carton's label, a waybill. */
function jobWhat(job) {
  if (job.kind === "test") return t("printers.job.test");
  if (job.kind === "location_label") return t("printers.job.location", { code: job.payload?.code });
  if (job.kind === "carton_label") return t("printers.job.carton", { sscc: job.payload?.sscc });
  return job.waybill_no;
}

function chip(kind, text, className = "chip") {
  const node = el("span", className, text);
  node.dataset.kind = kind;
  return node;
}

// -- the printers -------------------------------------------------------------------------

function jobRow(job, { next = false, retryable = false } = {}) {
  const item = el("li", "job-row");
  const copy = job.payload?.copy ?? "";
  item.dataset.jobId = String(job.id);
  item.dataset.status = job.status;
  item.dataset.kind = job.kind;
  item.dataset.waybill = job.waybill_no || "";
  item.dataset.orderNo = job.order_no || "";
  item.dataset.copy = String(copy);

  const open = el("button", "job-open");
  open.type = "button";
  // Said before the visible text, not instead of it (an aria-label would hide the waybill
  // from speech control and screen readers).
  open.append(el("span", "visually-hidden", `${t("printers.job.open", { id: job.id })}: `));
  const top = el("span", "job-top");
  const what = jobWhat(job) || t("printers.job.no", job);
  top.append(el("strong", "job-waybill", what));
  if (copy) top.append(chip("copy", t("printers.job.copy", { copy })));
  if (next) top.append(chip("next", t("printers.job.next_in_line")));
  top.append(chip(job.status, t(`printers.job.status.${job.status}`), "chip job-status"));
  open.append(top);

  const facts = [];
  if (job.order_no) facts.push(t("printers.job.order", job));
  if (job.attempts) facts.push(t("printers.job.attempts", { attempts: number(job.attempts) }));
  if (job.status === "queued" && job.next_attempt_at && job.attempts) {
    facts.push(t("printers.job.next_try", { time: when(job.next_attempt_at) }));
  }
  const user = (job.created_by || "").replace(/^user:/, ""); // the actor label: user:pack01
  facts.push(t("printers.job.made", { user, time: when(job.done_at || job.created_at) }));
  open.append(el("span", "job-facts", facts.join(" · ")));
  if (job.last_error) {
    const error = jobError(job.last_error);
    const key = job.status === "failed" ? "printers.job.failed" : "printers.job.error";
    open.append(el("span", "job-error", t(key, { error: error.text })));
    if (error.raw && error.raw.toLowerCase() !== error.text.toLowerCase()) {
      open.append(el("span", "job-raw", error.raw));
    }
  }
  if (job.reason) open.append(el("span", "job-reason", t("printers.job.reason", job)));
  item.append(open);

  if (job.status === "failed" && retryable) {
    const retry = el("button", "secondary job-retry", t("printers.retry"));
    retry.type = "button";
    item.append(retry);
  }
  return item;
}

function jobList(className, title, rows, empty = "") {
  const section = el("div", `job-section ${className}`);
  section.append(el("h4", "job-section-title", title));
  if (rows.length) {
    const list = el("ul", "job-list");
    list.append(...rows);
    section.append(list);
  } else if (empty) {
    section.append(el("p", "job-empty", empty));
  } else {
    return null;
  }
  return section;
}

function printerCard(printer, own) {
  const card = el("article", "card printer-card");
  card.dataset.printer = printer.name;
  card.dataset.state = printer.state;
  card.dataset.queued = String(printer.queued);
  card.dataset.failed = String(printer.failed);

  const head = el("div", "printer-head");
  head.append(
    el("h3", "printer-name", printer.name),
    chip(printer.state, t(`printers.state.${printer.state}`), "chip printer-state"),
  );
  card.append(head);
  if (printer.configured) {
    const [width, height] = printer.label_mm;
    const kind = t(`printers.kind.${printer.kind}`);
    card.append(el("p", "printer-meta", t("printers.meta", { kind, width, height, dpi: printer.dpi })));
  } else {
    card.append(el("p", "printer-detail", t("printers.unconfigured")));
  }
  if (printer.detail && printer.state !== "online") {
    const hint = hintFor(printer.detail);
    const state = t(`printers.state.${printer.state}`);
    card.append(el("p", "printer-detail", t("printers.detail", { state, detail: hint || printer.detail })));
    if (hint) card.append(el("p", "printer-raw", printer.detail));
  } else if (printer.detail) {
    // Still printing, but worth a look: "paper near its end" is the one that matters.
    const hint = hintFor(printer.detail);
    if (hint) card.append(el("p", "printer-warn", hint));
    card.append(el("p", "printer-raw", printer.detail));
  }
  const counts = { queued: number(printer.queued), failed: number(printer.failed) };
  const status = el("p", "printer-counts", t("printers.counts", counts));
  if (printer.since) status.append(el("span", "printer-since", ` · ${t("printers.since", { time: when(printer.since) })}`));
  card.append(status);
  if (isAdmin && printer.configured && printer.enabled) {
    const test = el("button", "secondary printer-test", t("printers.test"));
    test.type = "button";
    card.append(test);
  }

  // The head of the line prints first: later labels never overtake it.
  const waiting = own.filter((j) => WAITING.has(j.status)).sort((a, b) => a.id - b.id);
  const failed = own.filter((j) => j.status === "failed");
  const printed = own.filter((j) => !WAITING.has(j.status) && j.status !== "failed").slice(0, RECENT_DONE);
  const queueRows = waiting.map((job, i) => jobRow(job, { next: i === 0 }));
  card.append(jobList("job-queue", t("printers.queue"), queueRows, t("printers.queue.empty")));
  // Only a supervisor sends a failed job again, and only to a printer that can print it.
  const retryable = isManager && printer.configured && printer.enabled;
  const failedRows = failed.map((job) => jobRow(job, { retryable }));
  const failedList = jobList("job-failed", t("printers.failed"), failedRows);
  if (failedList) card.append(failedList);
  const doneList = jobList("job-done", t("printers.done"), printed.map((job) => jobRow(job)));
  if (doneList) card.append(doneList);
  return card;
}

/** The configured printers, then any printer a job names that the configuration lacks. */
function allPrinters() {
  const known = new Set(printers.map((p) => p.name));
  const strays = [...new Set(jobs.map((j) => j.printer))].filter((name) => !known.has(name)).sort();
  const listed = printers.map((p) => ({ ...p, configured: true }));
  for (const name of strays) {
    const own = jobs.filter((j) => j.printer === name);
    listed.push({
      name,
      configured: false,
      enabled: false,
      state: "unconfigured",
      detail: "",
      since: "",
      queued: own.filter((j) => WAITING.has(j.status)).length,
      failed: own.filter((j) => j.status === "failed").length,
    });
  }
  return listed;
}

function renderPrinters() {
  const container = $("printers");
  const existing = new Map([...container.children].map((card) => [card.dataset.printer, card]));
  const cards = allPrinters().map((printer) => {
    const own = jobs.filter((j) => j.printer === printer.name);
    // Rebuild a card only when what it shows changed: a tap is not lost to a redraw.
    const signature = JSON.stringify([language(), isManager, isAdmin, printer, own]);
    const old = existing.get(printer.name);
    if (old && old.dataset.signature === signature) return old;
    const card = printerCard(printer, own);
    card.dataset.signature = signature;
    return card;
  });
  const unchanged =
    cards.length === container.children.length && cards.every((card, i) => container.children[i] === card);
  if (!unchanged) container.replaceChildren(...cards);
  $("printers-empty").hidden = cards.length > 0 || !live.ok;
}

function renderLive() {
  const line = $("live");
  line.dataset.live = live.ok ? "ok" : "lost";
  if (live.ok) line.textContent = t("printers.live", { time: when(live.at.toISOString()) });
  else line.textContent = live.error ? t("printers.live.lost", { error: live.error }) : t("common.loading");
}

// -- the reprint box ----------------------------------------------------------------------

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

function renderPrinterChoice() {
  const select = $("reprint-printer");
  const chosen = select.value;
  const names = printers.filter((p) => p.enabled).map((p) => p.name);
  const option = (value, text) => {
    const node = el("option", "", text);
    node.value = value;
    return node;
  };
  const signature = JSON.stringify([language(), names]);
  if (select.dataset.signature === signature) return;
  select.dataset.signature = signature;
  select.replaceChildren(option("", t("printers.reprint.same_printer")), ...names.map((n) => option(n, n)));
  select.value = names.includes(chosen) ? chosen : "";
}

function renderReprint() {
  $("reprint-code").textContent = reprintCode || t("printers.reprint.none");
  $("reprint-code").toggleAttribute("data-empty", !reprintCode);
  $("reprint-clear").hidden = !reprintCode;
  const shown = $("reprint-result");
  shown.hidden = !result;
  if (!result) return;
  const job = jobs.find((j) => j.id === result.id);
  const status = job ? job.status : result.status;
  shown.dataset.jobId = String(result.id);
  shown.dataset.copy = String(result.copy);
  shown.dataset.printer = result.printer;
  shown.dataset.waybill = result.waybill_no;
  shown.dataset.status = status;
  shown.replaceChildren(
    el("span", "reprint-result-text", t("printers.reprint.made", result)),
    el("span", "reprint-result-detail", t("printers.reprint.detail", result)),
    chip(status, t(`printers.job.status.${status}`), "chip job-status"),
  );
}

/** The reason sent with a reprint: the preset, the typed words, or both. */
function reasonText() {
  const typed = $("reprint-note").value.trim();
  const preset = reason ? t(`printers.reason.${reason}`) : "";
  return [preset, typed].filter(Boolean).join(language() === "zh" ? "：" : ": ");
}

function setCode(code) {
  reprintCode = code;
  result = null;
  renderReprint();
  tell("good", () => t("printers.reprint.scanned", { code }));
}

function clearReprint() {
  reprintCode = "";
  reason = "";
  $("reprint-note").value = "";
  renderReasons();
  renderReprint();
}

function reprintRefusal(err, code) {
  if (err.code === "ORDER_CANCELLED") {
    return t("printers.reprint.cancelled", { scanned: err.details.scanned || code });
  }
  return errorText(err);
}

async function reprint() {
  const code = reprintCode;
  if (!code) {
    tell("bad", () => t("printers.reprint.need_code"));
    scanInput.focus();
    return;
  }
  const why = reasonText();
  if (!why) {
    tell("bad", () => t("printers.reprint.need_reason"), () => code);
    $("reprint-note").focus();
    return;
  }
  const body = { scan: code, reason: why };
  const printer = $("reprint-printer").value;
  if (printer) body.printer = printer;
  const submit = $("reprint-submit");
  submit.disabled = true;
  note("pending", () => t("common.sending"), () => code);
  try {
    const answer = await outbox.submit("/api/v1/print-jobs/reprint", body);
    clearReprint();
    if (answer.queued) {
      tell("info", () => t("common.queued"), () => code);
      return;
    }
    result = answer.result;
    renderReprint();
    const made = answer.result;
    tell("good", () => t("printers.reprint.queued", made), () => t("printers.reprint.detail", made));
    refresh();
  } catch (err) {
    const kind = err.code === "ORDER_CANCELLED" ? "intercept" : "bad";
    tell(kind, () => reprintRefusal(err, code), () => code);
  } finally {
    submit.disabled = false;
    scanInput.focus();
  }
}

// -- test prints, retries -----------------------------------------------------------------

async function testPrint(name) {
  note("pending", () => t("common.sending"), () => name);
  try {
    const answer = await outbox.submit(`/api/v1/printers/${encodeURIComponent(name)}/test`, {});
    if (answer.queued) {
      tell("info", () => t("common.queued"), () => name);
      return;
    }
    tell("good", () => t("printers.test.queued", { printer: name }));
    refresh();
  } catch (err) {
    tell("bad", () => errorText(err), () => name);
  }
}

async function retry(jobId) {
  const what = () => t("printers.job.no", { id: jobId });
  note("pending", () => t("common.sending"), what);
  try {
    const answer = await outbox.submit(`/api/v1/print-jobs/${encodeURIComponent(jobId)}/retry`, {});
    if (answer.queued) {
      tell("info", () => t("common.queued"), what);
      return;
    }
    const job = answer.result;
    tell("good", () => t("printers.retry.done", job), () => job.waybill_no || "");
    refresh();
  } catch (err) {
    tell("bad", () => errorText(err), what);
  }
}

// -- the label preview --------------------------------------------------------------------

function jobById(id) {
  return jobs.find((j) => j.id === id) || null;
}

async function openPreview(job) {
  previewJob = job;
  const panel = $("preview");
  const image = $("preview-img");
  panel.hidden = false;
  panel.dataset.jobId = String(job.id);
  $("preview-title").textContent = t("printers.preview.title", { id: job.id });
  const status = t(`printers.job.status.${job.status}`);
  const copy = job.payload?.copy ? t("printers.job.copy", { copy: job.payload.copy }) : "";
  const what = jobWhat(job);
  const order = job.order_no ? t("printers.job.order", job) : "";
  $("preview-meta").textContent = [what, copy, order, job.printer, status].filter(Boolean).join(" · ");
  $("preview-error").hidden = true;
  $("preview-reprint").hidden = !(job.kind === "face_sheet" && job.waybill_no);
  image.hidden = true;
  delete image.dataset.loaded;
  try {
    const blob = await api.printPreview(job.id);
    if (previewJob !== job) return;
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = URL.createObjectURL(blob);
    image.onload = () => {
      image.dataset.loaded = String(job.id);
    };
    image.alt = t("printers.preview.alt", { waybill_no: what });
    image.src = previewUrl;
    image.hidden = false;
  } catch (err) {
    if (previewJob !== job) return;
    $("preview-error").textContent = errorText(err);
    $("preview-error").hidden = false;
  }
}

function closePreview() {
  previewJob = null;
  $("preview").hidden = true;
  $("preview-img").removeAttribute("src");
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = "";
  scanInput.focus();
}

// -- asking the server --------------------------------------------------------------------

async function refresh() {
  if (polling || stopped) return;
  polling = true;
  try {
    const [found, ...lists] = await Promise.all([
      api.listPrinters(),
      api.listPrintJobs({ status: "queued", limit: 200 }),
      api.listPrintJobs({ status: "sending", limit: 50 }),
      api.listPrintJobs({ status: "failed", limit: 100 }),
      api.listPrintJobs({ status: "done", limit: 50 }),
    ]);
    // A job that moved on between two of the lists is kept once, at its later step.
    const byId = new Map();
    for (const job of lists.flat()) byId.set(job.id, job);
    printers = found;
    jobs = [...byId.values()].sort((a, b) => b.id - a.id);
    live = { ok: true, at: new Date(), error: "" };
    render();
    refreshes += 1;
    document.body.dataset.refreshed = String(refreshes);
  } catch (err) {
    live = { ok: false, at: live.at, error: errorText(err) };
    renderLive();
    if (err.code === "ROLE_NOT_ALLOWED") {
      stopped = true;
      tell("bad", () => errorText(err));
    }
  } finally {
    polling = false;
  }
}

async function poll() {
  clearTimeout(timer);
  if (!document.hidden) await refresh();
  clearTimeout(timer); // a poll started meanwhile (back on screen) set one too: keep one
  if (!stopped) timer = setTimeout(poll, POLL_MS);
}

// -- wiring -------------------------------------------------------------------------------

function render() {
  renderLive();
  renderPrinters();
  renderPrinterChoice();
  renderReprint();
}

function relabel() {
  renderReasons();
  render();
  if (previewJob) openPreview(previewJob);
  said.redo();
}

function onPrinterClick(e) {
  const card = e.target.closest(".printer-card");
  if (!card) return;
  if (e.target.closest(".printer-test")) {
    testPrint(card.dataset.printer);
    return;
  }
  const row = e.target.closest(".job-row");
  if (!row) return;
  const id = Number(row.dataset.jobId);
  if (e.target.closest(".job-retry")) {
    retry(id);
    return;
  }
  const job = jobById(id);
  if (job && e.target.closest(".job-open")) openPreview(job);
}

async function main() {
  startPage({ onLanguage: relabel });
  scanInput = new ScanInput($("scan-form"), { onScan: setCode });
  keepScanFocus(scanInput, []); // Enter in the note field submits the reprint
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
  $("reprint-clear").addEventListener("click", clearReprint);
  $("reprint-result").addEventListener("click", () => {
    if (!result) return;
    const job = jobById(result.id) || {
      id: result.id,
      kind: "face_sheet",
      status: result.status,
      printer: result.printer,
      waybill_no: result.waybill_no,
      payload: { copy: result.copy },
    };
    openPreview(job);
  });
  $("printers").addEventListener("click", onPrinterClick);
  $("preview-close").addEventListener("click", closePreview);
  $("preview").addEventListener("click", (e) => {
    if (e.target === $("preview")) closePreview(); // a tap beside the label
  });
  $("preview-reprint").addEventListener("click", () => {
    const code = previewJob?.waybill_no;
    closePreview();
    if (code) setCode(code);
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && previewJob) closePreview();
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) poll(); // back on screen: fresh at once
  });
  renderReasons();
  render();
  scanInput.focus();

  try {
    const [me, config] = await Promise.all([api.me(), api.clientConfig().catch(() => null)]);
    isManager = me.roles.some((role) => MANAGERS.includes(role));
    isAdmin = me.roles.includes("admin");
    scanInput.configure(config?.scan);
    setSiteTimeZone(config?.site?.timezone); // times on the site's clock, not the device's
  } catch (err) {
    tell("bad", () => errorText(err));
  }
  poll();
}

main();
