// The strings of handover.html only, in zh-CN and English; shared ones are in i18n.js.

import { addTexts } from "../i18n.js";

addTexts({
  "doc.handover": { zh: "交接单", en: "Handover record" },
  "doc.handover_no": { zh: "交接单号", en: "Handover no" },
  "doc.list_no": { zh: "装车单号", en: "Loading list no" },
  "doc.driver_id": { zh: "司机身份证号", en: "Driver's ID number" },
  "doc.driver_phone": { zh: "司机电话", en: "Driver's phone" },
  "doc.door": { zh: "装车口", en: "Dock door" },
  "doc.departed_at": { zh: "发车时间", en: "Departed at" },
  "doc.departed_by": { zh: "放行人", en: "Released by" },
  "doc.parcels": { zh: "包裹明细", en: "Parcels" },
  "doc.col.waybill": { zh: "运单号", en: "Waybill" },
  "doc.col.order": { zh: "订单号", en: "Order" },
  "doc.col.courier": { zh: "快递", en: "Courier" },
  "doc.col.weight_kg": { zh: "重量（kg）", en: "Weight (kg)" },
  "doc.col.parcel_count": { zh: "件数", en: "Pieces" },
  "doc.col.loaded_at": { zh: "装车时间", en: "Loaded at" },
  "doc.col.loaded_by": { zh: "装车人", en: "Loaded by" },
  "doc.weight.expected": { zh: "预计重量 {weight} kg", en: "Expected weight {weight} kg" },
  "doc.sign.driver": { zh: "司机", en: "Driver" },
  "doc.sign.carrier_only": { zh: "承运商", en: "Carrier" },
  "doc.no_list": { zh: "缺少装车单编号", en: "No loading list given" },
});
