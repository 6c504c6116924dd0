// Good/bad feedback after a scan: a beep, a vibration and a green or red banner.
// On a loud floor people go by sound and buzz more than by the screen, so the two
// outcomes must never sound alike: good is one short high beep, bad a low double buzz.

const TONES = {
  good: [{ freq: 1800, start: 0, length: 0.09, type: "sine" }],
  bad: [
    { freq: 220, start: 0, length: 0.18, type: "square" },
    { freq: 220, start: 0.26, length: 0.18, type: "square" },
  ],
};
const VIBRATION = { good: [40], bad: [180, 90, 180] };

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

/** Put text in the banner without sound: "pending" while waiting, or to re-translate. */
export function show(kind, banner, message, detail = "") {
  if (!banner) return;
  banner.hidden = false;
  banner.dataset.feedback = kind;
  banner.querySelector(".banner-text").textContent = message;
  banner.querySelector(".banner-detail").textContent = detail;
}

export function hide(banner) {
  banner.hidden = true;
  delete banner.dataset.feedback;
}
