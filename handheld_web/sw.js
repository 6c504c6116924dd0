// The handheld's service worker: every page opens without the network.
//
// The server serves this file as /sw.js with `self.SHELL = {version, files, on_demand}` in
// front of it (server/app_shell.py; each maps a file to its content hash; `on_demand` are
// the large files a page loads only on a user's action, such as the camera's decoder,
// kept here when first used instead of at install): the version changes
// with any shipped file, so a changed file is a changed worker, which installs the new
// shell beside the old one, takes over and deletes the old one. Pages, scripts, styles, strings and icons come from the cache of the version
// in force: moving between pages downloads nothing, and a handheld never mixes two versions.
// The API is never cached here: changes wait in the outbox (js/outbox.js), reads need the
// server.

const { version, files, on_demand: onDemand = {} } = self.SHELL;
const CACHE = `shell-${version}`;
const SHELL_PREFIX = "shell-";
const SHELL_PATHS = new Set(Object.keys(files).map((file) => `/${file}`));
// An on-demand file is kept under its versioned URL, so a new shell can take it over from
// an older one when its bytes did not change.
const ON_DEMAND_KEYS = new Map(
  Object.entries(onDemand).map(([file, hash]) => [`/${file}`, `/${file}?v=${hash}`]),
);

/** The cached file a request is answered with: pages by path alone (their query, such as
 * `receipt.html?doc=tally`, is read by the page's script), `/` is the login page. */
function shellPath(request) {
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || request.method !== "GET") return null;
  if (url.pathname.startsWith("/api/")) return null;
  const path = url.pathname === "/" ? "/index.html" : url.pathname;
  if (!SHELL_PATHS.has(path) && !ON_DEMAND_KEYS.has(path)) return null;
  if (request.mode !== "navigate" && url.search) return null; // not a shell file's URL
  return path;
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      // All or nothing: fetch every file before keeping any, so a failed download leaves the
      // version in force alone. A `?v=<content hash>` URL names one file's bytes, kept a year
      // by the HTTP cache: after an upgrade only the files that changed are downloaded.
      const answers = await Promise.all(
        Object.entries(files).map(async ([file, hash]) => {
          const response = await fetch(`/${file}?v=${hash}`);
          if (!response.ok) throw new Error(`${file}: HTTP ${response.status}`);
          return [`/${file}`, response];
        }),
      );
      const cache = await caches.open(CACHE);
      await Promise.all(answers.map(([path, response]) => cache.put(path, response)));
      // On-demand files an older shell kept, unchanged: still there offline after an upgrade.
      for (const key of ON_DEMAND_KEYS.values()) {
        const kept = await caches.match(key);
        if (kept) await cache.put(key, kept);
      }
      await self.skipWaiting(); // the next page load is the new version
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names.filter((name) => name.startsWith(SHELL_PREFIX) && name !== CACHE).map((name) => caches.delete(name)),
      );
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const path = shellPath(event.request);
  if (!path) return; // the network, as without a worker
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const key = ON_DEMAND_KEYS.get(path);
      if (!key) return (await cache.match(path)) || fetch(event.request);
      const kept = await cache.match(key);
      if (kept) return kept;
      const answer = await fetch(key);
      if (answer.ok) await cache.put(key, answer.clone());
      return answer;
    })(),
  );
});
