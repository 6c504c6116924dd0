// Administration, for admins (desk or phone): the users — add, enable or disable, roles,
// language, PIN (typed, or made by the server and shown once), badge, unlock — and the
// station and OMS tokens: made (shown once), last used, revoked.
//
// Every change is sent at once or not at all, never queued on the device: an admin acts
// on what the list shows now. Each keeps its idempotency key until it has an answer, so
// pressing again after a lost answer cannot act twice.

import "./strings/admin.js"; // first: its strings before any use
import * as api from "./api.js";
import { errorText, pick, t } from "./i18n.js";
import { dateTime, el, number, setSiteTimeZone } from "./ui.js";
import { speaker, startPage } from "./shell.js";

const $ = (id) => document.getElementById(id);
const said = speaker($("banner"));
const { tell } = said;

const LANGUAGE_CHOICES = ["", "zh", "en"];
const REVOKE_CONFIRM_MS = 5000;

let roleLabels = {}; // role -> {zh, en}, from client-config
let users = [];
let tokens = [];
let openUser = null; // the user card left open across redraws
let attempt = null; // the change being sent and its key, kept until answered
let secret = null; // what the one-time card shows: {title: () => text, value}

// -- sending ------------------------------------------------------------------------------

/** One change, sent now; the same change asked again before an answer keeps its key. */
async function change(path, body, done) {
  const what = JSON.stringify([path, body ?? null]);
  if (attempt?.what !== what) attempt = { what, key: api.newKey() };
  said.note("pending", () => t("common.sending"));
  try {
    const answer = await api.sendCommand(path, body, attempt.key);
    attempt = null;
    tell("good", () => done(answer));
    await refresh();
    return answer;
  } catch (err) {
    if (err.code !== "NETWORK_ERROR") attempt = null;
    tell("bad", () => errorText(err));
    return null;
  }
}

const userPath = (code, action) => `/api/v1/users/${encodeURIComponent(code)}/${action}`;

function showSecret(title, value) {
  secret = { title, value };
  drawSecret();
  $("secret").scrollIntoView({ block: "start" });
  $("secret-done").focus();
}

function drawSecret() {
  $("secret").hidden = !secret;
  if (!secret) return;
  $("secret-title").textContent = secret.title();
  $("secret-value").textContent = secret.value;
}

// -- drawing -----------------------------------------------------------------------------

function roleName(role) {
  return pick(roleLabels[role], role);
}

function languageName(language) {
  return t(`admin.language.${language || "device"}`);
}

function fillLanguageSelect(select, chosen) {
  select.replaceChildren(
    ...LANGUAGE_CHOICES.map((code) => {
      const option = el("option", "", languageName(code));
      option.value = code;
      option.selected = code === chosen;
      return option;
    }),
  );
}

/** The role checkboxes of `group`, after its title, `held` ones ticked. */
function roleBoxes(group, held, idPrefix) {
  const title = group.querySelector(".admin-roles-title");
  group.replaceChildren(title);
  for (const role of Object.keys(roleLabels)) {
    const label = el("label", "admin-role");
    const box = el("input");
    box.type = "checkbox";
    box.name = "role";
    box.value = role;
    box.id = `${idPrefix}-${role}`;
    box.checked = held.includes(role);
    label.append(box, el("span", "", roleName(role)));
    group.append(label);
  }
}

function checkedRoles(group) {
  return [...group.querySelectorAll("input[name=role]:checked")].map((box) => box.value);
}

function chip(text, kind = "") {
  const node = el("span", "chip", text);
  if (kind) node.dataset.kind = kind;
  return node;
}

function fact(label, value) {
  const row = el("div");
  row.append(el("dt", "", label), el("dd", "", value));
  return row;
}

