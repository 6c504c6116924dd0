// Home menu: the tiles of the logged-in user's roles.

import "./strings/home.js"; // first: its strings before any use
import * as api from "./api.js";
import * as feedback from "./feedback.js";
import * as outbox from "./outbox.js";
import { errorText, pick, t, translatePage } from "./i18n.js";
import { tilesFor } from "./menu.js";
import { startPage } from "./shell.js";

const menu = document.getElementById("menu");
let user = null;
let roleLabels = {};

function tileElement(tile) {
  const el = document.createElement(tile.ready ? "a" : "button");
  el.className = "tile";
  el.dataset.menu = tile.id;
  const title = document.createElement("span");
  title.className = "tile-title";
  title.textContent = t(tile.label);
  el.append(title);
  if (tile.ready) {
    el.href = tile.href;
  } else {
    el.type = "button";
    el.disabled = true;
    const note = document.createElement("span");
    note.className = "tile-note";
    note.textContent = t("home.coming_soon");
    el.append(note);
  }
  return el;
}

function render() {
  translatePage();
  document.getElementById("user-name").textContent = user.name;
  document.getElementById("user-roles").textContent = user.roles
    .map((role) => pick(roleLabels[role], role))
    .join(" · ");
  menu.replaceChildren(...tilesFor(user.roles).map(tileElement));
}

async function main() {
  startPage();
  document.getElementById("logout").addEventListener("click", async () => {
    const waiting = outbox.pending();
    if (waiting && !window.confirm(t("outbox.logout_pending", { count: waiting }))) return;
    await api.logout().catch(() => {});
    api.goToLogin();
  });

  try {
    const [me, config] = await Promise.all([api.me(), api.clientConfig().catch(() => null)]);
    user = me;
    roleLabels = config?.roles || {};
  } catch (err) {
    feedback.bad(document.getElementById("banner"), errorText(err));
    return;
  }
  render();
  document.addEventListener("languagechange", render);
}

main();
