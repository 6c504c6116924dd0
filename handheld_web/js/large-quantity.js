// A quantity above the site's per-scan maximum (`[scan] max_quantity_per_scan`) is asked
// about before it is sent: 6,141 units is more often a barcode that fell into the count
// field than a real pallet. The server refuses it too unless the request says
// `confirmed_large: true`, which a page sets only after the person said yes here.
//
//   const answer = await askAboutLargeQuantity(quantity, scanInput.maxQuantityPerScan);
//   if (answer === "cancelled") return;
//   if (answer === "confirmed") body.confirmed_large = true;

import { t } from "./i18n.js";
import { el, number } from "./ui.js";

let dialog = null;

function build() {
  dialog = el("dialog", "prompt large-quantity");
  dialog.id = "large-quantity";
  dialog.setAttribute("aria-labelledby", "large-quantity-title");
  const title = el("h3");
  title.id = "large-quantity-title";
  const detail = el("p", "prompt-numbers");
  detail.id = "large-quantity-detail";
  const row = el("div", "button-row");
  const cancel = el("button", "secondary");
  cancel.type = "button";
  cancel.id = "large-quantity-cancel";
  // The safe answer has the focus: a scan's Enter arriving now presses "no", never "yes".
  cancel.autofocus = true;
  const confirm = el("button", "primary warn");
  confirm.type = "button";
  confirm.id = "large-quantity-confirm";
  row.append(cancel, confirm);
  dialog.append(title, detail, row);
  cancel.addEventListener("click", () => dialog.close("cancelled"));
  confirm.addEventListener("click", () => dialog.close("confirmed"));
  document.body.append(dialog);
}

/** "below" (nothing to ask), "confirmed" or "cancelled". */
export function askAboutLargeQuantity(quantity, maximum) {
  if (!Number.isInteger(quantity) || !maximum || quantity <= maximum) {
    return Promise.resolve("below");
  }
  if (!dialog) build();
  const params = { quantity: number(quantity), maximum: number(maximum) };
  dialog.querySelector("h3").textContent = t("qty.large.title", params);
  dialog.querySelector("#large-quantity-detail").textContent = t("qty.large.detail", params);
  dialog.querySelector("#large-quantity-cancel").textContent = t("qty.large.cancel");
  dialog.querySelector("#large-quantity-confirm").textContent = t("qty.large.confirm", params);
  dialog.returnValue = "cancelled"; // Esc or the back gesture closes it as a "no"
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue || "cancelled"), { once: true });
    dialog.showModal();
  });
}
