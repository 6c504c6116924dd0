// The scan field shared by every page: keyboard-wedge scanners and people typing.
//
// Android handhelds deliver a scan as fast keystrokes ending in Enter or Tab. What
// goes wrong in practice (see design notes): Tab moving focus away, the GS1 separator
// (0x1D) arriving as nothing, as Ctrl+] or as Alt+029 on the numpad, and the field
// losing focus so the next scan goes nowhere. This module handles all of those.
//
// Usage: attach it as soon as the page's module runs, so a scan made right after the
// page opens is not lost, and hand it the site's settings when they arrive:
//   const scanInput = new ScanInput(form, { onScan: (text, { source }) => ... });
//   scanInput.configure(clientConfig.scan);
// `form` holds an <input name="scan">, an OK button[data-scan-ok], optionally a
// button[data-scan-keyboard] that shows or hides the on-screen keyboard, and a
// <label data-scan-prompt> that says what to scan (see showScanPrompt).
// Where the browser can use a camera, a camera button is added: its reads arrive as scans
// with source "camera", with GS1 separators as the wedge sends them (js/camera-scan.js,
// loaded on tap).
//
// A scan made while a quantity, weight or date field has the focus (the person typed a
// count, then scanned the item) is taken back out of that field and handed to `onScan`:
// see NumberFieldGuard below. Every page with a ScanInput gets this.

import { t } from "./i18n.js";

const GS = "\x1d";
const DEFAULTS = {
  gs_placeholder: "~",
  max_interkey_ms: 35,
  suffixes: ["Enter", "Tab"],
  max_quantity_per_scan: 999,
};
// Fewer keystrokes than this cannot tell a scanner from a quick person.
const MIN_SCANNER_KEYS = 4;
// An OS that also turns Alt+029 into a real 0x1D does so right after Alt is released.
const ALT_ECHO_MS = 80;
const ALT_GS_CODE = 29;
// Fields a scan must never land in: every number field (quantities, weights, counts, ID
// numbers) and any other a page marks data-scan-guard. A field a label may be scanned into
// (an expiry date) says data-scan-free.
const GUARDED_FIELDS =
  'input[inputmode="numeric"]:not([type="password"]):not([data-scan-free]), input[data-scan-guard]';
// A scanner that sends no suffix: a fast run this long that then goes quiet is a scan too
// (EAN-8, the shortest product code).
const MIN_UNSUFFIXED_SCAN = 8;
// Inside a burst one gap may stretch to 3 × max_interkey_ms, at least 150 ms (a busy
// handheld delays a key now and then), as long as the burst's average stays under
// max_interkey_ms; a person's reach from the keypad to the scan trigger takes far longer.
const BURST_GAP_STRETCH = 3;
const BURST_GAP_MIN_MS = 150;
// A suffix-less burst is over when no key came for this long (at least 4 × max_interkey_ms).
const QUIET_MIN_MS = 500;

const SVG = "http://www.w3.org/2000/svg";

