// The handheld's strings in zh-CN and English, side by side: those more than one page
// shows, and every error text. A page's own strings are in strings/<page>.js, which the
// page loads first and which adds them here (tests/test_page_strings.py checks both).
// Chinese is the default; the choice is remembered on the device.

const LANG_KEY = "bondfloor.lang";
export const LANGUAGES = ["zh", "en"];
const HTML_LANG = { zh: "zh-CN", en: "en" };

const TEXTS = {
  "lang.switch": { zh: "English", en: "中文" },
  "lang.switch.label": { zh: "切换到英文", en: "Switch to Chinese" },
  "outbox.pending": { zh: "待上传 {count}", en: "{count} to upload" },
  "outbox.panel.title": { zh: "上传情况", en: "Uploads" },
  "outbox.panel.pending": {
    zh: "待上传 {count} 条，联网后自动上传",
    en: "{count} waiting; they upload when the network is back",
  },
  "outbox.panel.clear": { zh: "已知悉，清除", en: "Seen, clear" },
  "outbox.panel.close": { zh: "关闭", en: "Close" },
  "outbox.refused": { zh: "被拒 {count}", en: "{count} refused" },
  "scan.ok": { zh: "确定", en: "OK" },
  "scan.keyboard": { zh: "键盘", en: "Keys" },
  "scan.keyboard.label": { zh: "显示/隐藏屏幕键盘", en: "Show or hide the on-screen keyboard" },

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

  "menu.receiving": { zh: "收货", en: "Receiving" },
  "menu.putaway": { zh: "上架", en: "Put-away" },
  "menu.move": { zh: "移库", en: "Move" },
  "menu.picking": { zh: "拣货", en: "Picking" },
  "menu.packing": { zh: "打包", en: "Packing" },
  "menu.dock": { zh: "装车出库", en: "Dock check-out" },
  "menu.supervisor": { zh: "主管", en: "Supervisor" },
  "menu.stock": { zh: "库存查询", en: "Stock lookup" },
  "menu.count": { zh: "盘点", en: "Cycle count" },
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
  "trace.csv": { zh: "下载 CSV", en: "Download CSV" },
};

