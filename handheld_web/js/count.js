// Cycle counts: blind counting for counters, and the supervisor's decisions.
//
// Scan the location to start its count: from then on the location is frozen (nothing
// is picked, moved or put away there) until the count is submitted. Scan each item,
// type how many are there, save; an item the ledger did not expect is counted the same
// way. The page never shows what the ledger expects: the server does not send it to a
// counter. A difference beyond the threshold makes a recount; the recount's
// differences wait for a supervisor, who approves (stock changes) or rejects each one.

import "./strings/count.js"; // first: its strings before any use
import * as api from "./api.js";
import * as feedback from "./feedback.js";
import * as outbox from "./outbox.js";
import { errorText, t } from "./i18n.js";
import { askAboutLargeQuantity } from "./large-quantity.js";
import { ScanInput, showScanPrompt } from "./scan-input.js";
import { el, elKeepingCodesWhole, keepScanFocus, number, signed } from "./ui.js";
import { lotText, speaker, startPage } from "./shell.js";

const $ = (id) => document.getElementById(id);
const banner = $("banner");
const said = speaker(banner);
const { tell } = said;
const scanField = $("scan");
const qtyField = $("qty");
const MANAGERS = ["supervisor", "admin"];
const REASONS = ["count_loss", "count_gain", "damaged", "found", "miscount"];

let scanInput = null;
let manager = false;
let task = null; // the count in progress (blind view for a counter)
let next = null; // the next open task
let item = null; // the scanned item waiting for its quantity
let proposals = [];

// -- rendering ----------------------------------------------------------------------------

function lineElement(line) {
  const row = el("li", "count-line");
  row.dataset.sku = line.sku;
  row.dataset.lot = line.lot;
  const top = el("span", "pending-top");
  top.append(el("span", "pending-sku", line.sku), el("span", "pending-qty line-counted", number(line.counted)));
  row.append(top, el("span", "pending-name", `${line.sku_name} · ${line.customer}`), elKeepingCodesWhole("span", "pending-lot", lotText(line)));
  return row;
}

function proposalElement(p) {
  const row = el("li", "proposal");
  row.dataset.id = String(p.id);
  row.dataset.location = p.location;
  row.dataset.sku = p.sku;
  row.dataset.lot = p.lot;
  const top = el("span", "pending-top");
  top.append(el("strong", "p-location", p.location), " ", el("span", "pending-sku", p.sku));
  const figures = el("span", "pending-where");
  figures.append(
    el("span", "label", t("count.expected")), " ", el("span", "p-expected", number(p.expected)), " · ",
    el("span", "label", t("count.counted")), " ", el("span", "p-counted", number(p.counted)), " · ",
    el("strong", "p-delta", signed(p.delta)),
  );
  const reason = el("select", "p-reason");
  reason.setAttribute("aria-label", t("count.reason"));
  for (const code of REASONS) {
    const option = el("option", "", t(`count.reason.${code}`));
    option.value = code;
    reason.append(option);
  }
  reason.value = p.delta < 0 ? "count_loss" : "count_gain";
  const approve = el("button", "p-approve", t("count.approve"));
  approve.type = "button";
  approve.addEventListener("click", () => decide(p, "approve", reason.value));
  const reject = el("button", "p-reject secondary", t("count.reject"));
  reject.type = "button";
  reject.addEventListener("click", () => decide(p, "reject", "miscount"));
  const actions = el("span", "task-row");
  actions.append(reason, approve, reject);
  row.append(top, el("span", "pending-name", `${p.sku_name} · ${p.customer}`), elKeepingCodesWhole("span", "pending-lot", lotText(p)), figures, actions);
  return row;
}

function render() {
  const counting = task && task.status === "counting";
  const hint = t(counting ? "count.hint.item" : "count.hint.location");
  showScanPrompt(scanField, hint);
  document.body.dataset.step = counting ? (item ? "quantity" : "item") : "location";
  $("next").hidden = counting || !next;
  $("next-none").hidden = counting || Boolean(next);
  if (next) {
    $("next-location").textContent = next.location;
    $("next-origin").textContent = t(`count.origin.${next.origin}`);
  }
  $("task").hidden = !counting;
  if (counting) {
    $("task").dataset.task = String(task.id);
    $("task-location").textContent = task.location;
    $("task-recount").hidden = task.origin !== "recount";
    $("item-box").hidden = !item;
    $("item-code").textContent = item || "";
    $("lines").replaceChildren(...task.lines.map(lineElement));
    $("lines-empty").hidden = task.lines.length > 0;
  }
  $("manager").hidden = !manager;
  if (manager) {
    $("proposals").replaceChildren(...proposals.map(proposalElement));
    $("proposals-empty").hidden = proposals.length > 0;
  }
}

