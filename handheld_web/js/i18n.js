// The handheld's strings in zh-CN and English, side by side: those more than one page
// shows, and every error text. A page's own strings are in strings/<page>.js, which the
// page loads first and which adds them here (tests/test_page_strings.py checks both).
// Chinese is the default; the choice is remembered on the device.

const LANG_KEY = "bondfloor.lang";
export const LANGUAGES = ["zh", "en"];
const HTML_LANG = { zh: "zh-CN", en: "en" };

const TEXTS = {
  "lang.switch": { zh: "English", en: "中文" },
  // A spoken name holds the visible one, so "English" / "中文" said aloud presses it too.
  "lang.switch.label": { zh: "English：切换到英文", en: "中文: switch to Chinese" },
  "outbox.pending": { zh: "待上传 {count}", en: "{count} to upload" },
  "outbox.panel.title": { zh: "上传情况", en: "Uploads" },
  "outbox.panel.pending": {
    zh: "待上传 {count} 条，联网后自动上传",
    en: "{count} waiting; they upload when the network is back",
  },
  "outbox.panel.clear": { zh: "已知悉，清除", en: "Seen, clear" },
  "outbox.panel.close": { zh: "关闭", en: "Close" },
  "outbox.refused": { zh: "被拒 {count}", en: "{count} refused" },

  // Offline use (js/offline.js, on every page): the device has no connection to the server.
  "offline.banner": { zh: "离线：扫描存在本机，联网后上传", en: "Offline: scans are kept here and upload later" },
  "offline.uploaded": { zh: "已上传到服务器", en: "Uploaded to the server" },

  "scan.ok": { zh: "确定", en: "OK" },
  "scan.keyboard": { zh: "键盘", en: "Keyboard" },

  // Camera scanning (js/scan-input.js camera button, js/camera-scan.js view)
  "scan.camera.label": { zh: "用相机扫码", en: "Scan with the camera" },
  "scan.camera.title": { zh: "相机扫码", en: "Camera scan" },
  "scan.camera.starting": { zh: "正在打开相机…", en: "Opening the camera…" },
  "scan.camera.hint": { zh: "将条码或二维码放在框内", en: "Hold the barcode inside the frame" },
  "scan.camera.denied": {
    zh: "不允许使用相机：请在浏览器设置中允许本站使用相机",
    en: "The camera is not allowed: allow it for this site in the browser settings",
  },
  "scan.camera.missing": { zh: "找不到相机", en: "No camera found" },
  "scan.camera.failed": { zh: "相机扫码无法启动", en: "Camera scanning could not start" },
  "scan.camera.cancel": { zh: "取消", en: "Cancel" },

  // Billing (the billing, statement and tariff pages). The names of the charges, their
  // categories and units come from the server (js/charge-names.js), as the statement PDF's do.
  "bill.state.open": { zh: "未结账", en: "Open" },
  "bill.state.closing": { zh: "结账中", en: "Closing" },
  "bill.state.closed": { zh: "已结账", en: "Closed" },
  "bill.state.superseded": { zh: "已作废（重新开账）", en: "Superseded (re-opened)" },
  "bill.site_default": { zh: "全站默认", en: "Site default" },
  "menu.receiving": { zh: "收货", en: "Receiving" },
  "menu.putaway": { zh: "上架", en: "Put-away" },
  "menu.move": { zh: "移库", en: "Move" },
  "menu.picking": { zh: "拣货", en: "Picking" },
  "menu.packing": { zh: "打包", en: "Packing" },
  "menu.dock": { zh: "装车出库", en: "Dock check-out" },
  "menu.supervisor": { zh: "主管", en: "Supervisor" },
  "menu.stock": { zh: "库存查询", en: "Stock lookup" },
  "menu.count": { zh: "盘点", en: "Cycle count" },
  "menu.labels": { zh: "库位标签", en: "Location labels" },
  "menu.printers": { zh: "打印站", en: "Printer station" },
  "stock.lot": { zh: "批次", en: "Lot" },
  "stock.expiry": { zh: "效期", en: "Expiry" },
  "page.back": { zh: "返回", en: "Back" },
  "common.cancel": { zh: "取消", en: "Cancel" },
  "common.queued": { zh: "已存在本机，联网后上传", en: "Saved on this device; will upload when online" },
  "common.sending": { zh: "提交中…", en: "Sending…" },
  "common.loading": { zh: "加载中…", en: "Loading…" },
  "mode.sea": { zh: "海运", en: "Sea" },
  "mode.land": { zh: "陆运", en: "Land" },
  "mode.air": { zh: "空运", en: "Air" },
  "recv.reason.choose": { zh: "请选择原因", en: "Choose a reason" },
  "recv.reason.short": { zh: "短少", en: "Short" },
  "recv.reason.over": { zh: "超收", en: "Over" },
  "recv.reason.damaged": { zh: "残损", en: "Damaged" },
  "recv.reason.wrong_item": { zh: "错货", en: "Wrong item" },
  "recv.reason.note": { zh: "备注", en: "Note" },
  "recv.reason.missing": { zh: "请为每个差异行选择原因", en: "Choose a reason for every line that differs" },
  "put.carton": { zh: "整箱 {sscc}", en: "Carton {sscc}" },
  "put.qty.bad": { zh: "数量须在 1 到 {max} 之间", en: "Quantity must be 1 to {max}" },
  "put.trail.queued": { zh: "待上传", en: "to upload" },
  "put.segregation.detail": { zh: "不同货主的货物不能放在同一库位", en: "Goods of different customers never share a location" },
  "put.busy": { zh: "查询中…", en: "Looking up…" },
  "move.reserved": { zh: "已预留 {reserved}", en: "{reserved} reserved" },
  "menu.orders": { zh: "订单与波次", en: "Orders & waves" },
  "order.state.new": { zh: "新订单", en: "New" },
  "order.state.backorder": { zh: "缺货待补", en: "Back-order" },
  "order.state.allocated": { zh: "已分配", en: "Allocated" },
  "order.state.waved": { zh: "已组波", en: "Waved" },
  "order.state.picking": { zh: "拣货中", en: "Picking" },
  "order.state.picked": { zh: "已拣完", en: "Picked" },
  "order.state.short": { zh: "拣货短缺", en: "Short" },
  "order.state.packed": { zh: "已打包", en: "Packed" },
  "order.state.loaded": { zh: "已装车", en: "Loaded" },
  "order.state.shipped": { zh: "已发运", en: "Shipped" },
  "order.state.cancelled": { zh: "已取消", en: "Cancelled" },
  "task.kind.return_to_stock": { zh: "退回库存", en: "Return to stock" },
  "task.kind.to_inspection": { zh: "送查验区", en: "To inspection" },
  "pack.courier": { zh: "{courier} · 运单 {waybill_no}", en: "{courier} · waybill {waybill_no}" },
  "pack.col.item": { zh: "商品", en: "Item" },
  "pack.col.count": { zh: "已装/应装", en: "Packed" },
  "pack.scanned": { zh: "{sku}：{packed}/{ordered}", en: "{sku}: {packed} of {ordered}" },
  "pack.complete": { zh: "全部装齐，请称重", en: "All items in: weigh the parcel" },
  "pack.weight": { zh: "重量（克）", en: "Weight (g)" },
  "pack.submit": { zh: "封箱并打印面单", en: "Close and print label" },
  "pack.weight.bad": { zh: "请输入重量（克，正整数）", en: "Enter the weight in whole grams" },
  "pack.done": { zh: "已打包：运单 {waybill_no}", en: "Packed: waybill {waybill_no}" },
  "pack.done.lane": { zh: "放到出库道口 {lane}", en: "Put it on lane {lane}" },
  "pack.done.print": { zh: "面单已排队：{printer}", en: "Face sheet queued on {printer}" },
  "pack.done.title": { zh: "包裹完成", en: "Parcel done" },
  "pack.lot_mismatch": { zh: "{sku} 的批次 {lot} 不是为此订单拣的", en: "Lot {lot} of {sku} was not picked for this order" },
  "pack.incomplete": { zh: "还差：{missing}", en: "Missing: {missing}" },
  // A bench's scale and the expected weight (the packing page and the station's own page)
  "pack.scale.title": { zh: "电子秤", en: "Scale" },
  "pack.scale.stable": { zh: "✓ 稳定", en: "✓ Stable" },
  "pack.scale.moving": { zh: "～ 不稳定，请稍候", en: "~ Moving, wait" },
  "pack.scale.net": { zh: "净重 · 皮重 {tare} kg", en: "Net · tare {tare} kg" },
  "pack.scale.gross": { zh: "毛重", en: "Gross" },
  "pack.scale.take": { zh: "取稳定重量", en: "Take weight" },
  "pack.scale.no_scale": { zh: "此打包台没有电子秤：请输入重量", en: "No scale at this bench: type the weight" },
  "pack.scale.unplugged": { zh: "电子秤已断开：请检查连线，或输入重量", en: "Scale unplugged: check its cable, or type the weight" },
  "pack.scale.no_answer": { zh: "电子秤无应答：请检查电源，或输入重量", en: "Scale not answering: check its power, or type the weight" },
  "pack.scale.stale": { zh: "读数已过时（{age} 秒前）：请检查电子秤", en: "Old reading ({age} s ago): check the scale" },
  "pack.scale.silent": { zh: "电子秤还没有读数：请检查工作站程序", en: "No reading from the scale yet: check the station's agent" },
  "pack.scale.offline": { zh: "连不上服务器：读不到电子秤", en: "Server not reachable: no scale reading" },
  "pack.weight.outside": {
    zh: "{weight} kg 不在预计的 {min}–{max} kg 之内：请检查包裹后重新称重，或确认打包",
    en: "{weight} kg is outside the expected {min}–{max} kg: check the parcel and weigh again, or confirm",
  },
  "pack.weight.confirm": { zh: "确认按 {weight} kg 打包", en: "Pack at {weight} kg" },
  "pack.expected": { zh: "预计 {expected} kg（{min}–{max}）", en: "Expected {expected} kg ({min}–{max})" },
  "pack.expected.unknown": { zh: "预计重量未知：{skus} 没有重量资料", en: "Expected weight unknown: no weight for {skus}" },
  "orders.tote": { zh: "箱 {tote}", en: "Tote {tote}" },
  "printers.state.online": { zh: "在线", en: "Online" },
  "printers.state.unavailable": { zh: "不可用，重试中", en: "Unavailable, retrying" },
  "printers.state.offline": { zh: "离线", en: "Offline" },
  "printers.state.paper_out": { zh: "缺纸", en: "Paper out" },
  "printers.state.cover_open": { zh: "机盖打开", en: "Cover open" },
  "printers.state.unknown": { zh: "状态未知", en: "State unknown" },
  "printers.state.disabled": { zh: "已停用", en: "Disabled" },
  "printers.state.unconfigured": { zh: "未配置", en: "Not configured" },
  "printers.job.no": { zh: "任务 {id}", en: "Job {id}" },
  "printers.job.copy": { zh: "副本 {copy}", en: "Copy {copy}" },
  "printers.job.error": { zh: "上次错误：{error}", en: "Last error: {error}" },
  "printers.job.reason": { zh: "补打原因：{reason}", en: "Reprint reason: {reason}" },
  "printers.job.made": { zh: "{user} · {time}", en: "{user} · {time}" },
  "printers.job.status.queued": { zh: "排队中", en: "Queued" },
  "printers.job.status.sending": { zh: "发送中", en: "Sending" },
  "printers.job.status.done": { zh: "已打印", en: "Printed" },
  "printers.job.status.failed": { zh: "失败", en: "Failed" },
  "printers.job.status.cancelled": { zh: "已取消", en: "Cancelled" },
  "printers.reprint.reason": { zh: "补打原因（必填）", en: "Reason (required)" },
  "printers.reason.damaged": { zh: "面单破损", en: "Label damaged" },
  "printers.reason.unreadable": { zh: "扫不出", en: "Will not scan" },
  "printers.reason.wrong_parcel": { zh: "贴错", en: "On the wrong parcel" },
  "printers.reason.lost": { zh: "面单丢失", en: "Label lost" },
  "printers.reprint.note": { zh: "其他原因/备注", en: "Other reason or note" },
  "printers.reprint.submit": { zh: "补打", en: "Reprint" },
  "printers.reprint.need_reason": { zh: "请选择或填写补打原因", en: "Choose or type the reason for the reprint" },
  "printers.reprint.queued": { zh: "副本 {copy} 已排队：{printer}", en: "Copy {copy} queued on {printer}" },
  "printers.reprint.detail": { zh: "运单 {waybill_no} · 任务 {id}", en: "Waybill {waybill_no} · job {id}" },
  "menu.station": { zh: "工作站", en: "Station" },
  "station.change": { zh: "切换", en: "Switch" },
  "station.live": { zh: "实时：每秒刷新 · {time}", en: "Live, every second · {time}" },
  "station.live.lost": { zh: "与服务器的连接中断，正在重试：{error}", en: "Lost the server, retrying: {error}" },
  "menu.dock_screen": { zh: "装车口大屏", en: "Dock screen" },
  "dock.door.none": { zh: "没有配置装车口", en: "No dock door is configured" },
  "dock.state.open": { zh: "待装车", en: "Waiting" },
  "dock.state.loading": { zh: "装车中", en: "Loading" },
  "dock.state.departed": { zh: "已发车", en: "Departed" },
  "dock.list_no": { zh: "装车单 {list_no}", en: "List {list_no}" },
  "dock.check.plate": { zh: "车牌", en: "Plate" },
  "dock.check.seal": { zh: "封条", en: "Seal" },
  "dock.pull_off.title": { zh: "要卸下（{count}）", en: "To pull off ({count})" },
  "dock.pull_off.note": {
    zh: "这些包裹已装上车但不能走：卸下来，交主管处理",
    en: "Loaded but must not leave: pull them off and call a supervisor",
  },
  "dock.pull_off.PARCEL_ON_HOLD": { zh: "海关扣留/未放行", en: "Customs hold / not released" },
  "dock.pull_off.PARCEL_CANCELLED": { zh: "订单已取消", en: "Order cancelled" },
  "dock.weight.line": { zh: "已装 {loaded} kg / 预计 {expected} kg", en: "Loaded {loaded} kg of {expected} kg expected" },
  "dock.weight.off": { zh: "偏差 {off}%（允许 ±{tolerance}%）", en: "Off by {off}% (±{tolerance}% allowed)" },
  "dock.weight.warning": {
    zh: "重量偏差超过 ±{tolerance}%：出闸前请核对",
    en: "Weight off by more than ±{tolerance}%: check before the gate",
  },
  "dock.blocker.LIST_NOT_OPEN": { zh: "装车单还没在装车口打开", en: "The list is not open at a door" },
  "dock.blocker.PLATE_NOT_CONFIRMED": { zh: "车牌未核对", en: "Plate not checked" },
  "dock.blocker.DRIVER_NOT_VERIFIED": { zh: "司机未核对（身份证号和姓名）", en: "Driver not checked (ID number and name)" },
  "dock.blocker.SEAL_NOT_CONFIRMED": { zh: "封条未核对", en: "Seal not checked" },
  "dock.blocker.PARCELS_MISSING": { zh: "还有 {count} 个包裹未装", en: { one: "{count} parcel not loaded", other: "{count} parcels not loaded" } },
  "dock.blocker.PARCELS_TO_PULL_OFF": { zh: "有 {count} 个包裹要卸下：{waybills}", en: { one: "{count} parcel to pull off: {waybills}", other: "{count} parcels to pull off: {waybills}" } },
  "dock.blocker.LIST_EMPTY": { zh: "装车单上没有包裹", en: "The list has no parcel" },
  "dock.loaded": { zh: "已装车 {waybill_no}", en: "Loaded {waybill_no}" },
  "dock.loaded.count": { zh: "已装 {loaded}/{planned}", en: "{loaded} of {planned} loaded" },
  "dock.duplicate": { zh: "{waybill_no} 已装过，不重复计数", en: "{waybill_no} is loaded already: not counted again" },
  "label.at_field": { zh: "{text}（{field}）", en: "{text} ({field})" },
  "label.field.waybill_no": { zh: "运单号", en: "waybill number" },
  "label.field.sort_code": { zh: "大头笔", en: "sort code" },
  "label.field.courier": { zh: "快递公司", en: "courier" },
  "label.field.product_type": { zh: "产品类型", en: "product type" },
  "label.field.consolidation_point": { zh: "集包地", en: "consolidation point" },
  "label.field.qr": { zh: "二维码", en: "QR code" },
  "label.field.recipient": { zh: "收件人", en: "recipient" },
  "label.field.recipient.name": { zh: "收件人姓名/电话", en: "recipient name or phone" },
  "label.field.recipient.address": { zh: "收件地址", en: "recipient address" },
  "label.field.sender": { zh: "寄件人", en: "sender" },
  "label.field.sender.name": { zh: "寄件人姓名/电话", en: "sender name or phone" },
  "label.field.sender.address": { zh: "寄件地址", en: "sender address" },
  "label.field.order_no": { zh: "订单号", en: "order number" },
  "label.field.weight_g": { zh: "重量", en: "weight" },
  "label.field.parcel_count": { zh: "件数", en: "parcel count" },
  "label.field.remarks": { zh: "备注", en: "remarks" },
  "label.field.size": { zh: "面单尺寸", en: "label size" },
  "label.field.font": { zh: "字体", en: "font" },
  "doc.print": { zh: "打印", en: "Print" },
  "doc.download_pdf": { zh: "下载 PDF", en: "Download PDF" },
  "doc.carrier": { zh: "承运人", en: "Carrier" },
  "doc.truck_plate": { zh: "车牌", en: "Truck plate" },
  "doc.second_plate": { zh: "港澳车牌", en: "HK/Macau plate" },
  "doc.driver": { zh: "司机", en: "Driver" },
  "doc.seal_no": { zh: "封条号", en: "Seal no" },
  "doc.col.no": { zh: "序号", en: "No" },
  "doc.col.reason": { zh: "原因", en: "Reason" },
  "doc.total": { zh: "合计", en: "Total" },
  "doc.printed_at": { zh: "打印时间", en: "Printed" },
  "doc.sign.warehouse": { zh: "仓库（签章）", en: "Warehouse (stamp)" },
  "doc.sign.date": { zh: "日期", en: "Date" },
  "menu.sync": { zh: "OMS 链路", en: "OMS link" },
  "menu.trace": { zh: "追溯", en: "Trace" },
  "menu.billing": { zh: "计费与账单", en: "Billing" },
  "menu.admin": { zh: "用户与令牌", en: "Users & tokens" },
  "trace.csv": { zh: "下载 CSV", en: "Download CSV" },

  // Input that cannot be mistaken: the large-quantity question, the ID number field
  "qty.large.title": { zh: "一次 {quantity} 件？", en: "{quantity} units in one scan?" },
  "qty.large.detail": {
    zh: "超过单次上限 {maximum} 件。请确认不是条码误入数量栏。",
    en: "That is more than {maximum}. Make sure it is not a barcode that fell into the quantity.",
  },
  "qty.large.cancel": { zh: "不对，重新输入", en: "No, re-enter" },
  "qty.large.confirm": { zh: "确认 {quantity} 件", en: "Yes, {quantity}" },
  "qty.large.cancelled": { zh: "未记录：请重新输入数量再扫描", en: "Not recorded: enter the count again and scan" },
  "id.typing": { zh: "还差 {left} 位", en: "{left} more to type" },
  "id.ok": { zh: "身份证号有效", en: "Valid ID number" },
  "id.submit": { zh: "核对身份证号", en: "Check the ID number" },
  "id.x.label": { zh: "输入校验位 X", en: "Type the check character X" },
};

