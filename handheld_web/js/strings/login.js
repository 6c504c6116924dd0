// The strings of index.html only, in zh-CN and English; shared ones are in i18n.js.

import { addTexts } from "../i18n.js";

addTexts({
  "login.title": { zh: "登录", en: "Log in" },
  "login.user_code": { zh: "工号", en: "User code" },
  "login.pin": { zh: "PIN 码", en: "PIN" },
  "login.submit": { zh: "登录", en: "Log in" },
  "login.or_badge": { zh: "或扫描工牌", en: "or scan your badge" },
  "login.badge": { zh: "工牌", en: "Badge" },
  "login.busy": { zh: "正在登录…", en: "Logging in…" },
  "login.missing": { zh: "请输入工号和 PIN 码", en: "Enter your user code and PIN" },
  "login.badge_pin": { zh: "已识别工牌：请输入您的 PIN 码", en: "Badge read: enter your PIN" },
  "login.expired": { zh: "会话已结束，请重新登录", en: "Your session has ended; please log in again" },
});
