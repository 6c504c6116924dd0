// Billing for managers: the last months with their state (open, closing, closed), each
// customer's stored statement of a month (its A4 page), closing a month that has ended and
// re-opening a closed one with a reason. Tariffs are on their own page.

import "./strings/billing.js"; // first: its strings before any use
import * as api from "./api.js";
import { errorText, t } from "./i18n.js";
import { yuan } from "./money.js";
import { speaker, startPage } from "./shell.js";
import { el, setSiteTimeZone, today, wallClock } from "./ui.js";

const $ = (id) => document.getElementById(id);
const said = speaker($("banner"));
const MONTHS_SHOWN = 6;

let periods = []; // [{period, state, closing, changed_by, changed_at, reason}]
let statements = []; // stored statements of every period
// "close 2026-11" / "reopen 2026-11" -> the key of that change still unanswered: a close
// and a re-open of one month never share a key (the server refuses a key reused).
const keys = new Map();
let busy = false;

/** The last MONTHS_SHOWN months of the site's calendar, this one first, and any older
 * month the server knows a state of. */
function months() {
  const [year, month] = today().split("-").map(Number);
  const shown = [];
  for (let back = 0; back < MONTHS_SHOWN; back++) {
    const index = year * 12 + (month - 1) - back;
    shown.push(`${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}`);
  }
  for (const p of periods) if (!shown.includes(p.period)) shown.push(p.period);
  return shown.sort().reverse();
}

function stateOf(name) {
  const known = periods.find((p) => p.period === name);
  if (!known) return { state: "open", closing: false };
  return known;
}

function statementLink(statement) {
  const link = el("a", "billing-statement");
  link.href = `statement.html?id=${statement.id}`;
  link.dataset.statement = String(statement.id);
  link.dataset.customer = statement.customer;
  link.append(
    el("span", "billing-statement-customer", `${statement.customer} v${statement.version}`),
    el("span", "billing-statement-state", t(`bill.state.${statement.state}`)),
    el("span", "billing-statement-total", yuan(statement.total_fen)),
  );
  return link;
}

function periodCard(name) {
  const info = stateOf(name);
  const ended = name < today().slice(0, 7);
  const state = info.closing ? "closing" : info.state;
  const card = el("section", "card billing-period");
  card.dataset.period = name;
  card.dataset.state = state;
  const head = el("div", "billing-period-head");
  const title = el("h3", null, name);
  title.id = `period-${name}`;
  card.setAttribute("aria-labelledby", title.id);
  head.append(title, el("span", `billing-badge billing-badge-${state}`, t(`bill.state.${state}`)));
  card.append(head);
  if (info.changed_at) {
    const what = info.reason
      ? t("billing.changed.reason", { by: info.changed_by, at: wallClock(info.changed_at), reason: info.reason })
      : t("billing.changed", { by: info.changed_by, at: wallClock(info.changed_at) });
    card.append(el("p", "billing-changed", what));
  }
  const own = statements.filter((s) => s.period === name);
  if (own.length) {
    const list = el("div", "billing-statements");
    list.append(...own.map(statementLink));
    card.append(list);
  } else if (state === "closed") {
    card.append(el("p", "billing-hint", t("billing.no_statements")));
  }
  // A close that never ended (refused when the month's facts changed) is taken over by
  // closing again.
  if ((state === "open" || state === "closing") && ended) {
    const close = el("button", "primary billing-close", t("billing.close"));
    close.type = "button";
    close.disabled = busy;
    close.addEventListener("click", () => closePeriod(name));
    card.append(close);
  } else if (state === "open") {
    card.append(el("p", "billing-hint", t("billing.not_over")));
  } else if (state === "closed") {
    const form = el("form", "billing-reopen");
    form.noValidate = true;
    form.method = "dialog"; // the script sends it, never the browser
    const label = el("label", "field");
    const input = el("input");
    input.name = "reason";
    input.maxLength = 200;
    input.autocomplete = "off";
    label.append(el("span", null, t("billing.reopen.reason")), input);
    const submit = el("button", "secondary danger", t("billing.reopen"));
    submit.type = "submit";
    submit.disabled = busy;
    form.append(label, submit);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      reopenPeriod(name, input.value.trim());
    });
    card.append(form);
  }
  return card;
}

function render() {
  $("periods").replaceChildren(...months().map(periodCard));
  said.redo();
}

async function refresh() {
  try {
    [periods, statements] = await Promise.all([api.billingPeriods(), api.billingStatements()]);
    forgetKeysOfChangesMade();
    render();
    document.body.dataset.ready = "true";
  } catch (err) {
    said.note("bad", () => errorText(err));
  }
}

/** A change whose answer was lost but that the server made (the month shows it) is done:
 * its key must not answer the next change of that month with the old result. */
function forgetKeysOfChangesMade() {
  for (const what of [...keys.keys()]) {
    const [action, name] = what.split(" ");
    const { state } = stateOf(name);
    if ((action === "close" && state === "closed") || (action === "reopen" && state === "open")) {
      keys.delete(what);
    }
  }
}

async function change(what, send, done) {
  busy = true;
  render();
  // One key per change until it is answered: a tap again after a lost answer is a replay.
  if (!keys.has(what)) keys.set(what, api.newKey());
  try {
    const answer = await send(keys.get(what));
    keys.delete(what);
    said.tell("good", () => done(answer));
  } catch (err) {
    if (err.status !== 0 && err.status < 500) keys.delete(what);
    said.tell("bad", () => errorText(err));
  } finally {
    busy = false;
  }
  await refresh();
}

function closePeriod(name) {
  return change(
    `close ${name}`,
    (key) => api.closeBillingPeriod(name, key),
    (answer) => t("billing.closed", { period: name, count: answer.statements.length }),
  );
}

function reopenPeriod(name, reason) {
  if (!reason) {
    said.tell("bad", () => t("billing.reopen.missing"));
    return;
  }
  return change(
    `reopen ${name}`,
    (key) => api.reopenBillingPeriod(name, reason, key),
    () => t("billing.reopened", { period: name }),
  );
}

async function main() {
  if (!api.token()) {
    api.goToLogin();
    return;
  }
  startPage({ onLanguage: render, uploads: false, badge: false });
  const config = await api.clientConfig().catch(() => null);
  if (config?.site?.timezone) setSiteTimeZone(config.site.timezone);
  await refresh();
}

main();
