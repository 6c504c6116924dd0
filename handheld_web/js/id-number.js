// The driver's 18-character resident ID number (GB 11643), typed on the numeric keypad and
// checked as it is typed, by the server's own rules (server/dock/identity.py) and with its
// rule names, so the page and the server say the same thing in both languages:
//   length, characters, birth_date, check_character (ISO 7064 MOD 11-2).
// The keypad has no X, so the field comes with an X key for the check character.

import { errorText, t } from "./i18n.js";

const LENGTH = 18;
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = "10X98765432";

export function checkCharacter(first17) {
  const sum = [...first17].reduce((total, digit, i) => total + Number(digit) * WEIGHTS[i], 0);
  return CHECK[sum % 11];
}

function isBirthDate(text) {
  const [year, month, day] = [text.slice(0, 4), text.slice(4, 6), text.slice(6, 8)].map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  const real = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return real && year >= 1900 && date.getTime() <= Date.now();
}

/** null when `text` is a valid ID number, "incomplete" while it is being typed, else the
 * server's rule that fails. */
export function idNumberProblem(text) {
  if (!/^[0-9]*X?$/.test(text) || (text.includes("X") && text.length !== LENGTH)) return "characters";
  if (text.length > LENGTH) return "length";
  if (text.length >= 14 && !isBirthDate(text.slice(6, 14))) return "birth_date";
  if (text.length < LENGTH) return "incomplete";
  if (text[17] !== checkCharacter(text.slice(0, 17))) return "check_character";
  return null;
}

function problemText(problem, text) {
  if (problem === null) return t("id.ok");
  if (problem === "incomplete") return t("id.typing", { left: LENGTH - text.length });
  return errorText({ code: "DRIVER_ID_INVALID", details: { rule: problem } });
}

/**
 * Make `input` an ID number field: numeric keypad, upper-case X, an X key, and a live
 * status ("3 more", "check character wrong", "valid") in `status`. `onValid(text)` is
 * called when the 18th character makes a valid number.
 */
export function attachIdNumberField(input, { xKey, status, onValid = null }) {
  input.inputMode = "numeric";
  input.maxLength = LENGTH;
  input.autocomplete = "off";
  input.spellcheck = false;
  const show = () => {
    const text = input.value;
    const problem = idNumberProblem(text);
    status.hidden = text === "";
    status.textContent = text ? problemText(problem, text) : "";
    status.dataset.state = problem === null ? "ok" : problem === "incomplete" ? "typing" : "bad";
    input.setAttribute("aria-invalid", String(problem !== null && problem !== "incomplete"));
    return problem;
  };
  input.addEventListener("input", () => {
    const clean = input.value.toUpperCase().replace(/[^0-9X]/g, "");
    if (clean !== input.value) input.value = clean;
    if (show() === null && onValid) onValid(input.value);
  });
  xKey.addEventListener("click", () => {
    if (input.value.length === LENGTH - 1) {
      input.value += "X";
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
    input.focus();
  });
  document.addEventListener("languagechange", show);
  return { refresh: show, problem: () => idNumberProblem(input.value) };
}
