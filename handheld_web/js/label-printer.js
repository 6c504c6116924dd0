// What the label pages share: the printer to print on (chosen from the printers the server
// lists, kept on this device) and a print request that keeps its idempotency key until it
// is answered, so tapping Print again after lost Wi-Fi never prints the batch twice.

import * as api from "./api.js";

const KEPT_PRINTER = "bondfloor.labelPrinter";

/** Fill `select` with the printers and the size each prints `use` ("location" or "carton")
 * labels at. The one chosen last on this device for that use is chosen again; for location
 * labels, else the printer with the smallest stock (a site keeps a small-label printer for
 * them, and a face sheet is wasted on a location label). */
export async function fillPrinterChoice(select, use = "carton") {
  const printers = await api.labelPrinters();
  const size = (printer) => (use === "location" ? printer.location_label_mm : printer.label_mm);
  select.replaceChildren(
    ...printers.map((printer) => {
      const option = document.createElement("option");
      option.value = printer.name;
      option.textContent = `${printer.name} · ${size(printer)[0]}×${size(printer)[1]} mm`;
      return option;
    }),
  );
  const keptKey = `${KEPT_PRINTER}.${use}`;
  const kept = localStorage.getItem(keptKey);
  if (printers.some((p) => p.name === kept)) {
    select.value = kept;
  } else if (use === "location" && printers.length) {
    const area = (p) => size(p)[0] * size(p)[1];
    select.value = printers.reduce((best, p) => (area(p) < area(best) ? p : best)).name;
  }
  select.addEventListener("change", () => localStorage.setItem(keptKey, select.value));
  return printers;
}

/** A sender for one kind of print request: the same request sent again (not answered the
 * first time) goes under the same key; an answer, or a refusal, ends that key. */
export function printRequests() {
  let pending = null;
  return async (path, body) => {
    const request = JSON.stringify([path, body]);
    if (!pending || pending.request !== request) pending = { request, key: api.newKey() };
    try {
      const answer = await api.sendCommand(path, body, pending.key);
      pending = null;
      return answer;
    } catch (err) {
      const unanswered = err.status === 0 || err.status >= 500 || err.status === 429;
      if (!unanswered) pending = null;
      throw err;
    }
  };
}
