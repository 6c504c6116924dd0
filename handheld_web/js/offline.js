// Offline use, on every page (loaded by shell.js's startPage once the page has started): the service worker that
// keeps the pages on the device (../sw.js), a note while the server cannot be reached, the
// upload badge on every page, and no "will upload" left standing once all is uploaded.
//
// The server is unreachable when the browser says it is offline, or when the last call to
// it failed at the network (api.js tells with `bondfloor:unreachable` / `:reachable`): on
// the floor the Wi-Fi is often up while the server is out of reach.

import * as feedback from "./feedback.js";
import * as outbox from "./outbox.js";
import { t } from "./i18n.js";

let started = false;
let unreachable = document.documentElement.dataset.server === "unreachable"; // calls made before

/** Keep the pages on the device; a browser without service workers (or an http:// site
 * that is not this machine) simply stays online-only. */
export function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
}

/** At the top of the page's content: inside `<main>` (a landmark, for screen readers), else
 * right under the top bar. */
function placeAtTop(node) {
  const main = document.querySelector("main");
  const topbar = document.querySelector(".topbar");
  if (main) main.prepend(node);
  else if (topbar) topbar.after(node);
  else document.body.prepend(node);
}

function mountOfflineNote() {
  const note = document.createElement("p");
  note.id = "offline";
  note.className = "offline-note";
  note.setAttribute("role", "status");
  const render = () => {
    note.hidden = navigator.onLine && !unreachable;
    note.textContent = t("offline.banner");
    document.body.toggleAttribute("data-offline", !note.hidden);
  };
  placeAtTop(note);
  window.addEventListener("online", render);
  window.addEventListener("offline", render);
  window.addEventListener("bondfloor:unreachable", () => {
    unreachable = true;
    render();
  });
  window.addEventListener("bondfloor:reachable", () => {
    unreachable = false;
    render();
  });
  document.addEventListener("languagechange", render);
  render();
}

/** Pages that do not show the queue themselves (login, print pages, screens) get the badge
 * too, on a strip at the top of the content (their bars are full): a handheld with scans still on
 * it is not one to hand over or switch off. */
function mountBadgeWhereMissing() {
  if (document.getElementById("outbox")) return;
  const strip = document.createElement("div");
  strip.className = "outbox-strip";
  const badge = document.createElement("span");
  badge.id = "outbox";
  badge.className = "outbox-badge";
  badge.setAttribute("role", "status");
  badge.hidden = true;
  strip.append(badge);
  placeAtTop(strip);
  outbox.mountBadge(badge);
}

// A banner that said "saved, will upload" must not keep saying it once the change is up.
// Which banners said it: those of kind `info` right after the outbox answered a page's
// change with {queued: true} (outbox.js tells with `bondfloor:queued`), with the text they
// had then; a banner that has said something else since is left alone.
const saidQueued = new Map(); // banner -> its text when its change was queued
const saidUploaded = new Map(); // banner -> the feedback count when it was told "uploaded"

function bannerText(banner) {
  return banner.querySelector(".banner-text")?.textContent || "";
}

function recordQueuedBanners() {
  for (const banner of document.querySelectorAll('.banner[data-feedback="info"]')) {
    saidQueued.set(banner, bannerText(banner));
    saidUploaded.delete(banner);
  }
}

function sayUploaded(banner, refusedMore) {
  const detail = banner.querySelector(".banner-detail")?.textContent || "";
  if (refusedMore) {
    feedback.show("bad", banner, t("outbox.refused", { count: outbox.refused().length }), detail);
  } else {
    feedback.show("good", banner, t("offline.uploaded"), detail);
  }
  saidUploaded.set(banner, document.body.dataset.feedbackSeq || "");
}

/** The queue is empty: the banners still saying "will upload" say it was uploaded, or that
 * the server refused it. */
function settleQueuedBanners(refusedMore) {
  for (const [banner, text] of saidQueued) {
    if (banner.dataset.feedback === "info" && bannerText(banner) === text) sayUploaded(banner, refusedMore);
  }
  saidQueued.clear();
}

function watchUploads() {
  let refusedBefore = outbox.refused().length;
  let waiting = outbox.pending();
  window.addEventListener("bondfloor:queued", () => setTimeout(recordQueuedBanners, 0)); // after the page's own banner
  outbox.onChange(({ pending, refused }) => {
    if (waiting > 0 && pending === 0) settleQueuedBanners(refused.length > refusedBefore);
    if (pending > 0 && waiting === 0) refusedBefore = refused.length;
    waiting = pending;
  });
  // A page says its last outcome again on a language switch: "will upload", in the other
  // language. After its own listener has run: follow the new text, or settle it again.
  document.addEventListener("languagechange", () =>
    setTimeout(() => {
      for (const banner of saidQueued.keys()) {
        if (banner.dataset.feedback === "info") saidQueued.set(banner, bannerText(banner));
      }
      for (const [banner, seq] of saidUploaded) {
        const unchanged = (document.body.dataset.feedbackSeq || "") === seq;
        if (unchanged && banner.dataset.feedback === "info") sayUploaded(banner, false);
        else if (!unchanged) saidUploaded.delete(banner);
      }
    }, 0),
  );
}

/** Everything offline use needs on a page; once per page. */
export function startOffline() {
  if (started) return;
  started = true;
  registerServiceWorker();
  mountBadgeWhereMissing();
  mountOfflineNote(); // first in the content, above the strip
  watchUploads();
}
