// Every visible string of the handheld, in zh-CN and English, side by side.
// Chinese is the default; the choice is remembered on the device.

const LANG_KEY = "bondfloor.lang";
export const LANGUAGES = ["zh", "en"];
const HTML_LANG = { zh: "zh-CN", en: "en" };

const TEXTS = {
  "lang.switch": { zh: "English", en: "中文" },
  "lang.switch.label": { zh: "切换到英文", en: "Switch to Chinese" },

  "login.title": { zh: "登录", en: "Log in" },
  "login.user_code": { zh: "工号", en: "User code" },
  "login.pin": { zh: "PIN 码", en: "PIN" },
  "login.submit": { zh: "登录", en: "Log in" },
  "login.or_badge": { zh: "或扫描工牌", en: "or scan your badge" },
  "login.badge": { zh: "工牌", en: "Badge" },
  "login.busy": { zh: "正在登录…", en: "Logging in…" },
  "login.missing": { zh: "请输入工号和 PIN 码", en: "Enter your user code and PIN" },
  "login.expired": { zh: "会话已结束，请重新登录", en: "Your session has ended; please log in again" },

  "outbox.pending": { zh: "待上传 {count}", en: "{count} to upload" },
  "outbox.refused": { zh: "被拒 {count}", en: "{count} refused" },

  "scan.ok": { zh: "确定", en: "OK" },
  "scan.keyboard": { zh: "键盘", en: "Keys" },
  "scan.keyboard.label": { zh: "显示/隐藏屏幕键盘", en: "Show or hide the on-screen keyboard" },
  "scan.source.scanner": { zh: "扫描", en: "scanned" },
  "scan.source.manual": { zh: "手输", en: "typed" },

  "home.title": { zh: "主菜单", en: "Menu" },
  "home.logout": { zh: "退出", en: "Log out" },
  "home.coming_soon": { zh: "即将上线", en: "Coming soon" },
  "menu.receiving": { zh: "收货", en: "Receiving" },
  "menu.putaway": { zh: "上架", en: "Put-away" },
  "menu.picking": { zh: "拣货", en: "Picking" },
  "menu.packing": { zh: "打包", en: "Packing" },
  "menu.dock": { zh: "装车出库", en: "Dock check-out" },
  "menu.supervisor": { zh: "主管", en: "Supervisor" },
  "menu.stock": { zh: "库存查询", en: "Stock lookup" },

  "stock.title": { zh: "库存查询", en: "Stock lookup" },
  "stock.back": { zh: "返回", en: "Back" },
  "stock.hint": { zh: "扫描库位或商品", en: "Location or item" },
  "stock.busy": { zh: "查询中…", en: "Looking up…" },
  "stock.kind.location": { zh: "库位", en: "Location" },
  "stock.kind.sku": { zh: "商品", en: "Item" },
  "stock.total": { zh: "合计", en: "Total" },
  "stock.subtotal": { zh: "小计", en: "Subtotal" },
  "stock.lot": { zh: "批次", en: "Lot" },
  "stock.expiry": { zh: "效期", en: "Expiry" },
  "stock.empty": { zh: "没有库存", en: "No stock" },
  "stock.truncated": { zh: "只显示前 {count} 行", en: "Only the first {count} rows are shown" },
  "stock.found": { zh: "{kind} {title}：{total} 件", en: "{kind} {title}: {total} units" },
  "stock.found_empty": { zh: "{kind} {title}：没有库存", en: "{kind} {title}: no stock" },
};

