// Feedback after a scan: a beep, a vibration and a coloured banner.
// On a loud floor people go by sound and buzz more than by the screen, so the outcomes
// must never sound alike: good is one short high beep, bad a low double buzz.
// Two more kinds: `segregation` (goods about to go where another customer's are — a
// customs offence in a bonded warehouse, so it must stand out from an ordinary refusal)
// is a falling three-tone siren with a long buzz; `intercept` (the order was cancelled or
// customs stopped it: its goods must not go on) is a rising warble, repeated, so a packer
// with the next item already in hand still stops; `info` (saved on the device, will
// upload) is two soft mid beeps: not a success, not a failure; `notice` (nothing wrong,
// nothing done: a parcel scanned onto the truck a second time, not counted again) is one
// longer soft low tone and a single short buzz.

import { setTextKeepingCodesWhole } from "./ui.js";

const TONES = {
  good: [{ freq: 1800, start: 0, length: 0.09, type: "sine" }],
  bad: [
    { freq: 220, start: 0, length: 0.18, type: "square" },
    { freq: 220, start: 0.26, length: 0.18, type: "square" },
  ],
  segregation: [
    { freq: 880, start: 0, length: 0.22, type: "sawtooth" },
    { freq: 520, start: 0.26, length: 0.22, type: "sawtooth" },
    { freq: 260, start: 0.52, length: 0.45, type: "sawtooth" },
  ],
  intercept: [
    { freq: 440, start: 0, length: 0.14, type: "triangle" },
    { freq: 660, start: 0.16, length: 0.14, type: "triangle" },
    { freq: 440, start: 0.38, length: 0.14, type: "triangle" },
    { freq: 660, start: 0.54, length: 0.14, type: "triangle" },
  ],
  info: [
    { freq: 760, start: 0, length: 0.06, type: "sine" },
    { freq: 760, start: 0.12, length: 0.06, type: "sine" },
  ],
  notice: [{ freq: 520, start: 0, length: 0.3, type: "sine" }],
};
const VIBRATION = {
  good: [40],
  bad: [180, 90, 180],
  segregation: [600, 120, 600, 120, 600],
  intercept: [300, 100, 300, 100, 300],
  info: [30, 80, 30],
  notice: [90],
};

let audio = null;

function audioContext() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return null;
  audio ??= new Context();
  // Browsers start audio suspended until a user gesture; a scan's keystroke is one.
  if (audio.state === "suspended") audio.resume().catch(() => {});
  return audio;
}

function beep(kind) {
  try {
    const ctx = audioContext();
    if (!ctx) return;
    const now = ctx.currentTime;
    for (const tone of TONES[kind]) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = tone.type;
      osc.frequency.value = tone.freq;
      gain.gain.value = 0.25;
      osc.connect(gain).connect(ctx.destination);
      osc.start(now + tone.start);
      osc.stop(now + tone.start + tone.length);
    }
  } catch {
    // No sound device: the banner and the vibration still tell.
  }
}

function vibrate(kind) {
  if (typeof navigator.vibrate === "function") navigator.vibrate(VIBRATION[kind]);
}

let sequence = 0;

/**
 * Tell the outcome of a scan with sound, vibration and the page's `banner`.
 * `detail` is an optional smaller second line (e.g. the code that was scanned).
 * The last outcome stays on `<body data-feedback>`, counted in `data-feedback-seq`.
 */
export function signal(kind, banner, message, detail = "") {
  sequence += 1;
  beep(kind);
  vibrate(kind);
  document.body.dataset.feedback = kind;
  document.body.dataset.feedbackSeq = String(sequence);
  show(kind, banner, message, detail);
}

export const good = (banner, message, detail) => signal("good", banner, message, detail);
export const bad = (banner, message, detail) => signal("bad", banner, message, detail);
export const segregation = (banner, message, detail) =>
  signal("segregation", banner, message, detail);
/** The order must stop here: cancelled (return its goods) or stopped by customs. */
export const intercept = (banner, message, detail) => signal("intercept", banner, message, detail);
/** Saved on the device, not yet on the server: neither good nor bad. */
export const queued = (banner, message, detail) => signal("info", banner, message, detail);
/** Nothing wrong and nothing done (a second scan of what is counted already). */
export const notice = (banner, message, detail) => signal("notice", banner, message, detail);

/** Put text in the banner without sound: "pending" while waiting, or to re-translate. */
export function show(kind, banner, message, detail = "") {
  if (!banner) return;
  banner.hidden = false;
  banner.dataset.feedback = kind;
  setTextKeepingCodesWhole(banner.querySelector(".banner-text"), message);
  setTextKeepingCodesWhole(banner.querySelector(".banner-detail"), detail);
}

export function hide(banner) {
  banner.hidden = true;
  delete banner.dataset.feedback;
}