function svgElement(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

/** The camera button, after the scan field; none where the browser has no camera API. */
function addCameraButton(input) {
  if (typeof navigator.mediaDevices?.getUserMedia !== "function") return null;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "scan-camera";
  button.dataset.scanCamera = "";
  button.dataset.i18nAriaLabel = "scan.camera.label";
  button.setAttribute("aria-label", t("scan.camera.label"));
  const icon = svgElement("svg", { viewBox: "0 0 24 24", "aria-hidden": "true", focusable: "false" });
  icon.append(
    svgElement("path", { d: "M3 8a1 1 0 0 1 1-1h3l2-3h6l2 3h3a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1z" }),
    svgElement("circle", { cx: "12", cy: "13", r: "4" }),
  );
  button.append(icon);
  input.after(button);
  return button;
}

/**
 * The keyboard button as an icon, its word kept for screen readers and tests: at phone
 * width the word ("Keyboard") took the room the scanned code needs in the field.
 */
function iconiseKeyboardButton(button) {
  if (!button || button.querySelector("svg")) return;
  const word = document.createElement("span");
  word.className = "visually-hidden";
  word.dataset.i18n = button.dataset.i18n || "scan.keyboard";
  word.textContent = t(word.dataset.i18n);
  delete button.dataset.i18n;
  const icon = svgElement("svg", { viewBox: "0 0 24 24", "aria-hidden": "true", focusable: "false" });
  icon.append(
    svgElement("rect", { x: "2", y: "6", width: "20", height: "12", rx: "2" }),
    svgElement("path", { d: "M6 10h.01M10 10h.01M14 10h.01M18 10h.01M7 14h10" }),
  );
  button.replaceChildren(icon, word);
}

function isTextField(el) {
  return Boolean(el && (el.matches("input, textarea, select") || el.isContentEditable));
}

/**
 * Say what to scan now, in the label above the field. Not a placeholder: at phone width a
 * placeholder is cut ("Scan the locatio"), and it is gone once anything is typed.
 */
export function showScanPrompt(input, text) {
  input.form.querySelector("[data-scan-prompt]").textContent = text;
}

export class ScanInput {
  /**
   * @param {HTMLFormElement} form
   * @param {{scan?: object, onScan: (text: string, info: {source: string}) => void,
   *          keepFocus?: boolean}} options
   */
  constructor(form, { scan = {}, onScan, keepFocus = true }) {
    this.input = form.querySelector("input[name=scan]");
    this.okButton = form.querySelector("[data-scan-ok]");
    this.keyboardButton = form.querySelector("[data-scan-keyboard]");
    iconiseKeyboardButton(this.keyboardButton);
    this.cameraButton = addCameraButton(this.input);
    this.cameraOpen = false;
    this.configure(scan);
    this.onScan = onScan;
    this.keepFocus = keepFocus;
    this.reset();

    this.input.autocomplete = "off";
    this.input.spellcheck = false;
    this.input.setAttribute("autocapitalize", "off");
    this.input.setAttribute("autocorrect", "off");
    // Scanner first: no on-screen keyboard popping up over the results on every refocus.
    this.input.inputMode = "none";

    this.input.addEventListener("keydown", (e) => this.onKeyDown(e));
    this.input.addEventListener("keyup", (e) => this.onKeyUp(e));
    this.input.addEventListener("input", (e) => this.onInput(e));
    this.input.addEventListener("blur", (e) => this.onBlur(e));
    // Enter whose keydown we never saw (some soft keyboards send keyCode 229) still
    // submits the form; the OK button is not a submit button so the two stay apart.
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit("key");
    });
    this.okButton?.addEventListener("click", () => this.submit("button"));
    // The page's own handling is on: until now a key's Enter did nothing (method="dialog").
    form.dataset.ready = "true";
    this.keyboardButton?.addEventListener("click", () => this.toggleKeyboard());
    this.cameraButton?.addEventListener("click", () => this.scanWithCamera());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && this.keepFocus) this.focus();
    });
    this.guard = new NumberFieldGuard(this);
  }

  /** The most units one scan may carry without the person confirming (client-config). */
  get maxQuantityPerScan() {
    return this.settings.max_quantity_per_scan;
  }

  /** A scan that arrived somewhere else (a number field): as if it came through this field. */
  takeScan(text) {
    if (this.keepFocus) this.focus();
    if (text) this.deliver(text, { source: "scanner" });
  }

  /**
   * Keep scans until `work` settles (the page opening what its address or a reload names),
   * then hand them over in order: a container number scanned while its plan loads is a
   * check-in, not a plan-number lookup on the still empty page.
   */
  async holdUntil(work) {
    const held = [];
    this.held = held;
    try {
      return await work;
    } finally {
      if (this.held === held) this.held = null;
      for (const [text, info] of held) this.onScan(text, info);
    }
  }

  deliver(text, info) {
    if (this.held) this.held.push([text, info]);
    else this.onScan(text, info);
  }

  /** Take the site's scan settings (client-config `scan`); defaults until they arrive. */
  configure(scan = {}) {
    this.settings = { ...DEFAULTS, ...scan };
    // The text carries the placeholder the server expects; 0x1D itself if there is none.
    this.separator = this.settings.gs_placeholder || GS;
  }

  focus() {
    this.input.focus({ preventScroll: true });
  }

  reset() {
    this.strokes = [];
    this.pasted = false;
    this.altDigits = null;
    this.altGsAt = -Infinity;
  }

  stroke() {
    this.strokes.push(performance.now());
  }

  /** "scanner" when the keystrokes came faster than a person types, else "manual". */
  source() {
    const n = this.strokes.length;
    if (this.pasted || n < MIN_SCANNER_KEYS) return "manual";
    const averageGap = (this.strokes[n - 1] - this.strokes[0]) / (n - 1);
    return averageGap < this.settings.max_interkey_ms ? "scanner" : "manual";
  }

  onKeyDown(e) {
    if (e.isComposing) return;
    const plain = !e.ctrlKey && !e.altKey && !e.metaKey && !e.shiftKey;
    if (plain && this.settings.suffixes.includes(e.key)) {
      e.preventDefault(); // Tab must end the scan, not move focus
      this.stroke();
      this.submit("key");
      return;
    }
    if ((e.ctrlKey && (e.key === "]" || e.code === "BracketRight")) || e.key === GS) {
      e.preventDefault(); // Ctrl+] is how a keyboard types GS (0x1D)
      this.stroke();
      this.insert(this.separator);
      return;
    }
    const numpad = /^Numpad(\d)$/.exec(e.code);
    if (e.altKey && numpad) {
      e.preventDefault(); // Alt + numpad digits spell a character code; 029 is GS
      this.stroke();
      this.altDigits = (this.altDigits ?? "") + numpad[1];
    }
  }

  onKeyUp(e) {
    if (e.key !== "Alt" || this.altDigits === null) return;
    const code = Number.parseInt(this.altDigits, 10);
    this.altDigits = null;
    if (code === ALT_GS_CODE) {
      this.insert(this.separator);
      this.altGsAt = performance.now();
    }
  }

  onInput(e) {
    if (e.inputType === "insertFromPaste" || e.inputType === "insertFromDrop") this.pasted = true;
    else if (e.inputType?.startsWith("insert")) this.stroke();
    let value = this.input.value;
    if (value.includes(GS)) {
      const echo = performance.now() - this.altGsAt < ALT_ECHO_MS;
      this.replaceValue(value.replaceAll(GS, echo ? "" : this.separator));
      value = this.input.value;
    }
    // A wedge in "text" mode may put its suffix into the text itself.
    const end = value.search(/[\t\r\n]/);
    if (end >= 0) {
      this.input.value = value.slice(0, end);
      this.submit("key");
      return;
    }
    if (value === "") this.reset();
  }

  onBlur(e) {
    this.altDigits = null;
    // Focus went to the page, a button or a link (the tap still acts): take it back, or the
    // next scan is lost and its Enter would press that button. Another field keeps it.
    if (!this.keepFocus || this.cameraOpen || isTextField(e.relatedTarget)) return;
    setTimeout(() => {
      if (!isTextField(document.activeElement)) this.focus();
    }, 0);
  }

  insert(text) {
    const length = this.input.value.length;
    const { selectionStart, selectionEnd } = this.input;
    this.input.setRangeText(text, selectionStart ?? length, selectionEnd ?? length, "end");
  }

  replaceValue(value) {
    const caret = Math.min(this.input.selectionStart ?? value.length, value.length);
    this.input.value = value;
    this.input.setSelectionRange(caret, caret);
  }

  submit(via) {
    const text = this.input.value.trim();
    const source = via === "button" ? "manual" : this.source();
    this.input.value = "";
    this.reset();
    if (this.keepFocus) this.focus();
    if (text) this.deliver(text, { source });
  }

  /** Open the camera view; a read is a scan like any other, with source "camera". */
  async scanWithCamera() {
    if (this.cameraOpen) return;
    this.cameraOpen = true;
    let text = null;
    try {
      const { scanWithCamera } = await import("./camera-scan.js");
      text = await scanWithCamera();
    } catch (err) {
      console.warn("camera scan could not open:", err); // e.g. offline before it was cached
    } finally {
      this.cameraOpen = false;
      if (this.keepFocus) this.focus();
    }
    text = text?.replaceAll(GS, this.separator).trim();
    if (text) this.deliver(text, { source: "camera" });
  }

  toggleKeyboard() {
    const showing = this.input.inputMode !== "none";
    this.input.inputMode = showing ? "none" : "text";
    this.keyboardButton.setAttribute("aria-pressed", String(!showing));
    // The on-screen keyboard follows inputmode only when the field gains focus.
    this.input.blur();
    this.focus();
  }
}

