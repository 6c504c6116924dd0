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
  "outbox.panel.title": { zh: "上传情况", en: "Uploads" },
  "outbox.panel.pending": {
    zh: "待上传 {count} 条，联网后自动上传",
    en: "{count} waiting; they upload when the network is back",
  },
  "outbox.panel.clear": { zh: "已知悉，清除", en: "Seen, clear" },
  "outbox.panel.close": { zh: "关闭", en: "Close" },
  "outbox.logout_pending": {
    zh: "还有 {count} 条未上传。退出后它们会等你下次登录再上传。确定退出？",
    en: "{count} changes are not uploaded yet; they wait for your next login. Log out?",
  },
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

  "page.back": { zh: "返回", en: "Back" },
  "common.cancel": { zh: "取消", en: "Cancel" },
  "common.queued": { zh: "已存在本机，联网后上传", en: "Saved on this device; will upload when online" },
  "common.sending": { zh: "提交中…", en: "Sending…" },
  "common.loading": { zh: "加载中…", en: "Loading…" },

  "mode.sea": { zh: "海运", en: "Sea" },
  "mode.land": { zh: "陆运", en: "Land" },
  "mode.air": { zh: "空运", en: "Air" },
  "ref.sea": { zh: "集装箱号", en: "Container no" },
  "ref.land": { zh: "车牌", en: "Truck plate" },
  "ref.air": { zh: "空运单号", en: "Air waybill" },
  "plan.status.planned": { zh: "待到货", en: "Expected" },
  "plan.status.arrived": { zh: "已到货", en: "Arrived" },
  "plan.status.receiving": { zh: "收货中", en: "Receiving" },
  "plan.status.closed": { zh: "已关闭", en: "Closed" },
  "plan.released": { zh: "海关已放行", en: "Released" },
  "plan.not_released": { zh: "海关未放行", en: "Not released" },

  "recv.title": { zh: "收货", en: "Receiving" },
  "recv.hint.plan": { zh: "扫描计划号", en: "Plan number" },
  "recv.hint.reference": { zh: "扫描{ref}", en: "{ref}" },
  "recv.hint.seal": { zh: "扫描封条号", en: "Seal number" },
  "recv.hint.item": { zh: "扫描商品条码", en: "Item barcode" },
  "recv.arrivals": { zh: "今日到货", en: "Today's arrivals" },
  "recv.arrivals_empty": { zh: "今天没有到货计划，可扫描计划号", en: "No arrivals today; scan a plan number" },
  "recv.units": { zh: "应收 {expected} · 实收 {counted}", en: "Expected {expected} · counted {counted}" },
  "recv.change_plan": { zh: "换计划", en: "Change" },
  "recv.choose_plan": { zh: "找到多个计划，请选择", en: "Several plans found; choose one" },
  "recv.opened": { zh: "计划 {plan_no}", en: "Plan {plan_no}" },
  "recv.not_released_note": { zh: "海关未放行，暂不能收货", en: "Not released by customs: receiving must wait" },
  "recv.checkin.title": { zh: "到货登记", en: "Check-in" },
  "recv.seal": { zh: "封条号", en: "Seal no" },
  "recv.dock": { zh: "月台", en: "Dock" },
  "recv.checkin.not_scanned": { zh: "待扫描", en: "not scanned" },
  "recv.checkin.rescan": { zh: "重扫", en: "Rescan" },
  "recv.checkin.submit": { zh: "登记到达", en: "Check in" },
  "recv.checkin.missing": { zh: "请先扫描{ref}", en: "Scan the {ref} first" },
  "recv.checkin.done": { zh: "已登记到达 {dock}", en: "Checked in at {dock}" },
  "recv.checkin.ask_supervisor": { zh: "请联系主管核实", en: "Ask a supervisor to check" },
  "recv.override.title": { zh: "主管强制登记", en: "Supervisor override" },
  "recv.override.scanned": { zh: "扫描到 {reference}，计划为 {expected}", en: "Scanned {reference}; the plan says {expected}" },
  "recv.override.reason": { zh: "原因", en: "Reason" },
  "recv.override.submit": { zh: "仍然登记", en: "Check in anyway" },
  "recv.override.need_reason": { zh: "请填写强制登记的原因", en: "Give the reason for the override" },
  "recv.count": { zh: "数量", en: "Count" },
  "recv.count.auto": { zh: "数量 自动", en: "qty auto" },
  "recv.count.fewer": { zh: "减少数量", en: "Fewer" },
  "recv.count.more": { zh: "增加数量", en: "More" },
  "recv.damaged": { zh: "残损", en: "Damaged" },
  "recv.received": { zh: "+{quantity} {sku} {name}", en: "+{quantity} {sku} {name}" },
  "recv.received.where": { zh: "→ {location}", en: "→ {location}" },
  "recv.received.damaged": { zh: "残损 → {location}", en: "damaged → {location}" },
  "recv.received.quarantine": { zh: "效期不足 → {location}", en: "short-dated → {location}" },
  "recv.received.over": { zh: "超收", en: "over" },
  "recv.received.progress": { zh: "已收 {counted}/{expected}", en: "{counted} of {expected}" },
  "recv.lot.title": { zh: "{sku} 需要批次和效期", en: "{sku} needs lot and expiry" },
  "recv.lot": { zh: "批次", en: "Lot" },
  "recv.expiry": { zh: "效期", en: "Expiry" },
  "recv.expiry.placeholder": { zh: "年-月-日", en: "YYYY-MM-DD" },
  "recv.lot.submit": { zh: "提交", en: "Send" },
  "recv.lot.missing": { zh: "请填写批次", en: "Enter the lot" },
  "recv.expiry.missing": { zh: "请填写效期", en: "Enter the expiry" },
  "recv.expiry.bad": { zh: "效期格式：年-月-日，如 2027-12-31", en: "Expiry as year-month-day, e.g. 2027-12-31" },
  "recv.over.title.over": { zh: "超出计划，是否收下？", en: "More than planned: receive it?" },
  "recv.over.title.unplanned": { zh: "计划外商品，是否收下？", en: "Not on the plan: receive it?" },
  "recv.over.title.unplanned_lot": {
    zh: "计划外批次，是否收下？",
    en: "This lot is not on the plan: receive it?",
  },
  "recv.over.numbers": { zh: "应收 {expected} · 已收 {counted} · 本次 {quantity}", en: "Expected {expected} · counted {counted} · now {quantity}" },
  "recv.over.confirm": { zh: "确认超收", en: "Receive as over" },
  "recv.over.reject": { zh: "不收", en: "Don't receive" },
  "recv.not_recorded": { zh: "未记录：{sku}", en: "Not recorded: {sku}" },
  "recv.tally.title": { zh: "理货", en: "Tally" },
  "recv.tally.item": { zh: "商品", en: "Item" },
  "recv.tally.expected": { zh: "应收", en: "Exp." },
  "recv.tally.counted": { zh: "实收", en: "Cnt." },
  "recv.tally.difference": { zh: "差异", en: "Diff." },
  "recv.tally.damaged": { zh: "残损 {count}", en: "{count} damaged" },
  "recv.tally.total": { zh: "合计", en: "Total" },
  "recv.close.start": { zh: "结束收货", en: "Finish receiving" },
  "recv.close.title": { zh: "关闭收货", en: "Close the receipt" },
  "recv.close.reasons": { zh: "以下各行与计划不符，请选择原因", en: "These lines differ from the plan: give a reason" },
  "recv.close.no_diff": { zh: "全部与计划一致", en: "Everything matches the plan" },
  "recv.close.submit": { zh: "确认关闭", en: "Close receipt" },
  "recv.close.back": { zh: "继续收货", en: "Keep receiving" },
  "recv.close.busy": { zh: "请先关闭收货或返回继续收货", en: "Close the receipt or go back to receiving first" },
  "recv.reason.choose": { zh: "请选择原因", en: "Choose a reason" },
  "recv.reason.short": { zh: "短少", en: "Short" },
  "recv.reason.over": { zh: "超收", en: "Over" },
  "recv.reason.damaged": { zh: "残损", en: "Damaged" },
  "recv.reason.wrong_item": { zh: "错货", en: "Wrong item" },
  "recv.reason.note": { zh: "备注", en: "Note" },
  "recv.reason.missing": { zh: "请为每个差异行选择原因", en: "Choose a reason for every line that differs" },
  "recv.closed": { zh: "收货已关闭", en: "Receipt closed" },
  "recv.close_queued": { zh: "关闭已存在本机，联网后上传", en: "Closing saved on this device; will upload when online" },
  "recv.print.tally": { zh: "打印理货单", en: "Print tally record" },
  "recv.print.receipt": { zh: "打印进仓单", en: "Print warehouse receipt" },
  "recv.to_putaway": { zh: "去上架", en: "Go to put-away" },

  "put.title": { zh: "上架", en: "Put-away" },
  "put.source": { zh: "来源", en: "From" },
  "put.source.label": { zh: "来源库位", en: "Source location" },
  "put.source.set": { zh: "切换", en: "Set" },
  "put.hint.item": { zh: "扫描商品或箱码", en: "Item or carton" },
  "put.hint.target": { zh: "扫描目标库位", en: "Target location" },
  "put.pending.title": { zh: "{location} 待上架", en: "Waiting on {location}" },
  "put.pending.empty": { zh: "没有待上架的货物", en: "Nothing waits here" },
  "put.pending.loaded": { zh: "{location}：{count} 行待上架", en: "{location}: {count} lines to put away" },
  "put.suggested": { zh: "建议库位", en: "Put it on" },
  "put.no_suggestion": { zh: "没有合适的库位，请找主管", en: "No location fits; ask a supervisor" },
  "put.reason.same_sku_lot": { zh: "同批次已在此", en: "same lot there" },
  "put.reason.same_sku": { zh: "同商品已在此", en: "same item there" },
  "put.reason.empty_customer_zone": { zh: "货主专区空位", en: "empty, customer's zone" },
  "put.reason.empty": { zh: "空库位", en: "empty" },
  "put.held": { zh: "已有 {held} 件", en: "holds {held}" },
  "put.on_source": { zh: "共 {quantity}", en: "of {quantity}" },
  "put.quantity": { zh: "上架数量", en: "Quantity" },
  "put.confirm_hint": { zh: "扫描目标库位确认上架", en: "Scan the target location to confirm" },
  "put.item_found": { zh: "{sku} → {location}", en: "{sku} → {location}" },
  "put.item_found_free": { zh: "{sku}：扫描目标库位", en: "{sku}: scan the target location" },
  "put.carton": { zh: "整箱 {sscc}", en: "Carton {sscc}" },
  "put.carton.note": { zh: "整箱内全部商品一起上架", en: "Everything in the carton moves together" },
  "put.choose_lot": { zh: "此商品有多个批次，请选择", en: "Several lots of this item: choose one" },
  "put.moved": { zh: "已上架 {quantity} 件 {sku} → {to}", en: "Put {quantity} × {sku} on {to}" },
  "put.moved.detail": { zh: "从 {from}", en: "from {from}" },
  "put.qty.bad": { zh: "数量须在 1 到 {max} 之间", en: "Quantity must be 1 to {max}" },
  "put.trail.title": { zh: "最近上架", en: "Last moves" },
  "put.trail.queued": { zh: "待上传", en: "to upload" },
  "put.segregation.detail": { zh: "不同货主的货物不能放在同一库位", en: "Goods of different customers never share a location" },
  "put.busy": { zh: "查询中…", en: "Looking up…" },

  "doc.tally": { zh: "理货单", en: "Tally record" },
  "doc.receipt": { zh: "进仓单", en: "Warehouse receipt" },
  "doc.print": { zh: "打印", en: "Print" },
  "doc.draft": { zh: "收货未关闭：本单为草稿", en: "Receipt not closed: draft" },
  "doc.customer": { zh: "货主", en: "Customer" },
  "doc.book": { zh: "账册号", en: "Customs book no" },
  "doc.plan_no": { zh: "计划号", en: "Plan no" },
  "doc.transport": { zh: "运输方式", en: "Transport" },
  "doc.expected_arrival": { zh: "预计到货", en: "Expected" },
  "doc.contract_no": { zh: "合同号", en: "Contract no" },
  "doc.container_no": { zh: "集装箱号", en: "Container no" },
  "doc.vessel": { zh: "船名/航次", en: "Vessel / voyage" },
  "doc.bill_of_lading": { zh: "提单号", en: "Bill of lading" },
  "doc.ports": { zh: "起运港/目的港", en: "Ports" },
  "doc.carrier": { zh: "承运人", en: "Carrier" },
  "doc.truck_plate": { zh: "车牌", en: "Truck plate" },
  "doc.second_plate": { zh: "港澳车牌", en: "HK/Macau plate" },
  "doc.driver": { zh: "司机", en: "Driver" },
  "doc.flight": { zh: "航班", en: "Flight" },
  "doc.air_waybill": { zh: "空运单号", en: "Air waybill" },
  "doc.forwarder": { zh: "货代", en: "Forwarder" },
  "doc.arrival_ref": { zh: "到货核对", en: "Arrival checked" },
  "doc.seal_no": { zh: "封条号", en: "Seal no" },
  "doc.dock": { zh: "月台", en: "Dock" },
  "doc.arrived_at": { zh: "到货时间", en: "Arrived at" },
  "doc.closed_at": { zh: "关闭时间", en: "Closed at" },
  "doc.override": { zh: "主管放行", en: "Override" },
  "doc.lines": { zh: "理货明细", en: "Tally lines" },
  "doc.lots": { zh: "入库批次", en: "Received lots" },
  "doc.col.no": { zh: "序号", en: "No" },
  "doc.col.sku": { zh: "商品编码", en: "SKU" },
  "doc.col.name": { zh: "品名", en: "Description" },
  "doc.col.lot": { zh: "批次", en: "Lot" },
  "doc.col.expiry": { zh: "效期", en: "Expiry" },
  "doc.col.expected": { zh: "应收", en: "Expected" },
  "doc.col.counted": { zh: "实收", en: "Counted" },
  "doc.col.damaged": { zh: "残损", en: "Damaged" },
  "doc.col.difference": { zh: "差异", en: "Difference" },
  "doc.col.reason": { zh: "原因", en: "Reason" },
  "doc.col.note": { zh: "备注", en: "Note" },
  "doc.col.record": { zh: "海关备案号", en: "Customs record no" },
  "doc.col.condition": { zh: "状态", en: "Condition" },
  "doc.col.location": { zh: "库位", en: "Location" },
  "doc.col.quantity": { zh: "数量", en: "Quantity" },
  "doc.condition.good": { zh: "良品", en: "Good" },
  "doc.condition.damaged": { zh: "残损", en: "Damaged" },
  "doc.condition.quarantine": { zh: "隔离", en: "Quarantine" },
  "doc.total": { zh: "合计", en: "Total" },
  "doc.received_by": { zh: "收货人", en: "Received by" },
  "doc.printed_at": { zh: "打印时间", en: "Printed" },
  "doc.sign.tally_clerk": { zh: "理货员", en: "Tally clerk" },
  "doc.sign.checker": { zh: "复核", en: "Checked by" },
  "doc.sign.carrier": { zh: "承运人/司机", en: "Carrier / driver" },
  "doc.sign.warehouse": { zh: "仓库（签章）", en: "Warehouse (stamp)" },
  "doc.sign.customer": { zh: "货主代表", en: "Customer" },
  "doc.sign.date": { zh: "日期", en: "Date" },
  "doc.no_plan": { zh: "缺少计划编号", en: "No plan given" },
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
    zh: "库位 {location} 属于其他货主或存有其他货主的货物，不能混放",
    en: "Location {location} belongs to or holds another customer's goods; never mix",
  },
  PLAN_NOT_FOUND: { zh: "未找到此收货计划", en: "No such delivery plan" },
  PLAN_NOT_RELEASED: { zh: "海关尚未放行此计划，不能收货", en: "Customs has not released this plan; do not receive yet" },
  PLAN_NOT_ARRIVED: { zh: "请先登记到达", en: "Check the arrival in first" },
  PLAN_CLOSED: { zh: "此计划的收货已关闭", en: "This receipt is closed" },
  ARRIVAL_MISMATCH: { zh: "{scanned} 与计划不符（应为 {expected}）", en: "{scanned} does not match the plan ({expected})" },
  OVERRIDE_NEEDS_SUPERVISOR: { zh: "只有主管可以强制登记", en: "Only a supervisor may accept a mismatch" },
  DOCK_NOT_FOUND: { zh: "{dock} 不是月台或暂存区", en: "{dock} is not a dock or staging location" },
  BARCODE_UNKNOWN: { zh: "{scanned} 不是该货主的商品条码", en: "{scanned} is no barcode of this customer" },
  LOT_REQUIRED: { zh: "{sku} 需要批次，请输入", en: "{sku} needs its lot" },
  EXPIRY_REQUIRED: { zh: "{sku} 需要效期，请输入", en: "{sku} needs its expiry date" },
  LOT_EXPIRED: { zh: "此批次已于 {expiry} 过期，不能收货", en: "This lot expired on {expiry}; do not receive it" },
  SHELF_LIFE_TOO_SHORT: { zh: "效期 {expiry} 剩余不足货主要求，不能收货", en: "Expiry {expiry} leaves less shelf life than the customer requires" },
  SKU_NOT_ON_PLAN: { zh: "{sku} 不在此计划中", en: "{sku} is not on this plan" },
  RECEIPT_OVER: { zh: "{sku} 超出计划数量", en: "{sku}: more than planned" },
  LOT_NOT_ON_PLAN: { zh: "{sku} 的此批次不在计划中", en: "{sku}: this lot is not on the plan" },
  SSCC_ALREADY_PUT_AWAY: { zh: "此箱已上架", en: "This carton is put away already" },
  PUTAWAY_SOURCE_TYPE: {
    zh: "只能从月台或暂存区上架",
    en: "Put away only from a dock or staging location",
  },
  DIFFERENCE_REASON_MISMATCH: {
    zh: "差异原因与数量不符（短少/超收/残损）",
    en: "A reason does not fit its line (short, over, damaged)",
  },
  PLAN_BEING_RECEIVED: { zh: "该计划正在收货，不能更改", en: "This plan is being received; it cannot change" },
  SSCC_NOT_ON_PLAN: { zh: "箱 {sscc} 不在此计划中", en: "Carton {sscc} is not on this plan" },
  SSCC_ALREADY_RECEIVED: { zh: "箱 {sscc} 已收过", en: "Carton {sscc} is received already" },
  SSCC_NOT_FOUND: { zh: "箱 {sscc} 不在 {location}", en: "Carton {sscc} is not on {location}" },
  QUARANTINE_LOCATION_MISSING: { zh: "隔离库位不存在，请联系主管", en: "The quarantine location is missing; call a supervisor" },
  DIFFERENCE_REASON_REQUIRED: { zh: "与计划不符的行需要原因", en: "Lines that differ from the plan need a reason" },
  ITEM_NOT_ON_LOCATION: { zh: "{location} 上没有 {item}", en: "No {item} waiting on {location}" },
  PUTAWAY_LOCATION_TYPE: { zh: "{location} 不是存储位或拣货位，不能上架", en: "{location} is no storage or pick-face location" },
  LOT_AMBIGUOUS: { zh: "此商品在这里有多个批次，请选择批次", en: "Several lots of this item here; choose the lot" },
  PUTAWAY_INCOMPLETE: { zh: "请扫描商品并输入数量", en: "Scan the item and give a quantity" },
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
