"""Every string a handheld page shows is there in zh-CN and English, where the page loads it.

Shared strings are in `handheld_web/js/i18n.js`; a page's own strings are in
`handheld_web/js/strings/<module>.js`, which only that page loads (so a page does not
download every other page's words). A page may use a key from the shared strings or from
its own file; a shared module (the scan field, the outbox…) only from the shared strings,
because it runs on every page. Keys are read from the source: `t("…")` calls, the
`data-i18n*` attributes of the page's HTML and the prefixes of built keys
(`` `order.state.${…}` ``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "handheld_web"
JS = ROOT / "js"
SHARED_TEXTS = JS / "i18n.js"
# One entry: `  "key": {` up to the next entry or the end of the block.
ENTRY = re.compile(r'^  "([^"]+)": \{(.*?)(?=^  "[^"]+": \{|^\}\)?;)', re.M | re.S)
# A text is a non-empty string, or for counted things one text per plural category.
TEXT = r'\b{lang}: (?:"[^"]+"|\{{\s*one: "[^"]+",\s*other: "[^"]+",?(?: by: "\w+")?\s*\}})'
CALLED = re.compile(r'\bt\(\s*"([^"]+)"')
BUILT = re.compile(r"`([a-z]\w*\.[\w.]*)\$\{")  # `order.state.${…}`, whoever calls t()
ATTRIBUTE = re.compile(r'data-i18n(?:-[\w-]+)?="([^"]+)"')
IMPORTED = re.compile(r'(?:from|import) "\./([\w/-]+)\.js"')
SCRIPT = re.compile(r'<script type="module" src="js/([\w-]+)\.js"')


@dataclass(frozen=True)
class Page:
    html: Path
    module: str  # the page's own script, e.g. "receiving"
    modules: frozenset[str]  # every local module it loads, its own included


def texts_in(path: Path) -> dict[str, str]:
    source = path.read_text(encoding="utf-8")
    opening = "const TEXTS = {\n" if path == SHARED_TEXTS else "addTexts({\n"
    start = source.index(opening)
    block = source[start + len(opening) - 2 :]
    return {key: body for key, body in ENTRY.findall(block)}


def page_strings_file(module: str) -> Path:
    return JS / "strings" / f"{module}.js"


def loaded_modules(module: str) -> frozenset[str]:
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        path = JS / f"{name}.js"
        if name in seen or not path.exists() or name.startswith("strings/"):
            continue
        seen.add(name)
        todo += IMPORTED.findall(path.read_text(encoding="utf-8"))
    return frozenset(seen)


@cache
def pages() -> tuple[Page, ...]:
    found = []
    for html in sorted(ROOT.glob("*.html")):
        script = SCRIPT.search(html.read_text(encoding="utf-8"))
        assert script, f"{html.name} loads no page module"
        found.append(Page(html, script.group(1), loaded_modules(script.group(1))))
    return tuple(found)


def is_shared(module: str) -> bool:
    """A module more than one page loads."""
    return sum(module in page.modules for page in pages()) > 1


def keys_used(source: str) -> tuple[set[str], set[str]]:
    """The keys `source` asks for by name, and the prefixes of those it builds."""
    return set(CALLED.findall(source)), set(BUILT.findall(source))


def complete(body: str) -> bool:
    return all(re.search(TEXT.format(lang=lang), body) for lang in ("zh", "en"))


def test_the_reader_finds_pages_keys_and_texts() -> None:
    # Guards the regular expressions: if they found nothing, the checks below would pass.
    found = {page.html.name: page for page in pages()}
    assert {"index.html", "receiving.html", "dock.html"} <= set(found)
    assert {"receiving", "scan-input", "i18n", "shell"} <= found["receiving.html"].modules
    shared = texts_in(SHARED_TEXTS)
    assert len(shared) > 100 and complete(shared["scan.ok"])
    receiving = texts_in(page_strings_file("receiving"))
    assert len(receiving) > 20
    called, built = keys_used((JS / "orders.js").read_text(encoding="utf-8"))
    assert "order.state." in built and called
    assert not complete('zh: "批次", en: ""')
    assert complete(
        'zh: "包裹 {count} 个", en: { one: "{count} parcel", other: "{count} parcels" }'
    )


def test_every_page_has_each_key_it_uses_in_both_languages() -> None:
    shared = texts_in(SHARED_TEXTS)
    problems = []
    for page in pages():
        own_file = page_strings_file(page.module)
        own = texts_in(own_file) if own_file.exists() else {}
        available = shared | own
        called: set[str] = set(ATTRIBUTE.findall(page.html.read_text(encoding="utf-8")))
        built: set[str] = set()
        for module in page.modules:
            module_called, module_built = keys_used((JS / f"{module}.js").read_text("utf-8"))
            if is_shared(module):
                # Runs on every page: its words must be in the shared strings.
                problems += [f"{module}.js: {k} not shared" for k in module_called - set(shared)]
            called |= module_called
            built |= module_built
        problems += [f"{page.html.name}: no text for {k}" for k in sorted(called - set(available))]
        problems += [
            f"{page.html.name}: no text starting {p}"
            for p in sorted(built)
            if not any(k.startswith(p) for k in available)
        ]
    assert problems == []


def test_every_text_is_there_in_both_languages_and_defined_once() -> None:
    shared = texts_in(SHARED_TEXTS)
    problems = [f"i18n.js: {k} lacks zh or en" for k, body in shared.items() if not complete(body)]
    for path in sorted((JS / "strings").glob("*.js")):
        own = texts_in(path)
        assert own, f"{path.name} has no strings"
        problems += [f"{path.name}: {k} lacks zh or en" for k, b in own.items() if not complete(b)]
        problems += [f"{path.name}: {k} is shared already" for k in own if k in shared]
    assert problems == []


def test_a_page_strings_file_belongs_to_a_page_that_loads_it_and_uses_its_keys() -> None:
    by_module = {page.module: page for page in pages()}
    problems = []
    for path in sorted((JS / "strings").glob("*.js")):
        page = by_module.get(path.stem)
        if page is None:
            problems.append(f"{path.name}: no page of that name")
            continue
        script = (JS / f"{page.module}.js").read_text(encoding="utf-8")
        if f'import "./strings/{page.module}.js";' not in script:
            problems.append(f"{page.module}.js does not load {path.name}")
        # A key nobody on the page asks for is a dead string, or sits in the wrong file.
        source = page.html.read_text(encoding="utf-8") + "".join(
            (JS / f"{m}.js").read_text(encoding="utf-8") for m in page.modules
        )
        built = {p for m in page.modules for p in keys_used((JS / f"{m}.js").read_text())[1]}
        for key in texts_in(path):
            if f'"{key}"' not in source and not any(key.startswith(p) for p in built):
                problems.append(f"{path.name}: {key} is not used by {page.html.name}")
    assert problems == []


def test_the_pages_keep_no_names_of_charges_their_categories_or_units() -> None:
    """Those come from the server (GET /api/v1/billing/charge-codes, js/charge-names.js),
    which keeps them once beside the charge types for the pages and the statement PDF alike
    (tests/billing/test_charge_names.py checks both languages there): a copy here would
    drift from the PDF."""
    moved = ("bill.charge.", "bill.category.", "bill.unit.")
    files = [SHARED_TEXTS, *sorted((JS / "strings").glob("*.js"))]
    copies = [f"{f.name}: {key}" for f in files for key in texts_in(f) if key.startswith(moved)]
    assert copies == []


def test_no_form_of_the_handheld_submits_natively() -> None:
    """An Enter before a page's script has started must not send the form as a page load:
    it would lose the scan, and a login form would put the PIN in the address. A form
    with method="dialog" outside a dialog does nothing on its own; the script handles it."""
    root = Path(__file__).resolve().parent.parent / "handheld_web"
    for page in sorted(root.glob("*.html")):
        for form in re.findall(r"<form\b[^>]*>", page.read_text(encoding="utf-8")):
            assert 'method="dialog"' in form, f"{page.name}: {form}"
