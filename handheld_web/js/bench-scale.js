// The live weight of a pack bench's scale on the packing page and on the station's own
// page: asked a few times a second, only while the page is on screen and an order is open,
// and shown big in kg with a stable/moving mark in words (never by colour alone), net and
// tare, or the scale's state (no scale at this bench, unplugged, not answering, an old
// reading). Both pages have the same `#scale-*` parts; its strings are the shared ones.

import * as api from "./api.js";
import { t } from "./i18n.js";

// A few readings a second: the number follows the parcel as it is put on the scale.
const POLL_MS = 300;
// States the server answers besides a reading (see GET /api/v1/stations/{name}/weight).
const STATES = new Set(["reading", "no_scale", "unplugged", "no_answer", "stale", "offline"]);

/** Grams as kilograms with three decimals: a bench scale reads to the gram. */
export function kilograms(grams) {
  return (grams / 1000).toFixed(3);
}

/** The weight the open order's parcel should have (`expected`: null when none is known). */
export function showExpectedWeight(line, expected) {
  line.hidden = !expected;
  if (expected && expected.expected_weight_g !== null) {
    line.dataset.expected = String(expected.expected_weight_g);
    line.textContent = t("pack.expected", {
      expected: kilograms(expected.expected_weight_g),
      min: kilograms(expected.min_g),
      max: kilograms(expected.max_g),
    });
  } else if (expected) {
    line.dataset.expected = "";
    line.textContent = t("pack.expected.unknown", { skus: expected.unknown_skus.join(", ") });
  }
}

/** A weight refused as outside the expected range (`details` of WEIGHT_OUTSIDE_EXPECTED),
 *  in words with the range, and the confirm button that packs it anyway; none: hidden. */
export function showWeightWarning(details) {
  const box = document.getElementById("weight-warn");
  box.hidden = !details;
  if (!details) return;
  box.querySelector("#weight-warn-text").textContent = t("pack.weight.outside", {
    weight: kilograms(details.weight_g),
    min: kilograms(details.min_g),
    max: kilograms(details.max_g),
  });
  box.querySelector("#weight-confirm").textContent = t("pack.weight.confirm", {
    weight: kilograms(details.weight_g),
  });
}

export class BenchScale {
  /** `panel` is the scale section; `onChange(scale)` runs after every reading. */
  constructor(panel, onChange) {
    this.panel = panel;
    this.onChange = onChange;
    this.part = (name) => panel.querySelector(`#scale-${name}`);
    this.station = "";
    this.active = false;
    this.takeAllowed = false;
    this.reading = null; // the last answer, or null before the first one
    this.absent = false; // no such route or station: nothing to show
    this.stableSince = 0; // when the stable weight first came (ms); 0: none; -Infinity: unseen
    this.timer = null;
    this.asking = false;
    document.addEventListener("visibilitychange", () => this.kick());
  }

  /** The bench typed on the page; a new one starts from no reading. */
  setStation(name) {
    if (name === this.station) return;
    this.station = name;
    this.reading = null;
    this.absent = false;
    this.stableSince = 0;
    this.render();
    this.kick();
  }

  /** Ask only while an order is open here; `takeAllowed` once every item is scanned. */
  setActive(active, takeAllowed) {
    this.active = active;
    this.takeAllowed = takeAllowed;
    this.render();
    this.kick();
  }

  /** The stable weight in grams, or null while there is none to take. */
  stableGrams() {
    const r = this.reading;
    if (!r || r.state !== "reading" || !r.stable || !(r.grams > 0)) return null;
    return r.grams;
  }

  /** How long the scale has shown the same stable weight, in ms. */
  stableFor() {
    return this.stableGrams() === null ? 0 : performance.now() - this.stableSince;
  }

  /** The stable weight settled at or after `since` (a performance.now() time). */
  settledSince(since) {
    return this.stableGrams() !== null && this.stableSince >= since;
  }

  shouldAsk() {
    return this.active && !this.absent && this.station && document.visibilityState === "visible";
  }

  kick() {
    if (this.timer === null && !this.asking && this.shouldAsk()) this.ask();
  }

  async ask() {
    this.asking = true;
    const station = this.station;
    try {
      const answer = await api.stationWeight(station);
      if (station === this.station) this.take(answer);
    } catch (err) {
      if (station !== this.station) return;
      if (err.code === "NETWORK_ERROR") this.take({ state: "offline" });
      else {
        this.absent = true; // an unknown bench, or a server without scales: type the weight
        this.reading = null;
      }
    } finally {
      this.asking = false;
      this.render();
      this.onChange(this);
      if (this.shouldAsk()) {
        this.timer = setTimeout(() => {
          this.timer = null;
          if (this.shouldAsk()) this.ask();
        }, POLL_MS);
      }
    }
  }

  take(answer) {
    const first = this.reading === null;
    const before = this.stableGrams();
    this.reading = { ...answer, state: STATES.has(answer.state) ? answer.state : "stale" };
    const now = this.stableGrams();
    if (now === null) this.stableSince = 0;
    // Stable in the first reading: it settled at a time nobody saw (the last parcel may
    // still be on the scale), before anything this page did.
    else if (now !== before) this.stableSince = first ? -Infinity : performance.now();
  }

  render() {
    const r = this.reading;
    this.panel.hidden = !this.active || this.absent || !r;
    if (this.panel.hidden) return;
    this.panel.dataset.state = r.state;
    const hasWeight = (r.state === "reading" || r.state === "stale") && Number.isInteger(r.grams);
    this.part("weight").textContent = hasWeight ? kilograms(r.grams) : "—";
    this.panel.dataset.grams = hasWeight ? String(r.grams) : "";
    const mark = this.part("mark");
    mark.hidden = r.state !== "reading";
    mark.dataset.stable = r.stable ? "yes" : "no";
    mark.textContent = r.stable ? t("pack.scale.stable") : t("pack.scale.moving");
    const tare = this.part("tare");
    tare.hidden = r.state !== "reading";
    tare.textContent =
      r.net || r.tare_g > 0
        ? t("pack.scale.net", { tare: kilograms(r.tare_g || 0) })
        : t("pack.scale.gross");
    const state = this.part("state");
    state.hidden = r.state === "reading";
    const age = r.age_ms == null ? "—" : String(Math.round(r.age_ms / 1000));
    // Stale with no age: the agent has sent nothing since the server started.
    const said = r.state === "stale" && r.age_ms == null ? "silent" : r.state;
    state.textContent = r.state === "reading" ? "" : t(`pack.scale.${said}`, { age });
    const take = this.part("take");
    take.disabled = !this.takeAllowed || this.stableGrams() === null;
  }
}
