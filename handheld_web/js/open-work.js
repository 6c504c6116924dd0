// Open work kept on the device: the plan on receiving, the wave and task on picking, the
// order at the bench on packing come back after a reload, online or offline (then as they
// were last seen), until the work is done. Kept for this tab's session, like the login, and
// dropped at every login and logout (api.js) so the next user never gets it.

const PREFIX = "bondfloor.open.";

/** The open work of one page: `save(value)`, `load()` (null: none), `clear()`. */
export function openWork(name) {
  const key = PREFIX + name;
  return {
    save(value) {
      sessionStorage.setItem(key, JSON.stringify(value));
    },
    load() {
      try {
        return JSON.parse(sessionStorage.getItem(key));
      } catch {
        return null;
      }
    },
    clear() {
      sessionStorage.removeItem(key);
    },
  };
}

/** Forget every page's open work (a login or logout). */
export function forgetOpenWork() {
  for (const key of Object.keys(sessionStorage)) {
    if (key.startsWith(PREFIX)) sessionStorage.removeItem(key);
  }
}