// -- counting -----------------------------------------------------------------------------

async function loadNext() {
  try {
    const found = await api.nextCount();
    if (found && found.status === "counting") {
      task = found;
      next = null;
    } else {
      task = null;
      next = found;
    }
  } catch (err) {
    tell("bad", () => errorText(err));
  }
  render();
}

async function startCount(code) {
  try {
    task = await api.startCount(code);
    next = null;
    item = null;
    render();
    tell("good", () => t("count.started", { location: task.location }), () => t("count.frozen"));
  } catch (err) {
    tell("bad", () => errorText(err), () => code);
  }
}

function scanItem(code) {
  item = code;
  qtyField.value = "";
  render();
  tell("info", () => t("count.qty", { item: code }));
  qtyField.focus();
}

async function saveLine() {
  const text = qtyField.value.trim();
  const quantity = Number(text);
  if (!item || text === "" || !Number.isInteger(quantity) || quantity < 0) {
    tell("bad", () => t("count.qty.bad"), () => text);
    qtyField.focus();
    return false;
  }
  const scanned = item;
  const body = { item: scanned, quantity };
  const large = await askAboutLargeQuantity(quantity, scanInput.maxQuantityPerScan);
  if (large === "cancelled") {
    qtyField.focus();
    qtyField.select();
    return false;
  }
  if (large === "confirmed") body.confirmed_large = true;
  try {
    task = await api.countLine(task.id, body);
    item = null;
    render();
    tell("good", () => t("count.line_saved", { quantity: number(quantity) }), () => scanned);
    scanInput.focus();
    return true;
  } catch (err) {
    tell("bad", () => errorText(err), () => scanned);
    return false;
  }
}

async function submitCount() {
  if (!task) return;
  const location = task.location;
  try {
    const answer = await api.submitCount(task.id);
    task = null;
    item = null;
    if (answer.outcome === "recount") {
      tell("notice", () => t("count.recount", { location }));
    } else {
      tell("good", () => t("count.submitted", { location }));
    }
    await Promise.all([loadNext(), manager ? loadProposals() : null]);
  } catch (err) {
    tell("bad", () => errorText(err), () => location);
  }
}

async function onScan(code) {
  if (!task || task.status !== "counting") {
    startCount(code);
    return;
  }
  // The next item scanned with a count typed for this one (the scan never lands in the
  // count field): the typed count is saved first.
  if (item && qtyField.value.trim() && !(await saveLine())) return;
  scanItem(code);
}

// -- the supervisor's part ----------------------------------------------------------------

async function loadProposals() {
  try {
    proposals = await api.listCountProposals();
  } catch (err) {
    tell("bad", () => errorText(err));
  }
  render();
}

async function decide(p, decision, reason) {
  try {
    await api.decideCountProposal(p.id, decision, { reason });
    const key = decision === "approve" ? "count.approved" : "count.rejected";
    tell("good", () => t(key, { sku: p.sku, location: p.location, delta: signed(p.delta) }));
  } catch (err) {
    tell("bad", () => errorText(err), () => `${p.location} ${p.sku}`);
  }
  await loadProposals();
}

async function createCounts(text) {
  const locations = text.toUpperCase().split(/[\s,]+/).filter(Boolean);
  if (!locations.length) return;
  try {
    const answer = await api.createCounts({ locations });
    tell("good", () => t("count.new.created", { count: number(answer.created.length) }), () => locations.join(" "));
    $("new-locations").value = "";
    await loadNext();
  } catch (err) {
    tell("bad", () => errorText(err), () => locations.join(" "));
  }
}

// -- wiring -------------------------------------------------------------------------------

function relabel() {
  render();
  said.redo();
}

async function main() {
  startPage({ onLanguage: relabel, uploads: false });
  scanInput = new ScanInput($("scan-form"), { onScan });
  keepScanFocus(scanInput, [qtyField, $("new-locations")]);
  qtyField.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.isComposing) saveLine();
  });
  $("line-save").addEventListener("click", saveLine);
  $("item-cancel").addEventListener("click", () => {
    item = null;
    render();
    scanInput.focus();
  });
  $("submit-count").addEventListener("click", submitCount);
  $("new-count").addEventListener("submit", (e) => {
    e.preventDefault();
    createCounts($("new-locations").value);
  });
  render();
  scanInput.focus();
  try {
    const [user, config] = await Promise.all([api.me(), api.clientConfig().catch(() => null)]);
    scanInput.configure(config?.scan);
    manager = user.roles.some((r) => MANAGERS.includes(r));
  } catch (err) {
    tell("bad", () => errorText(err));
  }
  await Promise.all([loadNext(), manager ? loadProposals() : null]);
}

main();
