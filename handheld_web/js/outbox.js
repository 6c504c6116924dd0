// Every change a handheld makes goes through this outbox.
//
// A command gets its idempotency key when it is made and is kept in localStorage until
// the server has answered it. Lost Wi-Fi, a server restart or a page reload leave it
// queued; it is sent again, in order, with the same key. The server answers a replay
// with the first result, so a scan is never lost and never counted twice.
//
// Usage:
//   outbox.start();                                   // on every page: resume the queue
//   const answer = await outbox.submit(path, body);   // {queued: false, result} or {queued: true}
//   outbox.onChange(({ pending, refused }) => ...);   // for the "to upload" badge
// A refusal by the rules (a 4xx other than 401/429) rejects `submit` with the ApiError
// while the page that made it is open; a queued command refused later, when no page
// waits for it, is kept in `refused` and shown in the badge.

import { ApiError, currentUser, newKey, sendCommand } from "./api.js";
import { errorText, t } from "./i18n.js";

const QUEUE_KEY = "bondfloor.outbox";
const REFUSED_KEY = "bondfloor.outbox.refused";
const RETRY_MS = [1000, 2000, 5000, 10000, 30000];
const KEEP_REFUSED = 50;

const waiting = new Map(); // key -> {resolve, reject} of commands made on this page
const listeners = new Set();
let draining = null;
let flushAgain = false; // a command queued while a drain was finishing
let failures = 0;
let retryTimer = null;

function read(name) {
  try {
    return JSON.parse(localStorage.getItem(name)) || [];
  } catch {
    return [];
  }
}

function write(name, value) {
  localStorage.setItem(name, JSON.stringify(value));
  notify();
}

function notify() {
  const state = { pending: pending(), refused: refused() };
  for (const listener of listeners) listener(state);
}

/** Not answered (network, server down or busy, session over): keep it and try again. */
function isTransient(err) {
  return !(err instanceof ApiError) || err.status === 0 || err.status === 401 || err.status === 429 || err.status >= 500;
}

/** Queue a command and try to send it now. */
export async function submit(path, body) {
  const user = await currentUser();
  const entry = { key: newKey(), path, body, user, queuedAt: new Date().toISOString() };
  write(QUEUE_KEY, [...read(QUEUE_KEY), entry]);
  const settled = new Promise((resolve, reject) => waiting.set(entry.key, { resolve, reject }));
  flush();
  return settled;
}

/** Send what is queued for the logged-in user, oldest first; one drain at a time. */
export function flush() {
  if (draining) {
    // The running drain may already have looked at the queue for the last time: a command
    // queued now (say, by a page acting on the answer just given) needs one more pass.
    flushAgain = true;
    return draining;
  }
  draining = drain().finally(() => {
    draining = null;
    if (flushAgain) {
      flushAgain = false;
      flush();
    }
  });
  return draining;
}

async function drain() {
  clearTimeout(retryTimer);
  const user = await currentUser();
  for (;;) {
    // Another user's commands wait for that user: they must not be sent in this name.
    const entry = read(QUEUE_KEY).find((e) => e.user === user);
    if (!entry) return;
    const caller = waiting.get(entry.key);
    try {
      const result = await sendCommand(entry.path, entry.body, entry.key);
      remove(entry.key);
      failures = 0;
      caller?.resolve({ queued: false, result });
    } catch (err) {
      if (isTransient(err)) {
        // Everything made on this page so far now waits behind this one: say so.
        for (const queuedCaller of waiting.values()) queuedCaller.resolve({ queued: true });
        if (waiting.size) window.dispatchEvent(new Event("bondfloor:queued")); // js/offline.js
        waiting.clear();
        retryLater();
        return;
      }
      remove(entry.key);
      if (caller) {
        caller.reject(err); // the page that made it is open and tells the user
      } else {
        // Made earlier and refused while nobody watched: keep it for the user to see.
        const refusal = { ...entry, error: { code: err.code, message: err.message } };
        write(REFUSED_KEY, [...read(REFUSED_KEY), refusal].slice(-KEEP_REFUSED));
      }
    }
    waiting.delete(entry.key);
  }
}

