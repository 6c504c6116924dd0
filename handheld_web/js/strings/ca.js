// The strings of ca.html only, in zh-CN and English; shared ones are in i18n.js.

import { addTexts } from "../i18n.js";

addTexts({
  "ca.title": { zh: "安装站点证书", en: "Site CA" },
  "ca.back": { zh: "登录", en: "Log in" },
  "ca.intro": {
    zh: "每台手持终端安装一次站点证书（CA），之后浏览器才会信任本仓库服务器的 HTTPS。",
    en: "Install the site's certificate authority (CA) once on each handheld; then its browser trusts this warehouse server's HTTPS.",
  },
  "ca.missing": {
    zh: "本站使用自己的证书，不需要安装站点证书。请询问 IT 管理员。",
    en: "This site serves a certificate of its own: there is no site CA to install. Ask your IT administrator.",
  },
  "ca.qr.alt": { zh: "站点证书下载地址的二维码：{url}", en: "QR code of the site CA's download address: {url}" },
  "ca.url": { zh: "下载地址", en: "Download address" },
  "ca.download": { zh: "下载证书", en: "Download the CA" },
  "ca.fingerprint": { zh: "SHA-256 指纹（安装前核对）", en: "SHA-256 fingerprint (check it before installing)" },
  "ca.steps.title": { zh: "在 Android 上安装", en: "Install on Android" },
  "ca.step.scan": {
    zh: "用手持终端的相机扫描二维码（或点“下载证书”），保存文件。",
    en: "Scan the QR code with the handheld's camera (or tap “Download the CA”) and save the file.",
  },
  "ca.step.settings": {
    zh: "打开 设置 → 安全 → 加密与凭据（部分机型：安全 → 更多安全设置）。",
    en: "Open Settings → Security → Encryption & credentials (on some models: Security → More security settings).",
  },
  "ca.step.install": {
    zh: "点 安装证书 → CA 证书，在警告页点“仍然安装”。",
    en: "Tap Install a certificate → CA certificate, and “Install anyway” on the warning.",
  },
  "ca.step.choose": {
    zh: "选择下载的文件 {file}。",
    en: "Choose the downloaded file {file}.",
  },
  "ca.step.check": {
    zh: "在 受信任的凭据 → 用户 中打开它，核对指纹与本页一致。",
    en: "Open it under Trusted credentials → User and check its fingerprint matches this page.",
  },
  "ca.step.open": {
    zh: "关闭并重新打开浏览器，访问 {address}。",
    en: "Close and reopen the browser, then open {address}.",
  },
});
