// What the label pages share: the printer to print on (chosen from the printers the server
// lists, kept on this device) and a print request that keeps its idempotency key until it
// is answered, so tapping Print again after lost Wi-Fi never prints the batch twice.

import * as api from "./api.js";

const KEPT_PRINTER = "bondfloor.labelPrinter";

/** Fill `select` with the printers; the one chosen last on this device is chosen again. */
export async function fillPrinterChoice(select) {
  const printers = await api.labelPrinters();
  select.replaceChildren(
    ...printers.map((printer) => {
      const option = document.createElement("option");
      option.value = printer.name;
      option.textContent = `${printer.name} · ${printer.label_mm[0]}×${printer.label_mm[1]} mm`;
      return option;
    }),
  );
  const kept = localStorage.getItem(KEPT_PRINTER);
  if (printers.some((p) => p.name === kept)) select.value = kept;
  select.addEventListener("change", () => localStorage.setItem(KEPT_PRINTER, select.value));
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