function remove(key) {
  write(QUEUE_KEY, read(QUEUE_KEY).filter((e) => e.key !== key));
}

function retryLater() {
  const delay = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)];
  failures += 1;
  retryTimer = setTimeout(flush, delay);
}

export function pending() {
  return read(QUEUE_KEY).length;
}

export function refused() {
  return read(REFUSED_KEY);
}

export function onChange(listener) {
  listeners.add(listener);
  listener({ pending: pending(), refused: refused() });
}

/** Call `callback` whenever the queue has just been emptied: time to show fresh numbers. */
export function onUploaded(callback) {
  let waiting = pending();
  onChange(({ pending: now }) => {
    if (waiting > 0 && now === 0) callback();
    waiting = now;
  });
}

/** Resume on page load, and as soon as the network is back. */
export function start() {
  window.addEventListener("online", () => {
    failures = 0;
    flush();
  });
  // Another tab or page of this handheld changed the queue.
  window.addEventListener("storage", (e) => {
    if (e.key === QUEUE_KEY || e.key === REFUSED_KEY) notify();
  });
  if (pending()) flush();
}

export function clearRefused() {
  write(REFUSED_KEY, []);
}

function describe(entry) {
  const body = entry.body || {};
  const what = body.scan || body.item || body.sscc || body.sku || body.reference || "";
  return what ? `${entry.path} · ${what}` : entry.path;
}

/** Keep a top-bar badge showing what waits to be uploaded, and what was refused; a tap
 * opens a panel listing the refusals, which the user clears once seen. */
export function mountBadge(badge) {
  const panel = document.createElement("section");
  panel.id = "outbox-panel";
  panel.className = "card outbox-panel";
  panel.hidden = true;
  document.querySelector("main")?.prepend(panel);
  badge.setAttribute("role", "button");
  badge.tabIndex = 0;

  const renderPanel = () => {
    const title = document.createElement("h2");
    title.textContent = t("outbox.panel.title");
    const parts = [title];
    if (pending()) {
      const line = document.createElement("p");
      line.textContent = t("outbox.panel.pending", { count: pending() });
      parts.push(line);
    }
    const list = document.createElement("ul");
    list.className = "outbox-refusals";
    for (const entry of refused()) {
      const item = document.createElement("li");
      const when = new Date(entry.queuedAt).toLocaleString();
      item.textContent = `${when} · ${describe(entry)} — ${errorText(entry.error)}`;
      list.append(item);
    }
    if (list.children.length) parts.push(list);
    const clear = document.createElement("button");
    clear.type = "button";
    clear.id = "outbox-clear";
    clear.textContent = t(refused().length ? "outbox.panel.clear" : "outbox.panel.close");
    clear.addEventListener("click", () => {
      clearRefused();
      panel.hidden = true;
    });
    parts.push(clear);
    panel.replaceChildren(...parts);
  };
  const render = ({ pending: waiting, refused: turnedDown }) => {
    const parts = [];
    if (waiting) parts.push(t("outbox.pending", { count: waiting }));
    if (turnedDown.length) parts.push(t("outbox.refused", { count: turnedDown.length }));
    badge.textContent = parts.join(" · ");
    badge.hidden = parts.length === 0;
    badge.classList.toggle("outbox-refused", turnedDown.length > 0);
    if (!panel.hidden) renderPanel();
  };
  const toggle = () => {
    panel.hidden = !panel.hidden;
    if (!panel.hidden) renderPanel();
  };
  badge.addEventListener("click", toggle);
  badge.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") toggle();
  });
  onChange(render);
  document.addEventListener("languagechange", () => render({ pending: pending(), refused: refused() }));
}