// Server error codes → text. Unknown codes fall back to the server's own message.
const ERRORS = {
  LOGIN_FAILED: { zh: "工号或 PIN 码错误", en: "Unknown user or wrong PIN" },
  USER_DISABLED: { zh: "该用户已停用", en: "This user is disabled" },
  USER_LOCKED: {
    zh: "登录失败次数过多，已锁定；请主管重置 PIN 码",
    en: "Too many failed logins; a supervisor must reset the PIN",
  },
  LOGIN_INCOMPLETE: { zh: "请输入工号和 PIN 码，或扫描工牌", en: "Enter user code and PIN, or scan a badge" },
  VALIDATION_FAILED: { zh: "输入无效", en: "The input is not valid" },
  UNAUTHENTICATED: { zh: "请先登录", en: "Please log in" },
  SESSION_EXPIRED: { zh: "会话已过期，请重新登录", en: "Your session has expired; log in again" },
  ROLE_NOT_ALLOWED: { zh: "您的角色无权执行此操作", en: "Your role may not do this" },
  CODE_NOT_FOUND: { zh: "未找到此库位或商品", en: "No such location or item" },
  BARCODE_INVALID: { zh: "条码无效（校验位或格式错误）", en: "Invalid barcode (check digit or format)" },
  "BARCODE_INVALID:check_digit": { zh: "条码校验位错误，请重扫", en: "Wrong check digit; scan again" },
  "BARCODE_INVALID:gs1_format": { zh: "GS1 条码格式错误", en: "Malformed GS1 barcode" },
  "BARCODE_INVALID:empty": { zh: "扫描内容为空或含控制字符", en: "Empty scan or control characters" },
  INSUFFICIENT_STOCK: {
    zh: "库存不足：现有 {on_hand}，需要 {requested}",
    en: "Not enough stock: {on_hand} on hand, {requested} needed",
  },
  LOCATION_OTHER_CUSTOMER: {
    zh: "库位 {location} 存放其他货主的货物，不能混放",
    en: "Location {location} holds another customer's goods; never mix",
  },
  LOCATION_FULL: { zh: "库位 {location} 已满", en: "Location {location} is full" },
  LOCATION_NOT_FOUND: { zh: "库位不存在", en: "No such location" },
  SKU_NOT_FOUND: { zh: "商品不存在", en: "No such item" },
  NOT_FOUND: { zh: "未找到", en: "Not found" },
  INTERNAL_ERROR: { zh: "服务器出错，操作未执行", en: "The server failed; nothing was changed" },
  NETWORK_ERROR: { zh: "无法连接服务器，请检查网络", en: "Cannot reach the server; check the network" },
};

let current = readStoredLanguage();

function readStoredLanguage() {
  try {
    const stored = localStorage.getItem(LANG_KEY);
    return LANGUAGES.includes(stored) ? stored : "zh";
  } catch {
    return "zh";
  }
}

export function language() {
  return current;
}

export function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) return;
  current = lang;
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    // Private mode without storage: the choice lasts for this page only.
  }
  translatePage();
  document.dispatchEvent(new CustomEvent("languagechange", { detail: { lang } }));
}

function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    name in params ? String(params[name]) : whole,
  );
}

/** The text for `key` in the current language, with `{name}` filled from `params`. */
export function t(key, params = {}) {
  const entry = TEXTS[key];
  if (!entry) return key;
  return fill(entry[current] ?? entry.zh, params);
}

/** Text of an API error: our translation of its code, else the server's message. */
export function errorText(error) {
  const reason = error.details && error.details.reason;
  const entry = (reason && ERRORS[`${error.code}:${reason}`]) || ERRORS[error.code];
  if (!entry) return error.message || error.code;
  return fill(entry[current], error.details || {});
}

/** A label given by the server as {zh, en}, e.g. role names from client-config. */
export function pick(labels, fallback = "") {
  return (labels && (labels[current] || labels.zh)) || fallback;
}

/**
 * Fill every element marked `data-i18n` (text), `data-i18n-placeholder` and
 * `data-i18n-aria-label`, and set `<html lang>`.
 */
export function translatePage(root = document) {
  document.documentElement.lang = HTML_LANG[current];
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll("[data-i18n-aria-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
  }
}

/** Wire a button that toggles between Chinese and English. */
export function mountLanguageSwitch(button) {
  button.addEventListener("click", () => setLanguage(current === "zh" ? "en" : "zh"));
}