// Server error codes → text; unknown codes fall back to the server's own message. Only
// what a page may need before anything answered is here; the rest is in error-texts.js.
const ERRORS = {
  NETWORK_ERROR: { zh: "无法连接服务器，请检查网络", en: "Cannot reach the server; check the network" },
};

let errorTextsLoading = null;

/** Fetch the error texts (once); resolves when they are in, or could not come. */
export function loadErrorTexts() {
  errorTextsLoading ??= import("./error-texts.js").then(
    (texts) => Object.assign(ERRORS, texts.ERRORS),
    () => {
      errorTextsLoading = null; // offline before it ever came: try again next time
    },
  );
  return errorTextsLoading;
}

// Refusals of a face sheet that cannot be drawn (devices/facesheet.py LabelError codes).
const FACE_SHEET_CODES = new Set([
  "LABEL_TEXT_TOO_LONG",
  "LABEL_FIELD_MISSING",
  "LABEL_FIELD_INVALID",
  "LABEL_SIZE_UNSUPPORTED",
  "WAYBILL_NOT_CODE128",
  "WAYBILL_TOO_LONG",
  "FONT_NOT_FOUND",
]);

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

/** Add a page's own strings (strings/<page>.js calls this as the page loads). */
export function addTexts(texts) {
  Object.assign(TEXTS, texts);
}

