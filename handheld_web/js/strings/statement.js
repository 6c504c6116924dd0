// The strings of statement.html only, in zh-CN and English; shared ones are in i18n.js.

import { addTexts } from "../i18n.js";

addTexts({
  "stmt.title": { zh: "对账单", en: "Statement" },
  "stmt.doc_title": { zh: "仓储费用对账单", en: "Statement of charges" },
  "stmt.print": { zh: "打印", en: "Print" },
  "stmt.csv": { zh: "下载 CSV", en: "Download CSV" },
  "stmt.none": { zh: "没有指定账单", en: "No statement was named" },
  "stmt.superseded": { zh: "已作废：本月已重新开账", en: "Superseded: the month was re-opened" },
  "stmt.customer": { zh: "货主", en: "Customer" },
  "stmt.period": { zh: "账期", en: "Period" },
  "stmt.version": { zh: "版本", en: "Version" },
  "stmt.state": { zh: "状态", en: "State" },
  "stmt.lines": { zh: "费用明细", en: "Charges" },
  "stmt.subtotals": { zh: "分类小计", en: "Subtotals by category" },
  "stmt.col.no": { zh: "序号", en: "No." },
  "stmt.col.day": { zh: "日期", en: "Day" },
  "stmt.col.charge": { zh: "费用项目", en: "Charge" },
  "stmt.col.quantity": { zh: "数量", en: "Quantity" },
  "stmt.col.unit": { zh: "单位", en: "Unit" },
  "stmt.col.rate": { zh: "单价", en: "Rate" },
  "stmt.col.amount": { zh: "金额", en: "Amount" },
  "stmt.col.category": { zh: "类别", en: "Category" },
  "stmt.charges": { zh: "费用合计", en: "Charges" },
  "stmt.minimum": { zh: "补足月最低消费", en: "Minimum top-up" },
  "stmt.credits": { zh: "争议退款", en: "Credits" },
  "stmt.total": { zh: "应付总额", en: "Total due" },
  "stmt.printed_at": { zh: "打印时间", en: "Printed" },
});
