// The site CA page: a QR code of the CA's download address, the download itself, its
// fingerprint and how to install it on Android. Served over plain HTTP too (a new handheld
// does not trust the site yet), so it needs no login and changes nothing.

import "./strings/ca.js"; // first: its strings before any use
import * as api from "./api.js";
import { t } from "./i18n.js";
import { startPage } from "./shell.js";

const $ = (id) => document.getElementById(id);
let info = null;

function fingerprintGroups(fingerprint) {
  // Four bytes per group, each kept whole: a phone wraps between groups, never inside one.
  const pairs = fingerprint.split(":");
  const groups = [];
  for (let i = 0; i < pairs.length; i += 4) groups.push(pairs.slice(i, i + 4).join(":"));
  return groups;
}

function codeSpan(text) {
  const span = document.createElement("span");
  span.className = "ca-code";
  span.textContent = text;
  return span;
}

function draw() {
  const file = info?.file_name || "bondfloor-ca.crt";
  const address = info?.site_url || `https://${location.host}/`;
  for (const li of document.querySelectorAll("[data-i18n^='ca.step.']")) {
    li.textContent = t(li.dataset.i18n, { file, address });
  }
  if (!info) return;
  $("ca-missing").hidden = info.available;
  $("ca-ready").hidden = !info.available;
  if (!info.available) return;
  // Address and path each kept whole: a long host name wraps before the path, not in it.
  const cut = info.download_url.lastIndexOf("/");
  $("ca-url").replaceChildren(
    ...[info.download_url.slice(0, cut), info.download_url.slice(cut)].map(codeSpan),
  );
  $("ca-qr").alt = t("ca.qr.alt", { url: info.download_url });
  $("ca-download").setAttribute("download", info.file_name);
  const box = $("ca-fingerprint");
  box.replaceChildren(...fingerprintGroups(info.fingerprint_sha256).map(codeSpan));
}

startPage({ onLanguage: draw, uploads: false, badge: false });
draw();
info = await api.siteCa();
draw();
