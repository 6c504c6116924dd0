// The names of the charges, their categories and units, as the server gives them
// (GET /api/v1/billing/charge-codes): server/billing/charges.py keeps each once, in Chinese
// and English, for these pages and the statement PDF alike, so the two cannot disagree.
// Each is said in the page's language; a code the answer does not name shows as itself.

import { pick } from "./i18n.js";

/** `codes`: the charge-codes answer. */
export function chargeNames(codes) {
  const charges = new Map(codes.map((c) => [c.code, c.name]));
  const categories = new Map(codes.map((c) => [c.category, c.category_name]));
  const units = new Map(codes.map((c) => [c.unit, c.unit_name]));
  return {
    charge: (code) => pick(charges.get(code), code),
    category: (category) => pick(categories.get(category), category),
    unit: (unit) => pick(units.get(unit), unit),
  };
}
