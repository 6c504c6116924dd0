// The strings of move.html only, in zh-CN and English; shared ones are in i18n.js.

import { addTexts } from "../i18n.js";

addTexts({
  "move.title": { zh: "移库", en: "Move" },
  "move.from": { zh: "从", en: "From" },
  "move.whole": { zh: "整库位", en: "Whole location" },
  "move.whole.title": { zh: "{location} 上的全部货物", en: "Everything on {location}" },
  "move.change": { zh: "换库位", en: "Change" },
  "move.hint.source": { zh: "扫描来源库位", en: "Scan the from-location" },
  "move.hint.item": { zh: "扫描商品或箱码", en: "Item or carton" },
  "move.hint.target": { zh: "扫描目标库位", en: "To-location" },
  "move.quantity": { zh: "移库数量", en: "Quantity" },
  "move.available": { zh: "可移 {available}", en: "{available} free" },
  "move.all_of": { zh: "{lines} 行，共 {units} 件一起移", en: "Moving together: lines {lines}, units {units}" },
  "move.confirm_hint": { zh: "扫描目标库位确认移库", en: "Scan the to-location to confirm" },
  "move.choose_lot": { zh: "此商品有多个批次，请选择", en: "Several lots of this item: choose one" },
  "move.item_found": { zh: "{sku}：输入数量，扫描目标库位", en: "{sku}: quantity, then the to-location" },
  "move.contents.title": { zh: "{location} 上的货物", en: "On {location}" },
  "move.contents.empty": { zh: "此库位没有货物", en: "Nothing on this location" },
  "move.source.loaded": { zh: "{location}：{count} 行", en: { one: "{location}: {count} line", other: "{location}: {count} lines" } },
  "move.restricted": { zh: "隔离/查验库位：只有主管可以移入移出", en: "Quarantine or inspection: only a supervisor moves goods in or out" },
  "move.moved": { zh: "已移库 {quantity} 件 {sku}：{from} → {to}", en: "Moved {quantity} × {sku}: {from} → {to}" },
  "move.trail.title": { zh: "最近移库", en: "Last moves" },
});
