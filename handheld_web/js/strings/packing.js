// The strings of packing.html only, in zh-CN and English; shared ones are in i18n.js.

import { addTexts } from "../i18n.js";

addTexts({
  "pack.title": { zh: "打包", en: "Packing" },
  "pack.station": { zh: "打包台", en: "Bench" },
  "pack.station.label": { zh: "打包台名称", en: "Pack bench name" },
  "pack.station.set": { zh: "切换", en: "Set" },
  "pack.station.saved": { zh: "打包台：{station}", en: "Pack bench: {station}" },
  "pack.station.known": { zh: "可用：{known}", en: "Known: {known}" },
  "pack.hint.open": { zh: "周转箱/订单号/运单号", en: "Tote, order or waybill" },
  "pack.hint.item": { zh: "逐件扫描商品", en: "Scan every item" },
  "pack.hint.weigh": { zh: "称重后输入克数", en: "Weigh and enter grams" },
  "pack.hint.lot": { zh: "扫描批次标签", en: "Scan the lot label" },
  "pack.lot.title": { zh: "{sku}：请确认批次", en: "{sku}: confirm the lot" },
  "pack.lot.hint": { zh: "扫描此件的批次标签（周转箱内批次：{lots}）", en: "Scan this unit's lot label (lots in the tote: {lots})" },
  "pack.lot.hint_choose": { zh: "扫描批次标签，或选择批次（{lots}）", en: "Scan the lot label, or choose the lot ({lots})" },
  "pack.lot.choose": { zh: "批次 {lot}", en: "Lot {lot}" },
  "pack.opened": { zh: "订单 {order_no}：{units} 件", en: "Order {order_no}: units {units}" },
  "pack.change": { zh: "换订单", en: "Change" },
  "pack.done.queued": { zh: "封箱已存在本机，联网后上传并打印面单", en: "Saved on this device: uploads and prints when online" },
  "pack.done.uploaded": { zh: "封箱已上传，面单已排队打印", en: "Packing uploaded; the face sheet is queued for printing" },
  "pack.done.next": { zh: "扫描下一个周转箱", en: "Scan the next tote" },
  "pack.stop.title": { zh: "不要打包", en: "Do not pack" },
  "pack.stop.ORDER_CANCELLED": {
    zh: "订单 {order_no} 已取消：不要打包，把周转箱 {tote} 的货物退回库存。",
    en: "Order {order_no} is cancelled: do not pack; return what is in tote {tote} to stock.",
  },
  "pack.stop.ORDER_INSPECTION": {
    zh: "订单 {order_no} 海关查验：不要打包，把周转箱 {tote} 送到查验区 {target}。",
    en: "Customs inspects order {order_no}: do not pack; take tote {tote} to inspection {target}.",
  },
  "pack.stop.ORDER_ON_HOLD": {
    zh: "订单 {order_no} 被海关扣留（{customs_status}）：不要打包，周转箱 {tote} 放到一边等待放行。",
    en: "Customs holds order {order_no} ({customs_status}): do not pack; set tote {tote} aside until released.",
  },
  "pack.stop.task": { zh: "已生成任务：{kind} {source}", en: "Floor task: {kind} {source}" },

  // What waits at packing while nothing is open at the bench
  "pack.waiting.title": { zh: "待打包 {count}", en: "Waiting to pack: {count}" },
  "pack.waiting.empty": { zh: "暂无待打包的周转箱", en: "No totes waiting to be packed" },
  "pack.waiting.priority": { zh: "加急", en: "Priority" },
  "pack.waiting.cutoff": { zh: "截单 {time}", en: "Cut-off {time}" },
});