/**
 * Keeps scans out of number fields. A person types a count at a person's pace; a wedge
 * scanner sends its code as a burst of keys closer than `max_interkey_ms`, then Enter or
 * Tab. When such a burst (with its suffix, or long and then quiet) arrives in a guarded
 * field, the field gets back what the person had typed before it and the burst goes to
 * the page's scan handler: 12 typed, then a scan, is 12 of the scanned item, not 124890.
 */
class NumberFieldGuard {
  constructor(scanInput) {
    this.scanInput = scanInput;
    this.field = null;
    this.keys = []; // {at, before, text} for each character key in `field`, oldest first
    this.quietTimer = 0;
    // Capture: the burst's Enter must never reach the field's own handlers or its form.
    document.addEventListener("keydown", (e) => this.onKeyDown(e), true);
  }

  get gap() {
    return this.scanInput.settings.max_interkey_ms;
  }

  onKeyDown(e) {
    const field = e.target;
    if (!(field instanceof HTMLInputElement) || field === this.scanInput.input) return;
    if (!field.matches(GUARDED_FIELDS) || e.isComposing) return;
    if (field !== this.field) {
      this.field = field;
      this.keys = [];
    }
    // When the key was pressed, not when a busy page got round to it.
    const now = e.timeStamp || performance.now();
    const plain = !e.ctrlKey && !e.altKey && !e.metaKey && !e.shiftKey;
    if (plain && this.scanInput.settings.suffixes.includes(e.key)) {
      const burst = this.burst(now);
      this.keys = [];
      if (!burst) return; // a person's Enter: the page decides what it means
      e.preventDefault();
      e.stopImmediatePropagation();
      this.takeOut(burst);
      return;
    }
    let text = e.key;
    if ((e.ctrlKey && (e.key === "]" || e.code === "BracketRight")) || e.key === GS) {
      text = this.scanInput.separator; // a GS1 separator inside the burst
    } else if (e.key.length !== 1 || e.ctrlKey || e.altKey || e.metaKey) {
      this.keys = []; // Backspace, arrows, shortcuts: a person editing
      return;
    }
    this.keys.push({ at: now, before: field.value, text });
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => this.onQuiet(), Math.max(this.gap * 4, QUIET_MIN_MS));
  }

  /** The keys at the end that came faster than a person types, if they make a scan. */
  burst(now) {
    const keys = this.keys;
    const last = keys.length - 1;
    const stretch = Math.max(this.gap * BURST_GAP_STRETCH, BURST_GAP_MIN_MS);
    // The suffix follows the code at once; a person's Enter comes after a look.
    if (last < 0 || now - keys[last].at >= stretch) return null;
    let start = last;
    while (start > 0 && keys[start].at - keys[start - 1].at < stretch) start -= 1;
    const run = keys.slice(start);
    if (run.length < MIN_SCANNER_KEYS) return null;
    const averageGap = (run.at(-1).at - run[0].at) / (run.length - 1);
    return averageGap < this.gap ? run : null;
  }

  onQuiet() {
    const run = this.burst(this.keys.at(-1)?.at ?? 0);
    if (run && run.length >= MIN_UNSUFFIXED_SCAN && document.activeElement === this.field) {
      this.keys = [];
      this.takeOut(run);
    }
  }

  takeOut(run) {
    clearTimeout(this.quietTimer);
    const field = this.field;
    field.value = run[0].before;
    // Pages that watch the field (a live total, a check character) see it restored.
    field.dispatchEvent(new Event("input", { bubbles: true }));
    this.scanInput.takeScan(run.map((key) => key.text).join(""));
  }
}
