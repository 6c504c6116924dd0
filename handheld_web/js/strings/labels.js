// The strings of labels.html only, in zh-CN and English; shared ones are in i18n.js.

import { addTexts } from "../i18n.js";

addTexts({
  "labels.title": { zh: "库位标签", en: "Location labels" },
  "labels.printer": { zh: "打印机", en: "Printer" },
  "labels.by": { zh: "打印哪些库位", en: "Which locations" },
  "labels.by.zone": { zh: "整个库区", en: "A whole zone" },
  "labels.by.range": { zh: "起止库位", en: "A range of codes" },
  "labels.by.list": { zh: "库位清单", en: "A list of codes" },
  "labels.zone": { zh: "库区", en: "Zone" },
  "labels.first": { zh: "起始库位", en: "First code" },
  "labels.last": { zh: "结束库位", en: "Last code" },
  "labels.codes": { zh: "库位编码（每行一个）", en: "Location codes (one a line)" },
  "labels.print": { zh: "打印标签", en: "Print labels" },
  "labels.sending": { zh: "发送中…", en: "Sending…" },
  "labels.no_printer": { zh: "没有可用的打印机", en: "No printer to print on" },
  "labels.queued": {
    zh: "已排队 {count} 张标签，打印机 {printer}",
    en: { one: "1 label queued on {printer}", other: "{count} labels queued on {printer}" },
  },
});
