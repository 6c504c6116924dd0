// What every page does when it starts and when it speaks: one place, so a new page is
// its own logic and nothing else.

import * as api from "./api.js";
import * as feedback from "./feedback.js";
import * as outbox from "./outbox.js";
import { language, loadErrorTexts, mountLanguageSwitch, t, translatePage } from "./i18n.js";
import { number } from "./ui.js";

/**
 * Start the page: its strings, the language switch, the outbox badge and (for pages that
 * queue changes) the outbox's uploads. `onLanguage` redraws what the page drew itself.
 * A logged-in user's choice on the switch is kept as theirs (`rememberLanguage`), so it
 * follows them to the next handheld they log in to.
 */
export function startPage({
  onLanguage = null,
  uploads = true,
  badge = true,
  rememberLanguage = true,
} = {}) {
  translatePage();
  loadErrorTexts(); // in the background: no page waits for them to show itself
  const switcher = document.getElementById("lang");
  if (switcher) mountLanguageSwitch(switcher);
  if (switcher && rememberLanguage) {
    switcher.addEventListener("click", () => api.saveMyLanguage(language()));
  }
  const badgeElement = badge && document.getElementById("outbox");
  if (badgeElement) outbox.mountBadge(badgeElement);
  if (uploads) outbox.start();
  if (onLanguage) document.addEventListener("languagechange", onLanguage);
  // Offline use (the service worker, the offline note) need not hold up the page's start.
  import("./offline.js").then((offline) => offline.startOffline());
}

/**
 * What the page's banner says. It is kept as functions, so a language switch says it
 * again in the other language (`redo`). `tell` signals (sound, vibration): the outcome of
 * something the user did; `note` only shows: a state.
 */
export function speaker(banner) {
  const said = {
    outcome: null,
    tell(kind, text, detail = () => "") {
      said.outcome = { kind, text, detail };
      feedback.signal(kind, banner, text(), detail());
    },
    note(kind, text, detail = () => "") {
      said.outcome = { kind, text, detail };
      feedback.show(kind, banner, text(), detail());
    },
    /** Forget what was said, so a language switch does not bring it back. */
    forget() {
      said.outcome = null;
    },
    /** Hide the banner and forget it. */
    clear() {
      said.outcome = null;
      feedback.hide(banner);
    },
    /** Say the last outcome again, in the language now chosen. */
    redo() {
      const { outcome } = said;
      if (outcome) feedback.show(outcome.kind, banner, outcome.text(), outcome.detail());
    },
  };
  return said;
}

/** A stock row's lot and expiry (and what of it is reserved) as one short line. */
export function lotText(row) {
  const parts = [];
  if (row.lot) parts.push(`${t("stock.lot")} ${row.lot}`);
  if (row.expiry) parts.push(`${t("stock.expiry")} ${row.expiry}`);
  if (row.reserved) parts.push(t("move.reserved", { reserved: number(row.reserved) }));
  return parts.join(" · ");
}
