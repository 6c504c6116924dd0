// The strings of billing.html only, in zh-CN and English; shared ones are in i18n.js.

import { addTexts } from "../i18n.js";

addTexts({
  "billing.title": { zh: "计费与账单", en: "Billing" },
  "billing.tariffs": { zh: "费率", en: "Tariffs" },
  "billing.periods": { zh: "账期", en: "Billing periods" },
  "billing.periods.hint": {
    zh: "月份结束后结账，冻结每个货主的账单；重新开账须写明原因。",
    en: "Close a month once it has ended: each customer's statement is frozen. Re-opening needs a reason.",
  },
  "billing.changed": { zh: "{by} 于 {at}", en: "By {by}, {at}" },
  "billing.changed.reason": { zh: "{by} 于 {at}：{reason}", en: "By {by}, {at}: {reason}" },
  "billing.no_statements": { zh: "本月没有费用", en: "Nothing was charged this month" },
  "billing.close": { zh: "结账", en: "Close the month" },
  "billing.not_over": { zh: "本月尚未结束", en: "This month has not ended" },
  "billing.closed": {
    zh: "{period} 已结账：{count} 份账单",
    en: { one: "{period} closed: {count} statement", other: "{period} closed: {count} statements" },
  },
  "billing.reopen": { zh: "重新开账", en: "Re-open" },
  "billing.reopen.reason": { zh: "重新开账原因", en: "Reason to re-open" },
  "billing.reopen.missing": { zh: "请写明重新开账的原因", en: "Give the reason to re-open" },
  "billing.reopened": { zh: "{period} 已重新开账", en: "{period} re-opened" },
});