const pluralRules = {};

/**
 * A counted text may be given per plural category ({one, other}), as English needs
 * ("1 parcel", "2 parcels"); Chinese has one form. The count is `params.count`, or the
 * parameter the forms name in `by`. It may come formatted ("1,234").
 */
function form(text, params) {
  if (typeof text === "string") return text;
  const count = Number(String(params[text.by ?? "count"] ?? "").replace(/[^\d.-]/g, ""));
  pluralRules[current] ??= new Intl.PluralRules(HTML_LANG[current]);
  return text[pluralRules[current].select(Number.isFinite(count) ? count : 0)] ?? text.other;
}

function fill(text, params) {
  return form(text, params).replace(/\{(\w+)\}/g, (whole, name) =>
    name in params ? String(params[name]) : whole,
  );
}

const reported = new Set();

/** The text for `key` in the current language, with `{name}` filled from `params`. */
export function t(key, params = {}) {
  const entry = TEXTS[key];
  if (!entry) {
    // Shown as the key, and said once on the console, where the page tests look.
    if (!reported.has(key)) console.error(`bondfloor: no text for "${key}"`);
    reported.add(key);
    return key;
  }
  return fill(entry[current] ?? entry.zh, params);
}

/** Text of an API error: our translation of its code, else the server's message. */
export function errorText(error) {
  // Which rule failed picks a finer text: `reason` (barcodes), `rule` (plates, ID numbers).
  const reason = error.details && (error.details.reason || error.details.rule);
  const entry = (reason && ERRORS[`${error.code}:${reason}`]) || ERRORS[error.code];
  if (!entry) return error.message || error.code;
  const text = fill(entry[current], error.details || {});
  // A face sheet that cannot be drawn: say which part of the label is at fault.
  const field = FACE_SHEET_CODES.has(error.code) && error.details?.field;
  return field ? t("label.at_field", { text, field: labelField(field) }) : text;
}

/** The name of a face-sheet field (`recipient.address`) as people call it. */
export function labelField(field) {
  return TEXTS[`label.field.${field}`] ? t(`label.field.${field}`) : field;
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
