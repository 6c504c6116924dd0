// The strings of tariffs.html only, in zh-CN and English; shared ones are in i18n.js.

import { addTexts } from "../i18n.js";

addTexts({
  "tariffs.title": { zh: "费率", en: "Tariffs" },
  "tariffs.customer": { zh: "货主", en: "Customer" },
  "tariffs.hint": {
    zh: "没有自己费率的货主按全站默认计费。新版本从所选日期起生效，不能早于已结账的月份。",
    en: "A customer without a tariff of its own is priced by the site default. A new version starts on its day, never in a closed month.",
  },
  "tariffs.versions": { zh: "费率版本", en: "Versions" },
  "tariffs.none": { zh: "还没有费率版本", en: "No version yet" },
  "tariffs.from": { zh: "自 {day} 起", en: "From {day}" },
  "tariffs.set_by": { zh: "{by} 于 {at} 设置：{reason}", en: "Set by {by}, {at}: {reason}" },
  "tariffs.minimum": { zh: "月最低消费（元）", en: "Monthly minimum (yuan)" },
  "tariffs.per": { zh: "元/{unit}", en: "yuan per {unit}" },
  "tariffs.add": { zh: "新增费率版本", en: "Add a version" },
  "tariffs.effective_from": { zh: "生效日期", en: "In force from" },
  "tariffs.rates": { zh: "费率（元，留空则不计费）", en: "Rates (yuan; blank is not charged)" },
  "tariffs.reason": { zh: "原因（如合同编号）", en: "Reason (e.g. the contract)" },
  "tariffs.add.submit": { zh: "保存新版本", en: "Save the version" },
  "tariffs.add.missing": { zh: "请填写生效日期和原因", en: "Give the day it starts and the reason" },
  "tariffs.add.bad_amount": {
    zh: "{field}：请输入金额，最多两位小数",
    en: "{field}: give an amount with at most two decimals",
  },
  "tariffs.added": { zh: "新费率自 {day} 起生效", en: "The new version is in force from {day}" },
});
