// The home menu: one row per tile. A tile shows to users holding one of its roles
// (`roles: null` = everyone); `ready: false` shows it greyed out as "coming soon".
// When a flow is built, set `ready: true` and give its page in `href`.

export const MENU = [
  // Supervisors see the inbound tiles too: they accept mismatching arrivals and help out.
  {
    id: "receiving",
    label: "menu.receiving",
    roles: ["receiver", "supervisor", "admin"],
    href: "receiving.html",
    ready: true,
  },
  {
    id: "putaway",
    label: "menu.putaway",
    roles: ["putaway", "supervisor", "admin"],
    href: "putaway.html",
    ready: true,
  },
  // Moves between locations by scan; quarantine and inspection only for supervisors.
  {
    id: "move",
    label: "menu.move",
    roles: ["putaway", "supervisor", "admin"],
    href: "move.html",
    ready: true,
  },
  // Supervisors pick and pack too when a wave runs late; the orders page is theirs.
  {
    id: "picking",
    label: "menu.picking",
    roles: ["picker", "supervisor", "admin"],
    href: "picking.html",
    ready: true,
  },
  {
    id: "packing",
    label: "menu.packing",
    roles: ["packer", "supervisor", "admin"],
    href: "packing.html",
    ready: true,
  },
  // The printer station: the printers' state and queues, reprints. Packers reprint a
  // spoilt label themselves; only supervisors send a failed job again.
  {
    id: "printers",
    label: "menu.printers",
    roles: ["packer", "supervisor", "admin"],
    href: "printers.html",
    ready: true,
  },
  // Location labels for a zone, a range or a list: whoever sets up the floor.
  {
    id: "labels",
    label: "menu.labels",
    roles: ["supervisor", "admin"],
    href: "labels.html",
    ready: true,
  },
  // A station's own screen: the live scans of its fixed scanner, the order open at a
  // bench (weighed and packed here), a parcel's labels at the printer station.
  {
    id: "station",
    label: "menu.station",
    roles: ["packer", "dock", "supervisor", "admin"],
    href: "station.html",
    ready: true,
  },
  {
    id: "orders",
    label: "menu.orders",
    roles: ["supervisor", "admin"],
    href: "orders.html",
    ready: true,
  },
  // Dock check-out on a handheld (supervisors take parcels off a list there), and the
  // door's big screen: a TV at the dock logged in as the dock or a supervisor.
  {
    id: "dock",
    label: "menu.dock",
    roles: ["dock", "supervisor", "admin"],
    href: "dock.html",
    ready: true,
  },
  {
    id: "dock_screen",
    label: "menu.dock_screen",
    roles: ["dock", "supervisor", "admin"],
    href: "dock-screen.html",
    ready: true,
  },
  // The OMS link: what waits to be sent, the last error, an event the OMS refused
  // (delivery stops there until a supervisor retries it or skips it with a reason).
  // Cycle counts: counters count blind; supervisors also decide the differences there.
  {
    id: "count",
    label: "menu.count",
    roles: ["counter", "supervisor", "admin"],
    href: "count.html",
    ready: true,
  },
  {
    id: "sync",
    label: "menu.sync",
    roles: ["supervisor", "admin"],
    href: "sync.html",
    ready: true,
  },
  // Trace: the history of a SKU, lot, location, order, parcel or user, and where stock went.
  {
    id: "trace",
    label: "menu.trace",
    roles: ["supervisor", "admin"],
    href: "trace.html",
    ready: true,
  },
  // Billing the cargo owners: periods, statements (A4 and CSV) and tariffs; managers only.
  {
    id: "billing",
    label: "menu.billing",
    roles: ["supervisor", "admin"],
    href: "billing.html",
    ready: true,
  },
  {
    id: "supervisor",
    label: "menu.supervisor",
    roles: ["supervisor", "admin"],
    href: "supervisor.html",
    ready: true,
  },
  // Users (roles, language, PIN, badge) and the station and OMS tokens.
  {
    id: "admin",
    label: "menu.admin",
    roles: ["admin"],
    href: "admin.html",
    ready: true,
  },
  // Everyone but counters, who count blind (the server refuses them the lookup too).
  {
    id: "stock",
    label: "menu.stock",
    roles: ["receiver", "putaway", "picker", "packer", "dock", "supervisor", "admin"],
    href: "stock.html",
    ready: true,
  },
];

/** The tiles a user with these roles sees, in menu order. */
export function tilesFor(roles) {
  return MENU.filter((tile) => tile.roles === null || tile.roles.some((r) => roles.includes(r)));
}
