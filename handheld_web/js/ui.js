// Small helpers the receiving, put-away and receipt pages share.

import { language } from "./i18n.js";

/** A new element with an optional class and text. */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

/** A count as people read it in the current language (1,234). */
export function number(n) {
  return new Intl.NumberFormat(language() === "zh" ? "zh-CN" : "en").format(n);
}

/** A difference with its sign: +2, −3, 0. */
export function signed(n) {
  if (n > 0) return `+${number(n)}`;
  if (n < 0) return `−${number(-n)}`;
  return "0";
}

/** Today on the site's calendar as YYYY-MM-DD (the device's own until a page sets the
 * site's zone with setSiteTimeZone): the day the server files arrivals under. */
export function today() {
  return siteDay(new Date());
}

// The site's time zone (client-config or the dashboard gives it); until a page sets it,
// times are shown in the device's own zone.
let siteTimeZone;

/** Show times in `zone` (IANA, e.g. Asia/Shanghai) from now on; an unknown zone is ignored. */
export function setSiteTimeZone(zone) {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    siteTimeZone = zone;
  } catch {
    // A zone this browser does not know: keep the device's.
  }
}

/** A server timestamp shown as date and time on the site's clock, or "" when there is none. */
export function dateTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(language() === "zh" ? "zh-CN" : "en-GB", {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
    timeZone: siteTimeZone,
  });
}

/** The site's calendar day of a moment (2026-12-07), for "is it today?". */
function siteDay(d) {
  return d.toLocaleDateString("en-CA", { timeZone: siteTimeZone });
}

/** A server timestamp as the site's wall clock says it: the time of day, with the date
 * when it is not the site's today. */
export function wallClock(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return siteDay(d) === siteDay(new Date()) ? timeOfDay(d) : dateTime(iso);
}

/** A moment's time of day on the site's clock (14:05:09). */
export function timeOfDay(date) {
  return date.toLocaleTimeString(language() === "zh" ? "zh-CN" : "en-GB", {
    hour12: false,
    timeZone: siteTimeZone,
  });
}

/**
 * A date as typed or scanned (2027-12-31, 2027/12/31, 20271231, 271231) as YYYY-MM-DD,
 * or null when it is no calendar date.
 */
export function normaliseDate(text) {
  const value = text.trim();
  let match = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(value) || /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (!match) {
    const short = /^(\d{2})(\d{2})(\d{2})$/.exec(value);
    if (short) match = [value, `20${short[1]}`, short[2], short[3]];
  }
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return null;
  }
  return date.toISOString().slice(0, 10);
}

/** Hands a file made in the page to the browser's downloads under `filename`. */
export function saveFile(blob, filename) {
  const link = el("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

/** The page's query parameter `name`, or "". */
export function param(name) {
  return new URLSearchParams(location.search).get(name) || "";
}

/** Put `params` into the address (no reload), so a reload comes back to the same place. */
export function setParams(params) {
  const url = new URL(location.href);
  for (const [name, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === "") url.searchParams.delete(name);
    else url.searchParams.set(name, value);
  }
  history.replaceState(null, "", url);
}

function isTextField(node) {
  return Boolean(node && (node.matches("input, textarea, select") || node.isContentEditable));
}

/**
 * Send focus back to the scan field whenever it lands on nothing that takes text (a
 * button after a tap, the page after a prompt closes), so the next scan is never lost.
 * `ScanInput` does this for its own field; this covers the page's other fields too, and
 * Enter in one of them (count, dock, ...) hands the focus back as well.
 */
export function keepScanFocus(scanInput, fields) {
  document.addEventListener("focusout", () => {
    setTimeout(() => {
      if (!isTextField(document.activeElement)) scanInput.focus();
    }, 0);
  });
  for (const field of fields) {
    field.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.isComposing) {
        e.preventDefault();
        scanInput.focus(); // leaving the field fires its own change event
      }
    });
  }
}

// A code in a text (A-02-01-1, LL-20261206-0042, 2029-05-11) wraps as a whole, never at one
// of its hyphens; one longer than a line may still break, or it would stick out.
const CODE = /\b[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+\b/g;
const LONGEST_WHOLE_CODE = 20;

export function setTextKeepingCodesWhole(node, text) {
  const value = String(text ?? "");
  const parts = [];
  let last = 0;
  for (const match of value.matchAll(CODE)) {
    if (match[0].length > LONGEST_WHOLE_CODE) continue;
    parts.push(value.slice(last, match.index));
    const code = document.createElement("span");
    code.className = "code-whole";
    code.textContent = match[0];
    parts.push(code);
    last = match.index + match[0].length;
  }
  parts.push(value.slice(last));
  node.replaceChildren(...parts.filter((part) => part !== ""));
}

/** A new element whose text keeps its codes whole (see setTextKeepingCodesWhole). */
export function elKeepingCodesWhole(tag, className, text) {
  const node = el(tag, className);
  setTextKeepingCodesWhole(node, text);
  return node;
}
