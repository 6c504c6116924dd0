// Tariffs for managers: a customer's versions (or the site default's), newest first, each
// with its rates in yuan; and a new version from a day on. Setting one is a command, so
// the journal and the audit keep who set which prices, when and why. A version never
// starts in a closed month (the server refuses it).

import "./strings/tariffs.js"; // first: its strings before any use
import * as api from "./api.js";
import { chargeNames } from "./charge-names.js";
import { errorText, t } from "./i18n.js";
import { fenFrom, yuan, yuanInput } from "./money.js";
import { speaker, startPage } from "./shell.js";
import { el, param, setParams, setSiteTimeZone, today, wallClock } from "./ui.js";

const $ = (id) => document.getElementById(id);
const said = speaker($("banner"));

let codes = []; // the charges a tariff prices: [{code, category, unit, scale, name, …}]
let names = chargeNames([]);
let customers = []; // [{code, name}]
let versions = [];
let key = null; // the key of the version being added, until it is answered

function customer() {
  return $("customer").value;
}

function renderCustomers() {
  const chosen = customer() || param("customer") || "";
  const options = [["", t("bill.site_default")], ...customers.map((c) => [c.code, `${c.code} ${c.name}`])];
  $("customer").replaceChildren(
    ...options.map(([value, label]) => {
      const option = el("option", null, label);
      option.value = value;
      option.selected = value === chosen;
      return option;
    }),
  );
}

function rateLabel(code) {
  const unit = codes.find((c) => c.code === code)?.unit || "";
  return `${names.charge(code)} (${t("tariffs.per", { unit: names.unit(unit) })})`;
}

function versionCard(version) {
  const card = el("article", "card billing-version");
  card.dataset.effectiveFrom = version.effective_from;
  const title = el("h3", null, t("tariffs.from", { day: version.effective_from }));
  card.append(
    title,
    el("p", "billing-changed", t("tariffs.set_by", { by: version.created_by, at: wallClock(version.created_at), reason: version.reason })),
    el("p", null, `${t("tariffs.minimum")}: ${yuan(version.minimum_fen)}`),
  );
  const list = el("dl", "billing-rate-list");
  for (const rate of version.rates) {
    const value = el("dd", "num", yuan(rate.rate_fen));
    value.dataset.charge = rate.charge_code;
    list.append(el("dt", null, rateLabel(rate.charge_code)), value);
  }
  card.append(list);
  return card;
}

function renderVersions() {
  $("versions").replaceChildren(...versions.map(versionCard));
  $("no-versions").hidden = versions.length > 0;
}

/** One input per charge code, filled with the newest version's rates (a change is most
 * often a few prices). */
function renderRateFields() {
  const newest = Object.fromEntries((versions[0]?.rates || []).map((r) => [r.charge_code, r.rate_fen]));
  $("rates").replaceChildren(
    ...codes.map((c) => {
      const label = el("label", "field");
      const input = el("input");
      input.type = "text";
      input.inputMode = "decimal";
      input.autocomplete = "off";
      input.dataset.charge = c.code;
      input.value = c.code in newest ? yuanInput(newest[c.code]) : "";
      label.append(el("span", null, rateLabel(c.code)), input);
      return label;
    }),
  );
  $("minimum").value = yuanInput(versions[0]?.minimum_fen || 0);
}

function render() {
  renderCustomers();
  renderVersions();
  // Labels only: the inputs keep what was typed.
  for (const input of $("rates").querySelectorAll("input")) {
    input.previousElementSibling.textContent = rateLabel(input.dataset.charge);
  }
  said.redo();
}

async function loadVersions() {
  try {
    versions = await api.tariffVersions(customer());
    renderVersions();
    renderRateFields();
    document.body.dataset.ready = "true";
  } catch (err) {
    said.note("bad", () => errorText(err));
  }
}

function readForm() {
  const rates = [];
  for (const input of $("rates").querySelectorAll("input")) {
    if (!input.value.trim()) continue;
    const fen = fenFrom(input.value);
    if (fen === null) return { bad: rateLabel(input.dataset.charge) };
    rates.push({ charge_code: input.dataset.charge, rate_fen: fen });
  }
  const minimum = fenFrom($("minimum").value);
  if (minimum === null) return { bad: t("tariffs.minimum") };
  const reason = $("reason").value.trim();
  const effective = $("effective-from").value;
  if (!effective || !reason) return { missing: true };
  return {
    tariff: { customer: customer(), effective_from: effective, minimum_fen: minimum, rates, reason },
  };
}

// The version `key` was made for: a lost answer's key is sent again only for the same
// version (a replay), never for the next one the form holds (refused as a key reused).
let keyFor = "";

async function addVersion(event) {
  event.preventDefault();
  const { tariff, bad, missing } = readForm();
  if (missing) return said.tell("bad", () => t("tariffs.add.missing"));
  if (bad) return said.tell("bad", () => t("tariffs.add.bad_amount", { field: bad }));
  if (key === null || keyFor !== JSON.stringify(tariff)) {
    key = api.newKey();
    keyFor = JSON.stringify(tariff);
  }
  $("add-submit").disabled = true;
  try {
    const version = await api.setTariff(tariff, key);
    key = null;
    $("reason").value = "";
    said.tell("good", () => t("tariffs.added", { day: version.effective_from }));
  } catch (err) {
    if (err.status !== 0 && err.status < 500) key = null;
    said.tell("bad", () => errorText(err));
  } finally {
    $("add-submit").disabled = false;
  }
  await loadVersions();
}

async function main() {
  if (!api.token()) {
    api.goToLogin();
    return;
  }
  startPage({ onLanguage: render, uploads: false, badge: false });
  try {
    const config = await api.clientConfig().catch(() => null);
    if (config?.site?.timezone) setSiteTimeZone(config.site.timezone);
    const [everyCode, known] = await Promise.all([api.chargeCodes(), api.listCustomers()]);
    names = chargeNames(everyCode);
    codes = everyCode.filter((c) => c.priced); // the top-up and credits are no tariff's
    customers = known;
  } catch (err) {
    said.note("bad", () => errorText(err));
    return;
  }
  renderCustomers();
  $("effective-from").value = today();
  $("customer").addEventListener("change", () => {
    setParams({ customer: customer() });
    said.clear();
    loadVersions();
  });
  $("add").addEventListener("submit", addVersion);
  await loadVersions();
}

main();
