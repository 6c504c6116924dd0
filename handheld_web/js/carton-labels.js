// Carton and pallet labels at receiving: for a line of the open plan, N labels each with a
// new SSCC from the server (GS1-128 with the SSCC and, from the line and what was typed,
// GTIN, count, lot and expiry), printed on a chosen printer. Sent at once, never queued: a
// label is wanted now, and the request keeps its key until answered (no double print).

import * as api from "./api.js";
import { errorText, t } from "./i18n.js";
import { fillPrinterChoice, printRequests } from "./label-printer.js";
import { el, normaliseDate } from "./ui.js";

const $ = (id) => document.getElementById(id);
const send = printRequests();
const sendReprint = printRequests();
let planId = null;
let lines = [];
let printed = null;
let said = null;
let printersFilled = false;

function lineText(line) {
  const lot = line.lot ? ` · ${line.lot}` : "";
  return `${line.line_no}. ${line.sku} ${line.sku_name} (${line.expected_qty})${lot}`;
}

function fillLine() {
  const line = lines.find((l) => String(l.line_no) === $("carton-line").value);
  if (!line) return;
  $("carton-lot").value = line.lot;
  $("carton-expiry").value = line.expiry;
}

async function loadLines() {
  if (planId === null) return;
  try {
    if (!printersFilled) {
      await fillPrinterChoice($("carton-printer"));
      printersFilled = true;
    }
    lines = await api.labelLines(planId);
    $("carton-line").replaceChildren(
      ...lines.map((line) => {
        const option = el("option", "", lineText(line));
        option.value = String(line.line_no);
        return option;
      }),
    );
    fillLine();
  } catch (err) {
    said.tell("bad", () => errorText(err));
  }
}

function renderPrinted() {
  $("carton-printed").hidden = !printed;
  if (!printed) return;
  $("carton-printed-title").textContent = t("cartons.queued", {
    count: printed.labels.length,
    printer: printed.printer,
  });
  $("carton-ssccs").replaceChildren(
    ...printed.labels.map((label) => {
      const item = el("li", "code");
      const pick = el("button", "secondary carton-sscc", label.sscc);
      pick.type = "button";
      pick.addEventListener("click", () => {
        $("carton-reprint-sscc").value = label.sscc;
        $("carton-reprint-reason").focus();
      });
      item.append(pick);
      return item;
    }),
  );
}

/** The SSCC in what was typed or scanned: 18 digits, or the label's GS1-128 (AI 00 first). */
function ssccOf(text) {
  const digits = text.replace(/^\]C1/, "").replace(/\D/g, "");
  if (digits.length === 18) return digits;
  if (digits.length >= 20 && digits.startsWith("00")) return digits.slice(2, 20);
  return null;
}

async function reprint(event) {
  event.preventDefault();
  const sscc = ssccOf($("carton-reprint-sscc").value.trim());
  const reason = $("carton-reprint-reason").value.trim();
  if (sscc === null) {
    said.tell("bad", () => t("cartons.reprint.bad_sscc"));
    return;
  }
  if (!reason) {
    said.tell("bad", () => t("cartons.reprint.no_reason"));
    return;
  }
  const body = { sscc, reason };
  if ($("carton-printer").value) body.printer = $("carton-printer").value;
  $("carton-reprint-send").disabled = true;
  try {
    const done = await sendReprint("/api/v1/labels/cartons/reprint", body);
    $("carton-reprint-reason").value = "";
    said.tell("good", () => t("cartons.reprinted", done));
  } catch (err) {
    said.tell("bad", () => errorText(err));
  } finally {
    $("carton-reprint-send").disabled = false;
  }
}

function whole(id) {
  const text = $(id).value.trim();
  return text === "" ? null : Number(text);
}

async function print(event) {
  event.preventDefault();
  const expiryText = $("carton-expiry").value.trim();
  const expiry = expiryText ? normaliseDate(expiryText) : "";
  if (expiry === null) {
    said.tell("bad", () => t("cartons.bad_expiry"));
    return;
  }
  const body = {
    printer: $("carton-printer").value,
    line_no: Number($("carton-line").value),
    labels: whole("carton-labels-count") ?? 1,
    unit: $("carton-unit").value,
    lot: $("carton-lot").value.trim(),
    expiry,
  };
  const count = whole("carton-count");
  if (count) body.count = count;
  $("carton-print").disabled = true;
  try {
    printed = await send(`/api/v1/plans/${planId}/carton-labels`, body);
    renderPrinted();
    said.tell("good", () => t("cartons.queued", { count: printed.labels.length, printer: printed.printer }));
    loadLines(); // the line's labelled count
  } catch (err) {
    said.tell("bad", () => errorText(err));
  } finally {
    $("carton-print").disabled = false;
  }
}

/** Wire the section once; `speaker` says what happened in the page's banner. */
export function mountCartonLabels(speaker) {
  said = speaker;
  $("carton-labels").addEventListener("toggle", () => {
    if ($("carton-labels").open) loadLines();
  });
  $("carton-line").addEventListener("change", fillLine);
  $("carton-form").addEventListener("submit", print);
  $("carton-reprint").addEventListener("submit", reprint);
}

/** The plan now open (or none): its lines load when the section is opened. */
export function cartonLabelsFor(id) {
  if (id === planId) {
    renderPrinted();
    return;
  }
  planId = id;
  lines = [];
  printed = null;
  $("carton-labels").open = false;
  renderPrinted();
}