function button(text, className, onClick) {
  const node = el("button", className, text);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

/** A small form: its fields, then its button; submitting calls `onSubmit`. */
function form(className, fields, submitText, onSubmit) {
  const node = el("form", `admin-form ${className}`);
  node.noValidate = true;
  const submit = el("button", "secondary", submitText);
  submit.type = "submit";
  node.append(...fields, submit);
  node.addEventListener("submit", (e) => {
    e.preventDefault();
    onSubmit();
  });
  return node;
}

function labelled(text, input) {
  const label = el("label", "field");
  label.append(el("span", "", text), input);
  return label;
}

function userCard(u) {
  const card = el("details", "card admin-user");
  card.dataset.user = u.code;
  card.dataset.enabled = String(u.enabled);
  card.open = openUser === u.code;
  card.addEventListener("toggle", () => {
    if (card.open) openUser = u.code;
    else if (openUser === u.code) openUser = null;
  });

  const head = el("summary", "admin-user-head");
  const chips = el("span", "admin-chips");
  chips.append(...u.roles.map((role) => chip(roleName(role))));
  if (!u.enabled) chips.append(chip(t("admin.user.disabled"), "held"));
  if (u.locked) chips.append(chip(t("admin.user.locked"), "held"));
  chips.append(chip(languageName(u.language), "language"));
  head.append(el("span", "admin-user-code code-whole", u.code), el("span", "admin-user-name", u.name), chips);
  card.append(head);

  const facts = el("dl", "admin-facts");
  facts.append(
    fact(t("admin.user.last_login"), u.last_login_at ? dateTime(u.last_login_at) : t("admin.never")),
    fact(t("admin.user.badge"), u.badge || t("admin.user.no_badge")),
  );
  card.append(facts);

  // Roles
  const roles = el("div", "admin-roles");
  const rolesTitle = el("span", "admin-roles-title", t("admin.user.roles"));
  rolesTitle.id = `roles-title-${u.code}`;
  roles.setAttribute("role", "group");
  roles.setAttribute("aria-labelledby", rolesTitle.id);
  roles.append(rolesTitle);
  roleBoxes(roles, u.roles, `roles-${u.code}`);
  card.append(
    form("admin-roles-form", [roles], t("admin.user.roles.save"), () =>
      change(userPath(u.code, "roles"), { roles: checkedRoles(roles) }, () =>
        t("admin.done.roles", { code: u.code }),
      ),
    ),
  );

  // Language
  const language = el("select");
  language.name = "language";
  fillLanguageSelect(language, u.language);
  card.append(
    form("admin-language-form", [labelled(t("admin.user.language"), language)], t("admin.user.language.save"), () =>
      change(userPath(u.code, "language"), { language: language.value }, () =>
        t("admin.done.language", { code: u.code, language: languageName(language.value) }),
      ),
    ),
  );

  // PIN: typed, or made by the server and shown once
  const pin = el("input");
  Object.assign(pin, { type: "password", inputMode: "numeric", maxLength: 12, autocomplete: "new-password", name: "pin" });
  card.append(
    form("admin-pin-form", [labelled(t("admin.user.new_pin"), pin), el("p", "muted admin-help", t("admin.user.pin.help"))], t("admin.user.pin.reset"), async () => {
      const typed = pin.value;
      const answer = await change(userPath(u.code, "reset-pin"), typed ? { pin: typed } : {}, () =>
        t("admin.done.pin", { code: u.code }),
      );
      pin.value = "";
      if (answer?.pin) showSecret(() => t("admin.secret.pin", { code: u.code }), answer.pin);
    }),
  );

  // Badge
  const badge = el("input");
  Object.assign(badge, { type: "password", maxLength: 64, autocomplete: "off", name: "badge" });
  const badgeFields = [labelled(t("admin.user.new_badge"), badge)];
  card.append(
    form("admin-badge-form", badgeFields, t("admin.user.badge.set"), async () => {
      const answer = await change(userPath(u.code, "badge"), { badge: badge.value.trim() }, (a) =>
        t("admin.done.badge", { code: u.code, badge: a.badge }),
      );
      if (answer) badge.value = "";
    }),
  );

  const actions = el("div", "admin-actions");
  if (u.badge) {
    actions.append(
      button(t("admin.user.badge.clear"), "secondary danger", () =>
        change(userPath(u.code, "badge/clear"), undefined, () => t("admin.done.badge_cleared", { code: u.code })),
      ),
    );
  }
  if (u.locked) {
    actions.append(
      button(t("admin.user.unlock"), "secondary", () =>
        change(userPath(u.code, "unlock"), undefined, () => t("admin.done.unlocked", { code: u.code })),
      ),
    );
  }
  actions.append(
    u.enabled
      ? button(t("admin.user.disable"), "secondary danger", () =>
          change(userPath(u.code, "disable"), undefined, () => t("admin.done.disabled", { code: u.code })),
        )
      : button(t("admin.user.enable"), "secondary", () =>
          change(userPath(u.code, "enable"), undefined, () => t("admin.done.enabled", { code: u.code })),
        ),
  );
  card.append(actions);
  return card;
}

function tokenRow(token) {
  const row = el("li", "card admin-token");
  row.dataset.token = token.name;
  const head = el("div", "admin-token-head");
  head.append(
    el("span", "admin-user-code code-whole", token.name),
    chip(t(`admin.token.kind.${token.kind}`)),
  );
  const facts = el("dl", "admin-facts");
  facts.append(
    fact(t("admin.token.created"), dateTime(token.created_at)),
    fact(t("admin.token.last_used"), token.last_used_at ? dateTime(token.last_used_at) : t("admin.never")),
  );
  // Revoking cannot be undone: the first tap asks, a second within a few seconds revokes.
  let armed = null;
  const revoke = button(t("admin.token.revoke"), "secondary danger", () => {
    if (!armed) {
      revoke.textContent = t("admin.token.revoke.confirm", { name: token.name });
      armed = setTimeout(() => {
        armed = null;
        revoke.textContent = t("admin.token.revoke");
      }, REVOKE_CONFIRM_MS);
      return;
    }
    clearTimeout(armed);
    armed = null;
    change(`/api/v1/tokens/${encodeURIComponent(token.name)}/revoke`, undefined, () =>
      t("admin.done.revoked", { name: token.name }),
    );
  });
  row.append(head, facts, revoke);
  return row;
}

function draw() {
  $("user-count").textContent = t("admin.users.count", { count: number(users.length) });
  $("users").replaceChildren(...users.map(userCard));
  $("token-count").textContent = t("admin.tokens.count", { count: number(tokens.length) });
  $("tokens").replaceChildren(...tokens.map(tokenRow));
  $("no-tokens").hidden = tokens.length > 0;
  const chosen = $("new-language").value;
  fillLanguageSelect($("new-language"), chosen);
  roleBoxes($("new-roles"), checkedRoles($("new-roles")), "new-role");
  drawSecret();
}

async function refresh() {
  try {
    [users, tokens] = await Promise.all([api.listUsers(), api.listTokens()]);
    draw();
  } catch (err) {
    tell("bad", () => errorText(err));
  }
}

// -- the page ----------------------------------------------------------------------------

function wireForms() {
  $("add-user-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = {
      code: $("new-code").value.trim(),
      name: $("new-name").value.trim(),
      roles: checkedRoles($("new-roles")),
      pin: $("new-pin").value,
      language: $("new-language").value,
    };
    if (!body.code || !body.name || !body.pin || !body.roles.length) {
      tell("bad", () => t("admin.user.add.missing"));
      return;
    }
    const answer = await change("/api/v1/users", body, () => t("admin.done.added", { code: body.code }));
    if (answer) {
      $("add-user-form").reset();
      roleBoxes($("new-roles"), [], "new-role");
      $("add-user").open = false;
    }
  });
  $("add-token-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { name: $("token-name").value.trim(), kind: $("token-kind").value };
    if (!body.name) {
      tell("bad", () => t("admin.token.add.missing"));
      return;
    }
    const answer = await change("/api/v1/tokens", body, () => t("admin.done.token", { name: body.name }));
    if (answer) $("token-name").value = "";
    if (answer?.token) showSecret(() => t("admin.secret.token", { name: body.name }), answer.token);
  });
  $("secret-done").addEventListener("click", () => {
    secret = null;
    drawSecret();
  });
}

async function main() {
  startPage({
    uploads: false,
    onLanguage: () => {
      draw();
      said.redo();
    },
  });
  wireForms();
  const [me, config] = await Promise.all([api.me(), api.clientConfig().catch(() => null)]);
  if (config) {
    setSiteTimeZone(config.site.timezone);
    roleLabels = config.roles;
  }
  if (!me.roles.includes("admin")) {
    $("not-admin").hidden = false;
    return;
  }
  $("admin").hidden = false;
  await refresh();
}

main();
