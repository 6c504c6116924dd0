// The strings of dock-screen.html only, in zh-CN and English; shared ones are in i18n.js.

import { addTexts } from "../i18n.js";

addTexts({
  "screen.title": { zh: "装车口大屏", en: "Dock screen" },
  "screen.choose": { zh: "这块屏幕显示哪个装车口？", en: "Which door does this screen show?" },
  "screen.door": { zh: "装车口 {door}", en: "Door {door}" },
  "screen.idle": { zh: "空闲：没有车在装", en: "Free: no truck is loading" },
  "screen.plate": { zh: "车牌", en: "Plate" },
  "screen.second_plate": { zh: "港澳车牌", en: "HK/Macau plate" },
  "screen.driver": { zh: "司机", en: "Driver" },
  "screen.loaded": { zh: "已装", en: "Loaded" },
  "screen.planned": { zh: "计划", en: "Planned" },
  "screen.missing": { zh: "未装 {count}", en: "{count} not loaded" },
  "screen.more": { zh: "另有 {count} 个", en: "{count} more" },
  "screen.pull_off": { zh: "卸下！{count} 个包裹不能走", en: { one: "PULL OFF! {count} parcel must not leave", other: "PULL OFF! {count} parcels must not leave" } },
  "screen.ready": { zh: "可以发车", en: "Ready to depart" },
  "screen.handover": { zh: "交接单 {handover_no} · {time}", en: "Handover {handover_no} · {time}" },
});
