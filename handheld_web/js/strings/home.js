// The strings of home.html only, in zh-CN and English; shared ones are in i18n.js.

import { addTexts } from "../i18n.js";

addTexts({
  "outbox.logout_pending": {
    zh: "还有 {count} 条未上传。退出后它们会等你下次登录再上传。确定退出？",
    en: {
      one: "{count} change is not uploaded yet; it waits for your next login. Log out?",
      other: "{count} changes are not uploaded yet; they wait for your next login. Log out?",
    },
  },
  "home.title": { zh: "主菜单", en: "Menu" },
  "home.logout": { zh: "退出", en: "Log out" },
  "home.coming_soon": { zh: "即将上线", en: "Coming soon" },
});
