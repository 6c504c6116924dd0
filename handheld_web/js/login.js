// Login page: user code + PIN, or scan a badge. A supervisor's or admin's badge needs the
// PIN too: after such a scan the page asks for the PIN and sends both.

import "./strings/login.js"; // first: its strings before any use
import * as api from "./api.js";
import * as feedback from "./feedback.js";
import { errorText, t } from "./i18n.js";
import { ScanInput } from "./scan-input.js";
import { startPage } from "./shell.js";

const banner = document.getElementById("banner");
const form = document.getElementById("login-form");
const userCode = document.getElementById("user-code");
const pin = document.getElementById("pin");
const submitButton = document.getElementById("login-submit");
const userCodeField = document.getElementById("user-code-field");

// A scanned badge that waits for its PIN (kept in memory only, never shown or stored).
let pendingBadge = null;

// What the banner says, as a function so it can be said again in the other language.
let message = null;

function tell(kind, text, { sound = true } = {}) {
  message = () => [kind, typeof text === "function" ? text() : text];
  if (sound && (kind === "good" || kind === "bad")) feedback.signal(kind, banner, message()[1]);
  else feedback.show(kind, banner, message()[1]);
}

async function logIn(credentials) {
  submitButton.disabled = true;
  tell("pending", () => t("login.busy"), { sound: false });
  try {
    await api.login(credentials);
    location.replace("home.html");
  } catch (err) {
    pin.value = "";
    submitButton.disabled = false;
    if (err.code === "BADGE_NEEDS_PIN" && credentials.badge) {
      askPinFor(credentials.badge);
      return;
    }
    tell("bad", () => errorText(err));
    if (credentials.pin) pin.focus();
  }
}

/** A manager's badge was read: the PIN field alone, and the next submit sends both. */
function askPinFor(badgeText) {
  pendingBadge = badgeText;
  userCodeField.hidden = true;
  tell("info", () => t("login.badge_pin"), { sound: false });
  pin.focus();
}

async function main() {
  // Not logged in yet: the switch is this handheld's choice; the login may bring the user's.
  startPage({ uploads: false, badge: false, rememberLanguage: false });
  document.addEventListener("languagechange", () => {
    if (message) feedback.show(...message());
  });

  const reason = new URLSearchParams(location.search).get("reason");
  if (reason) tell("info", () => t("login.expired"), { sound: false });

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (pendingBadge) {
      if (!pin.value) {
        pin.focus();
        return;
      }
      logIn({ badge: pendingBadge, pin: pin.value });
      return;
    }
    const credentials = { user_code: userCode.value.trim(), pin: pin.value };
    if (!credentials.user_code || !credentials.pin) {
      tell("bad", () => t("login.missing"));
      (credentials.user_code ? pin : userCode).focus();
      return;
    }
    logIn(credentials);
  });

  const badge = new ScanInput(document.getElementById("badge-form"), {
    onScan: (text) => {
      // A new badge starts afresh: the user-code field comes back until it asks for a PIN.
      pendingBadge = null;
      userCodeField.hidden = false;
      logIn({ badge: text });
    },
  });
  badge.focus();

  try {
    const config = await api.clientConfig();
    badge.configure(config.scan);
    document.getElementById("site-name").textContent = config.site.name;
    document.title = `${config.site.name} · bondfloor`;
  } catch (err) {
    tell("bad", () => errorText(err));
  }
}

main();
