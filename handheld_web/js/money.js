// Money as the billing pages show it: the server keeps integer fen; a page shows yuan with
// two decimals, computed in integers (never through a float, which can round 0.29 wrong).

import { language } from "./i18n.js";

/** 123456 fen -> "¥1,234.56" (a credit: "−¥12.00"). */
export function yuan(fen) {
  const sign = fen < 0 ? "−" : "";
  const abs = Math.abs(fen);
  const whole = new Intl.NumberFormat(language() === "zh" ? "zh-CN" : "en").format(Math.floor(abs / 100));
  return `${sign}¥${whole}.${String(abs % 100).padStart(2, "0")}`;
}

/** "12.5" or "12.50" yuan -> 1250 fen; null when it is not an amount with at most 2 decimals. */
export function fenFrom(text) {
  const match = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(text || "");
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] || "0").padEnd(2, "0"));
}

/** 1250 fen -> "12.50", as an input shows it. */
export function yuanInput(fen) {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, "0")}`;
}
