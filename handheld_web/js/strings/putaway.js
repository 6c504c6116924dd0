// The strings of putaway.html only, in zh-CN and English; shared ones are in i18n.js.

import { addTexts } from "../i18n.js";

addTexts({
  "put.title": { zh: "上架", en: "Put-away" },
  "put.source": { zh: "来源", en: "From" },
  "put.source.label": { zh: "来源库位", en: "Source location" },
  "put.source.set": { zh: "切换", en: "Set" },
  "put.hint.item": { zh: "扫描商品或箱码", en: "Item or carton" },
  "put.hint.target": { zh: "扫描目标库位", en: "Target location" },
  "put.pending.title": { zh: "{location} 待上架", en: "Waiting on {location}" },
  "put.pending.empty": { zh: "没有待上架的货物", en: "Nothing waits here" },
  "put.pending.loaded": { zh: "{location}：{count} 行待上架", en: { one: "{location}: {count} line to put away", other: "{location}: {count} lines to put away" } },
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
  "put.carton.note": { zh: "整箱内全部商品一起上架", en: "Everything in the carton moves together" },
  "put.choose_lot": { zh: "此商品有多个批次，请选择", en: "Several lots of this item: choose one" },
  "put.moved": { zh: "已上架 {quantity} 件 {sku} → {to}", en: "Put {quantity} × {sku} on {to}" },
  "put.moved.detail": { zh: "从 {from}", en: "from {from}" },
  "put.trail.title": { zh: "最近上架", en: "Last moves" },
});
