// The strings of stock.html only, in zh-CN and English; shared ones are in i18n.js.

import { addTexts } from "../i18n.js";

addTexts({
  "scan.source.scanner": { zh: "扫描", en: "scanned" },
  "scan.source.manual": { zh: "手输", en: "typed" },
  "stock.title": { zh: "库存查询", en: "Stock lookup" },
  "stock.back": { zh: "返回", en: "Back" },
  "stock.hint": { zh: "扫描库位或商品", en: "Location or item" },
  "stock.busy": { zh: "查询中…", en: "Looking up…" },
  "stock.kind.location": { zh: "库位", en: "Location" },
  "stock.kind.sku": { zh: "商品", en: "Item" },
  "stock.total": { zh: "合计", en: "Total" },
  "stock.subtotal": { zh: "小计", en: "Subtotal" },
  "stock.empty": { zh: "没有库存", en: "No stock" },
  "stock.truncated": { zh: "只显示前 {count} 行", en: { one: "Only the first row is shown", other: "Only the first {count} rows are shown" } },
  "stock.found": { zh: "{kind} {title}：{total} 件", en: "{kind} {title}: {total} units" },
  "stock.found_empty": { zh: "{kind} {title}：没有库存", en: "{kind} {title}: no stock" },
});