// Server error codes → text. Unknown codes fall back to the server's own message.
const ERRORS = {
  LOGIN_FAILED: { zh: "工号或 PIN 码错误", en: "Unknown user or wrong PIN" },
  USER_DISABLED: { zh: "该用户已停用", en: "This user is disabled" },
  USER_LOCKED: {
    zh: "登录失败次数过多，已锁定；{retry_after} 秒后自动解锁，或请主管解锁",
    en: "Too many failed logins; locked for {retry_after} s more, or ask a supervisor to unlock",
  },
  LOGIN_THROTTLED: {
    zh: "登录尝试过多，请 {retry_after} 秒后再试",
    en: "Too many login attempts; try again in {retry_after} s",
  },
  BADGE_NEEDS_PIN: { zh: "此工牌还需输入 PIN 码", en: "This badge needs your PIN too" },
  UNLOCK_NEEDS_ADMIN: { zh: "主管和管理员只能由管理员解锁", en: "Only an admin unlocks a supervisor or an admin" },
  SESSION_NOT_FOUND: { zh: "没有这个会话", en: "No such session of yours" },
  LOGIN_INCOMPLETE: { zh: "请输入工号和 PIN 码，或扫描工牌", en: "Enter user code and PIN, or scan a badge" },
  VALIDATION_FAILED: { zh: "输入无效", en: "The input is not valid" },
  UNAUTHENTICATED: { zh: "请先登录", en: "Please log in" },
  SESSION_EXPIRED: { zh: "会话已过期，请重新登录", en: "Your session has expired; log in again" },
  ROLE_NOT_ALLOWED: { zh: "您的角色无权执行此操作", en: "Your role may not do this" },
  PIN_RESET_NEEDS_ADMIN: { zh: "主管和管理员的 PIN 码只能由管理员重置", en: "Only an admin resets a supervisor's or an admin's PIN" },
  CODE_NOT_FOUND: { zh: "未找到此库位或商品", en: "No such location or item" },
  BARCODE_INVALID: { zh: "条码无效（校验位或格式错误）", en: "Invalid barcode (check digit or format)" },
  "BARCODE_INVALID:check_digit": { zh: "条码校验位错误，请重扫", en: "Wrong check digit; scan again" },
  "BARCODE_INVALID:gs1_format": { zh: "GS1 条码格式错误", en: "Malformed GS1 barcode" },
  "BARCODE_INVALID:empty": { zh: "扫描内容为空或含控制字符", en: "Empty scan or control characters" },
  LOT_MAY_HOLD_ANOTHER_AI: {
    zh: "批次 {lot} 可能含有效期（扫描枪未发送分隔符），请核对",
    en: "Lot {lot} may hold a date (the scanner sent no separator); check it",
  },
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
  MOVE_SAME_LOCATION: { zh: "货物已在 {location}：请扫描另一个库位", en: "The goods are on {location} already: scan another location" },
  MOVE_LOCATION_TYPE: { zh: "{location} 不能移库（周转箱、包裹、打包台、出库道口）", en: "{location} takes no moves (tote, parcel, pack station, lane)" },
  LOCATION_RESTRICTED: { zh: "{location} 是隔离或查验库位：只有主管可以移入移出", en: "{location} is a quarantine or inspection location: only a supervisor moves goods in or out" },
  MOVE_INCOMPLETE: { zh: "请扫描商品并输入数量，或扫描箱码，或选择整库位", en: "Scan an item and give a quantity, scan a carton, or choose the whole location" },
  LOCATION_EMPTY: { zh: "{location} 上没有货物", en: "Nothing on {location} to move" },
  LOCATION_FROZEN: { zh: "库位 {location} 正在盘点，已冻结：盘点结束后再移", en: "Location {location} is frozen for a count: move after the count" },
  LOCATION_SYSTEM_MANAGED: { zh: "{location} 由作业流程管理（周转箱、包裹、打包台、道口）：只能通过拣货、打包、退库、发车进出", en: "{location} belongs to its flow (tote, parcel, pack station, lane): only picking, packing, returns and departure move its goods" },
  SHIP_ONLY_AT_DEPARTURE: { zh: "货物只能随车辆发车出库", en: "Goods leave only when their truck departs" },
  MANUAL_KIND_REFUSED: { zh: "此类移动只能在作业流程中完成；手工只能调整或移库", en: "This movement happens in its flow; by hand only adjustments and moves" },
  CORRECTION_LOCATION_TYPE: { zh: "{location} 不能手工调整：只限存储位、拣货位、隔离、查验和暂存区", en: "{location} takes no manual corrections: only storage, pick faces, quarantine, inspection and staging" },
  DOCUMENT_RESERVED: { zh: "单据号 {document} 由系统使用", en: "Document {document} is one the floor gives itself" },
  APPROVER_IS_PROPOSER: { zh: "需要另一位主管审批", en: "Another supervisor must decide this" },
  ORDER_HELD_BY_CUSTOMS: { zh: "订单 {order_no} 被海关扣留（{customs_status}）：货物留在原处", en: "Customs holds order {order_no} ({customs_status}): its goods stay where they are" },
  LOCATION_CODE_RESERVED: { zh: "{location} 是包裹编号，只能由打包生成", en: "{location} is a parcel code; only packing makes one" },
  LOCATION_NOT_EMPTY: { zh: "{location} 有库存：清空后才能修改", en: "{location} holds stock: empty it before changing it" },
  LOCATION_NOT_FOUND: { zh: "库位不存在", en: "No such location" },
  LOCATION_BEING_COUNTED: { zh: "{counter} 正在盘点 {location}", en: "{counter} is counting {location}" },
  COUNT_IN_PROGRESS: { zh: "请先完成 {location} 的盘点", en: "Finish the count of {location} first" },
  COUNT_NOT_STARTED: { zh: "请先扫描库位 {location} 开始盘点", en: "Scan {location} to start its count" },
  COUNT_NOT_OPEN: { zh: "此盘点已结束", en: "This count is over" },
  COUNT_NOT_FOUND: { zh: "盘点任务不存在", en: "No such count task" },
  COUNT_SCOPE: { zh: "请只选择库位、区域、商品或 ABC 分类之一", en: "Name one of locations, zone, SKU or ABC class" },
  NOTHING_TO_COUNT: { zh: "那里没有要盘点的库位", en: "There is nothing to count there" },
  ITEM_UNKNOWN: { zh: "没有这个商品：{scanned}", en: "No such item: {scanned}" },
  ITEM_AMBIGUOUS: { zh: "多个货主有此条码，请选择货主", en: "Several customers have this barcode: choose the owner" },
  PROPOSAL_DECIDED: { zh: "{decided_by} 已处理过此项", en: "{decided_by} has decided this already" },
  PROPOSAL_NOT_FOUND: { zh: "没有这条待审批项", en: "No such proposal" },
  STOCK_MOVED_SINCE_COUNT: {
    zh: "{location} 的 {sku} 在盘点后有过移动：请重新盘点",
    en: "{sku} on {location} moved after the count: count it again",
  },
  SKU_NOT_FOUND: { zh: "商品不存在", en: "No such item" },
  WRONG_LOCATION: { zh: "库位错误：请到 {expected}", en: "Wrong location: go to {expected}" },
  WRONG_ITEM: { zh: "商品错误：此任务是 {expected}", en: "Wrong item: this task is {expected}" },
  LOT_MISMATCH: { zh: "批次 {scanned} 不是预留批次 {expected}", en: "Lot {scanned} is not the reserved lot {expected}" },
  EXPIRY_MISMATCH: { zh: "效期 {scanned} 不是预留效期 {expected}", en: "Expiry {scanned} is not the reserved {expected}" },
  LOT_CONFIRMATION_REQUIRED: {
    zh: "{sku} 需确认批次：请扫描批次标签",
    en: "{sku} needs its lot confirmed: scan the lot label",
  },
  PICK_LOT_EXPIRED: {
    zh: "批次 {lot} 已于 {expiry} 过期：请勿拣货，报告缺货",
    en: "Lot {lot} expired on {expiry}: do not pick it, report a shortage",
  },
  CUSTOMS_TIME_IN_FUTURE: {
    zh: "海关回执时间 {status_at} 晚于服务器时间",
    en: "Customs time {status_at} is ahead of the server clock",
  },
  TOTE_UNKNOWN: { zh: "没有周转箱 {scanned}", en: "No tote {scanned}" },
  NOT_A_TOTE: { zh: "{scanned} 不是周转箱", en: "{scanned} is not a tote" },
  TOTE_IN_USE: { zh: "周转箱 {tote} 装着其他订单，请换空箱", en: "Tote {tote} holds another order; take an empty one" },
  ORDER_IN_OTHER_TOTE: { zh: "此订单已在周转箱 {tote}，请放入该箱", en: "This order is in tote {tote}: put it there" },
  TASK_LEASED: { zh: "{holder} 正在拣这个任务", en: "{holder} is picking this task" },
  TASK_CLOSED: { zh: "这个任务已结束", en: "This task is closed" },
  TASK_NOT_FOUND: { zh: "任务不存在", en: "No such task" },
  PICK_OVER: { zh: "拣多了：此任务只剩 {remaining} 件", en: "Too many: only {remaining} left on this task" },
  ORDER_ON_HOLD: { zh: "订单 {order_no} 被海关扣留（{customs_status}）：停止作业", en: "Customs holds order {order_no} ({customs_status}): stop" },
  ORDER_INSPECTION: { zh: "订单 {order_no} 海关查验：送查验区", en: "Customs inspects order {order_no}: to the inspection lane" },
  ORDER_CANCELLED: { zh: "订单 {order_no} 已取消：退回库存", en: "Order {order_no} is cancelled: return it to stock" },
  ORDER_NOT_RELEASED: { zh: "订单 {order_no} 海关未放行，不能拣货", en: "Customs has not released order {order_no}; do not pick" },
  ORDER_NOT_PICKED: { zh: "订单 {order_no} 还没拣完，不能打包", en: "Order {order_no} is not fully picked yet" },
  ORDER_ALREADY_PACKED: { zh: "订单 {order_no} 已经打包", en: "Order {order_no} is packed already" },
  ORDER_NOT_FOUND: { zh: "不是订单号、运单号或周转箱", en: "No such order, waybill or tote" },
  LOT_NOT_FOUND: { zh: "没有这个批次的记录", en: "No stock ever had this lot" },
  USER_NOT_FOUND: { zh: "没有这个用户", en: "No such user" },
  INVALID_CURSOR: { zh: "翻页位置无效，请重新查询", en: "This page position is not valid: trace again" },
  TRACE_VALUE_MISSING: { zh: "请扫描或输入要追溯的编码", en: "Scan or type what to trace" },
  SKU_AMBIGUOUS: { zh: "多个货主都有此商品编码，请填写货主", en: "Several customers have this SKU code: name the customer" },
  LIMIT_OUT_OF_RANGE: { zh: "每页条数超出范围", en: "Too many rows asked for one page" },
  COUNT_NEGATIVE: { zh: "实盘数量不能为负", en: "A count cannot be negative" },
  CUSTOMER_NOT_FOUND: { zh: "货主不存在", en: "No such customer" },
  TOTE_EMPTY: { zh: "周转箱 {tote} 是空的", en: "Tote {tote} is empty" },
  ITEM_NOT_ON_ORDER: { zh: "错货：{scanned} 不在此订单中", en: "Wrong item: {scanned} is not on this order" },
  ITEM_OVER_PACKED: { zh: "多了一件：{sku} 只要 {ordered} 件", en: "One too many: {sku} needs only {ordered}" },
  PACK_INCOMPLETE: { zh: "还有商品没扫描，不能封箱", en: "Scan every item before weighing" },
  PACK_NOT_RELEASED: { zh: "订单 {order_no} 海关未放行（800），不能封箱", en: "Customs has not released order {order_no} (800); do not close it" },
  WEIGHT_OUT_OF_RANGE: { zh: "{weight_g} 克超过上限 {max} 克", en: "{weight_g} g is over the {max} g allowed" },
  STATION_UNKNOWN: { zh: "没有工作站 {station}", en: "No station {station}" },
  STATION_MISMATCH: { zh: "此令牌属于工作站 {token_station}，不是 {station}", en: "This token belongs to station {token_station}, not {station}" },
  STATION_NO_USER: { zh: "无人签到：请先扫工牌", en: "Nobody is signed in: scan your badge first" },
  STATION_NOT_PACK_BENCH: { zh: "这不是打包台，不能封箱", en: "This station is not a pack bench" },
  NO_ORDER_OPEN: { zh: "还没有开单：先扫周转箱、订单号或运单号", en: "No order is open: scan a tote, order or waybill number first" },
  NO_LOADING_LIST_OPEN: { zh: "没有打开的装车单，不能装车", en: "No loading list is open: nothing to check out" },
  LOADING_LIST_INVALID: { zh: "装车单有问题，见各栏", en: "The loading list has problems: see the fields" },
  PLATE_INVALID: { zh: "车牌格式不对", en: "Not a valid plate" },
  DRIVER_ID_INVALID: { zh: "身份证号格式不对", en: "Not a valid ID number" },
  "DRIVER_ID_INVALID:length": { zh: "身份证号应为 18 位，请重扫或重输", en: "An ID number has 18 characters: scan or type it again" },
  "DRIVER_ID_INVALID:characters": { zh: "身份证号为 17 位数字加最后一位数字或 X", en: "An ID number is 17 digits and a last digit or X" },
  "DRIVER_ID_INVALID:birth_date": { zh: "身份证号第 7–14 位不是有效的出生日期", en: "Characters 7 to 14 of the ID number are no birth date" },
  "DRIVER_ID_INVALID:check_character": { zh: "身份证号校验位不对：请核对", en: "The ID number's check character is wrong: check it" },
  DRIVER_PHONE_INVALID: { zh: "电话号码格式不对", en: "Not a valid phone number" },
  WAYBILL_UNKNOWN: { zh: "没有运单 {scanned} 的包裹", en: "No parcel with waybill {scanned}" },
  LIST_EMPTY: { zh: "装车单上没有包裹", en: "The list has no parcel" },
  LIST_EXISTS: { zh: "这个装车单号已存在", en: "This list number exists" },
  LIST_NOT_FOUND: { zh: "没有这个车牌或单号的装车单", en: "No loading list for this plate or number" },
  LIST_DEPARTED: { zh: "装车单 {list_no} 的车已发车：不能再改", en: "The truck of list {list_no} has departed: it cannot change" },
  LIST_NOT_DEPARTED: { zh: "装车单 {list_no} 还没发车，没有交接单", en: "List {list_no} has not departed: no handover record yet" },
  DOOR_BUSY: { zh: "{door} 正在装装车单 {list_no}：先发车或换装车口", en: "{door} is loading list {list_no}: let it depart or use another door" },
  LIST_AT_OTHER_DOOR: { zh: "装车单 {list_no} 正在 {door} 装车", en: "List {list_no} is loading at {door}" },
  DRIVER_MISMATCH: {
    zh: "身份证号（尾号 {scanned_ends}）不是装车单 {list_no} 的司机：不能装车，已记录",
    en: "ID number ending {scanned_ends} is not the driver of list {list_no}: refused and recorded",
  },
  DRIVER_NAME_MISMATCH: { zh: "姓名不是装车单 {list_no} 的司机", en: "The name is not the driver's on list {list_no}" },
  SEAL_MISMATCH: { zh: "封条 {scanned} 不是装车单 {list_no} 的封条", en: "Seal {scanned} is not the seal on list {list_no}" },
  LIST_NOT_OPEN: { zh: "装车单 {list_no} 还没在装车口打开：先扫车牌", en: "List {list_no} is not open at a door: scan the plate first" },
  DRIVER_NOT_VERIFIED: { zh: "先核对司机（身份证号和姓名）再装车", en: "Check the driver (ID number and name) before loading" },
  PARCEL_NOT_ON_LIST: { zh: "{waybill_no} 不在装车单 {list_no} 上：不要装", en: "{waybill_no} is not on list {list_no}: do not load it" },
  PARCEL_OTHER_LIST: {
    zh: "{waybill_no} 属于装车单 {other_list_no}（车牌 {other_plate}），不是这辆车：不要装",
    en: "{waybill_no} belongs to list {other_list_no} (truck {other_plate}), not this truck: do not load it",
  },
  PARCEL_REMOVED: { zh: "{waybill_no} 已移出本装车单：不要装", en: "{waybill_no} was taken off this list: do not load it" },
  PARCEL_NOT_PACKED: { zh: "{waybill} 不是待装车的已打包包裹", en: "{waybill} is not a packed parcel waiting for a truck" },
  PARCEL_CANCELLED: { zh: "{waybill_no} 的订单已取消：不要装车，交主管", en: "The order of {waybill_no} is cancelled: do not load it, call a supervisor" },
  PARCEL_ON_HOLD: {
    zh: "{waybill_no} 海关未放行（{customs_status}）：不要装车，交主管",
    en: "Customs has not released {waybill_no} ({customs_status}): do not load it, call a supervisor",
  },
  DEPARTURE_BLOCKED: { zh: "装车单 {list_no} 还不能发车", en: "List {list_no} cannot depart yet" },
  PRINTER_NOT_AT_STATION: { zh: "打印机 {printer} 不属于工作站 {station}", en: "Printer {printer} is not driven by station {station}" },
  STATION_HAS_NO_PRINTER: { zh: "打包台 {station} 没有配置打印机", en: "Pack bench {station} has no printer" },
  LANE_MISSING: { zh: "出库道口不存在，请联系主管", en: "The outbound lane is missing; call a supervisor" },
  NOTHING_TO_WAVE: { zh: "没有已放行、待拣的订单", en: "No released order waits to be picked" },
  ORDER_ALREADY_WAVED: { zh: "已在波次中", en: "In a wave already" },
  WAVE_NOT_FOUND: { zh: "波次不存在", en: "No such wave" },
  WAVE_FULL: { zh: "波次已满，未加入", en: "The wave is full; not taken" },
  TIME_OUT_OF_RANGE: { zh: "时间超出范围", en: "The time is out of range" },
  SHORTAGE_NOT_FOUND: { zh: "短拣记录不存在", en: "No such shortage" },
  SHORTAGE_RESOLVED: { zh: "短拣记录已处理", en: "The shortage is settled already" },
  STOCK_RESERVED: { zh: "库存已被订单预留：此处 {on_hand} 件中 {reserved} 件已预留", en: "Reserved for orders: {reserved} of the {on_hand} here" },
  ORDER_NOT_ALLOCATABLE: { zh: "订单 {state}：没有可分配的", en: "Order is {state}: nothing to reserve" },
  CANCEL_TOO_LATE: { zh: "订单已出库，不能取消", en: "The order has left the warehouse" },
  RETURN_LOCATION_INVALID: { zh: "{location} 不能放退货：请放存储位、拣货位或暂存区", en: "{location} takes no returns: use storage, a pick face or staging" },
  NOT_AN_INSPECTION_LANE: { zh: "{location} 不是查验区", en: "{location} is not an inspection lane" },
  PARCEL_NOT_FOUND: { zh: "没有 {scanned} 的面单：请扫运单号或订单号", en: "No face sheet for {scanned}: scan the waybill or order number" },
  PRINTER_UNKNOWN: { zh: "配置里没有这台打印机", en: "No such printer in the configuration" },
  PRINTER_DISABLED: { zh: "这台打印机已停用，不能打印", en: "This printer is disabled; it prints nothing" },
  PRINT_JOB_NOT_FOUND: { zh: "打印任务不存在", en: "No such print job" },
  PRINT_JOB_NOT_FAILED: { zh: "这个任务没有失败，不用重新打印", en: "This job has not failed; nothing to retry" },
  PRINTER_ERROR: { zh: "打印机拒绝了这个任务", en: "The printer refused this job" },
  PRINTER_UNAVAILABLE: { zh: "打印机不可用，稍后重试", en: "The printer is unavailable; trying again later" },
  LABEL_TEXT_TOO_LONG: { zh: "面单上放不下：内容太长，请主管核对订单资料", en: "Too long to fit on the face sheet: a supervisor checks the order data" },
  LABEL_FIELD_MISSING: { zh: "面单缺少必要内容，不能打印：请主管补全订单资料", en: "The face sheet lacks required data: a supervisor completes the order" },
  LABEL_FIELD_INVALID: { zh: "面单内容格式错误，不能打印", en: "The face sheet data is malformed; it cannot print" },
  WAYBILL_NOT_CODE128: { zh: "运单号含有条码无法表示的字符，不能打印：请核对运单号", en: "The waybill number has characters a Code128 cannot carry: check it" },
  WAYBILL_TOO_LONG: { zh: "运单号太长，条码印出来扫不出：请核对运单号", en: "The waybill number is too long for a scannable barcode on this label" },
  LABEL_SIZE_UNSUPPORTED: { zh: "打印机的面单尺寸放不下面单：请检查打印机配置", en: "The printer's label size cannot hold a face sheet: check its configuration" },
  FONT_NOT_FOUND: { zh: "服务器上没有中文字体，面单无法打印：请安装 fonts-noto-cjk", en: "No Chinese font on the server; labels cannot print: install fonts-noto-cjk" },
  SYNC_NOT_STOPPED: { zh: "上传没有停止：不需要重试或跳过", en: "Delivery is not stopped: nothing to retry or skip" },
  SYNC_STOPPED_ELSEWHERE: {
    zh: "上传现在停在事件 #{stopped_seq}，不是这一条：请看最新的停止",
    en: "Delivery is stopped at event #{stopped_seq} now, not this one: look at the new stop",
  },
  ALERT_NOT_FOUND: { zh: "没有这条告警", en: "No such alert" },
  ALERT_ALREADY_ACKED: { zh: "这条告警已被确认", en: "This alert was already acknowledged" },
  DAY_OUT_OF_RANGE: { zh: "日期超出范围", en: "The day is out of range" },
  NOT_FOUND: { zh: "未找到", en: "Not found" },
  INTERNAL_ERROR: { zh: "服务器出错，操作未执行", en: "The server failed; nothing was changed" },
  DISK_FULL: { zh: "服务器磁盘已满，操作未执行：稍后自动重试，请通知主管", en: "The server's disk is full; nothing was changed: retrying later, tell a supervisor" },
  STORAGE_ERROR: { zh: "服务器磁盘读写出错，操作未执行：稍后自动重试，请通知主管", en: "The server cannot read or write its disk; nothing was changed: retrying later, tell a supervisor" },
  NETWORK_ERROR: { zh: "无法连接服务器，请检查网络", en: "Cannot reach the server; check the network" },
  // The generic codes of the error classes and of plain HTTP refusals.
  BAD_REQUEST: { zh: "请求无效，未做任何更改", en: "The request is not valid; nothing was changed" },
  INVALID_INPUT: { zh: "输入无效", en: "The input is not valid" },
  CONFLICT: { zh: "与当前状态冲突，未做任何更改", en: "This conflicts with the current state; nothing was changed" },
  REFUSED: { zh: "仓库规则不允许，未做任何更改", en: "The warehouse rules refuse this; nothing was changed" },
  FORBIDDEN: { zh: "您的角色无权执行此操作", en: "Your role may not do this" },
  METHOD_NOT_ALLOWED: { zh: "不支持此操作", en: "This action is not supported here" },
  NOT_ACCEPTABLE: { zh: "无法提供所请求的格式", en: "The requested format cannot be given" },
  PAYLOAD_TOO_LARGE: { zh: "提交的内容过大", en: "What was sent is too large" },
  UNSUPPORTED_MEDIA_TYPE: { zh: "不支持此内容类型", en: "This content type is not supported" },
  TOO_MANY_REQUESTS: { zh: "请求过多，请稍后再试", en: "Too many requests; try again shortly" },
  // Codes a page rarely meets (admin, imports, the OMS's own routes), translated all the same.
  BADGE_IN_USE: { zh: "此工牌已属于另一位用户", en: "This badge belongs to another user" },
  BARCODE_IN_USE: { zh: "此条码已属于另一个商品", en: "This barcode belongs to another SKU" },
  BATCH_REJECTED: { zh: "批量中有问题，全部未处理", en: "The batch has problems; nothing was applied" },
  CUSTOMS_STATUS_UNKNOWN: { zh: "不是海关清单状态码", en: "Not a customs list status" },
  DOOR_UNKNOWN: { zh: "没有这个装车口", en: "No such dock door" },
  DUPLICATE_LINE: { zh: "同一商品重复出现在多行", en: "The same item is on more than one line" },
  IDEMPOTENCY_KEY_INVALID: { zh: "请求编号无效", en: "The request key is not valid" },
  IDEMPOTENCY_KEY_REQUIRED: { zh: "缺少请求编号，未做任何更改", en: "The request key is missing; nothing was changed" },
  IDEMPOTENCY_KEY_REUSED: {
    zh: "此请求编号已用于另一操作，未做任何更改",
    en: "This request key was used for another change; nothing was changed",
  },
  IMPORT_CSV_INVALID: { zh: "CSV 文件无法读取", en: "The CSV file cannot be read" },
  IMPORT_EMPTY: { zh: "文件中没有数据行", en: "The file has no rows" },
  IMPORT_FORMAT_UNKNOWN: { zh: "格式须为 CSV 或 JSON", en: "The format is CSV or JSON" },
  IMPORT_KIND_UNKNOWN: { zh: "不能导入此类数据", en: "This kind of data cannot be imported" },
  IMPORT_NOT_A_LIST: { zh: "JSON 文件须为列表", en: "The JSON file must be a list" },
  IMPORT_NOT_UTF8: { zh: "CSV 文件须为 UTF-8 编码", en: "A CSV import must be UTF-8" },
  MALFORMED_JSON: { zh: "请求内容不是有效的 JSON", en: "The request is not valid JSON" },
  MOVEMENT_SHAPE: { zh: "此类移动的库位不对", en: "This kind of movement has the wrong locations" },
  ORDER_IN_PROGRESS: { zh: "订单已在作业中，不能修改", en: "The order is in progress and cannot be changed" },
  ORDER_NOT_OPEN_HERE: { zh: "此订单不是本打包台当前的订单", en: "This order is not the one open at this bench" },
  ORDER_NO_TAKEN: { zh: "订单号已被使用", en: "This order number is taken" },
  OTHER_CUSTOMER: { zh: "属于另一货主", en: "This belongs to another customer" },
  PIN_INVALID: { zh: "PIN 码须为数字，长度不符", en: "A PIN is digits of the allowed length" },
  QUANTITY_NEGATIVE: { zh: "数量不能为负", en: "The quantity cannot be negative" },
  QUERY_PARAMETER_REPEATED: { zh: "查询参数重复", en: "A query parameter is given more than once" },
  REASON_REQUIRED: { zh: "请选择原因", en: "Choose a reason" },
  RECONCILIATION_NOT_FOUND: { zh: "没有这个对账", en: "No such reconciliation" },
  ROLE_UNKNOWN: { zh: "未知角色", en: "Unknown role" },
  ROUTE_NOT_CLASSIFIED: { zh: "此功能未开放", en: "This route is open to no one" },
  SEQ_BEYOND_JOURNAL: { zh: "事件序号超出日志末尾", en: "That sequence number is beyond the journal" },
  SKU_OTHER_CUSTOMER: { zh: "此商品属于另一货主", en: "This SKU belongs to another customer" },
  TOKEN_EXISTS: { zh: "同名令牌已存在", en: "A token of this name exists" },
  TOKEN_KIND_UNKNOWN: { zh: "令牌类型须为工作站或 OMS", en: "A token is for a station or the OMS" },
  TRACE_KIND_UNKNOWN: { zh: "无法追溯此类对象", en: "This kind of thing cannot be traced" },
  USER_EXISTS: { zh: "此工号已存在", en: "This user code exists already" },
  WAYBILL_TAKEN: { zh: "运单号已在另一订单上", en: "This waybill number is on another order" },
};

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
