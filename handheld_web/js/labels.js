// Location labels: a zone, a range of codes or a list, printed on a chosen label printer as
// one batch (one request, one key: a retry never prints the batch twice).

import "./strings/labels.js"; // first: its strings before any use
import * as feedback from "./feedback.js";
import { errorText, t } from "./i18n.js";
import { fillPrinterChoice, printRequests } from "./label-printer.js";
import { speaker, startPage } from "./shell.js";
import { el } from "./ui.js";

const banner = document.getElementById("banner");
const said = speaker(banner);
const form = document.getElementById("labels-form");
const by = document.getElementById("by");
const printer = document.getElementById("printer");
const printButton = document.getElementById("print");
const send = printRequests();
let lastPrinted = null;

function showChoice() {
  for (const field of form.querySelectorAll("[data-by]")) field.hidden = field.dataset.by !== by.value;
}

function value(id) {
  return document.getElementById(id).value.trim().toUpperCase();
}

function request() {
  const body = { printer: printer.value };
  if (by.value === "zone") body.zone = value("zone");
  if (by.value === "range") Object.assign(body, { first: value("first"), last: value("last") });
  if (by.value === "list") body.codes = value("codes").split(/[\s,]+/).filter(Boolean);
  return body;
}

function showPrinted() {
  const section = document.getElementById("printed");
  section.hidden = !lastPrinted;
  if (!lastPrinted) return;
  const params = { count: lastPrinted.count, printer: lastPrinted.printer };
  document.getElementById("printed-title").textContent = t("labels.queued", params);
  document
    .getElementById("printed-codes")
    .replaceChildren(...lastPrinted.codes.map((code) => el("li", "code", code)));
}

async function print(event) {
  event.preventDefault();
  if (!printer.value) {
    feedback.bad(banner, t("labels.no_printer"));
    return;
  }
  printButton.disabled = true;
  feedback.show("pending", banner, t("labels.sending"));
  try {
    lastPrinted = await send("/api/v1/labels/locations", request());
    showPrinted();
    said.tell("good", () => t("labels.queued", { count: lastPrinted.count, printer: lastPrinted.printer }));
  } catch (err) {
    said.tell("bad", () => errorText(err));
  } finally {
    printButton.disabled = false;
  }
}

startPage({
  onLanguage: () => {
    showPrinted();
    said.redo();
  },
});
by.addEventListener("change", showChoice);
form.addEventListener("submit", print);
showChoice();
fillPrinterChoice(printer, "location").catch((err) => feedback.bad(banner, errorText(err)));
