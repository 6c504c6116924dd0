"""`bondfloor check-config` refuses a bad face-sheet layout, naming the file and the
element, and a courier mapped to a layout that does not exist."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from devices.label_layouts import SHIPPED_DIR, load_layouts, pick_layout
from server.config import check_config_file

BONDFLOOR = str(Path(sys.executable).parent / "bondfloor")

GOOD_ELEMENTS = """
  { kind = "text", id = "courier", text = "{courier}", x = 2, y = 2, w = 60, h = 8, size = 5 },
  { kind = "code128", id = "waybill", x = 2, y = 12, w = 72, h = 14 },
  { kind = "qr", x = 2, y = 40, size = 22 },
"""


def layout_file(folder: Path, name: str, elements: str, head: str = "") -> Path:
    width, height = name.split("_")[-1].removesuffix(".toml").split("x")
    path = folder / name
    path.write_text(
        f"width_mm = {width}\nheight_mm = {height}\n{head}elements = [{elements}]\n",
        encoding="utf-8",
    )
    return path


def config(tmp_path: Path, extra: str = "", dpi: int = 203) -> Path:
    layouts = tmp_path / "layouts"
    layouts.mkdir(exist_ok=True)
    path = tmp_path / "site.toml"
    path.write_text(
        f'[printing]\nlayouts_dir = "{layouts}"\n{extra}\n'
        f'[[printers]]\nname = "p1"\nkind = "file"\ndpi = {dpi}\n',
        encoding="utf-8",
    )
    return path


def errors_of(path: Path) -> str:
    return "\n".join(check_config_file(path))


def test_good_site_layouts_pass_and_the_shipped_ones_pass_at_every_resolution(
    tmp_path: Path,
) -> None:
    for dpi in (203, 300):
        path = config(tmp_path, dpi=dpi)
        layout_file(tmp_path / "layouts", "kerry_76x130.toml", GOOD_ELEMENTS)
        assert check_config_file(path) == []


@pytest.mark.parametrize(
    ("elements", "head", "expected"),
    [
        # Not TOML at all.
        ("{ kind = ", "", "not valid TOML"),
        # A template naming a field the label does not have.
        (
            GOOD_ELEMENTS + '{ kind = "text", id = "bad", text = "{recipient.nmae}", '
            "x = 2, y = 70, w = 60, h = 6, size = 3 },",
            "",
            "element 4 (text bad): unknown field 'recipient.nmae'",
        ),
        # A key the element does not know.
        (
            GOOD_ELEMENTS + '{ kind = "rule", id = "line", x = 0, y = 70, w = 76, colour = 1 },',
            "",
            "element 4 (rule line): Object contains unknown field `colour`",
        ),
        # An element running off the label.
        (
            GOOD_ELEMENTS + '{ kind = "qr", id = "big", x = 60, y = 70, size = 22 },',
            "",
            "element 4 (qr big): reaches 82×92 mm, outside the 76×130 mm label",
        ),
        # A kind there is none of.
        (GOOD_ELEMENTS + '{ kind = "logo", x = 0, y = 0 },', "", "element 4 (logo)"),
        # A two-part layout without the stub's own barcode.
        (GOOD_ELEMENTS, "stub_at_mm = 100\n", "a waybill Code128 in the main part and in the stub"),
        # A Code128 of a field that is not ASCII (every pack would be refused at the bench).
        (
            GOOD_ELEMENTS + '{ kind = "code128", id = "name", x = 2, y = 70, w = 72, h = 14, '
            'text = "{recipient.name}" },',
            "",
            "element 4 (code128 name): a Code128 carries {waybill_no} or {order_no}",
        ),
        # A Code128 of nothing.
        (
            GOOD_ELEMENTS + '{ kind = "code128", id = "none", x = 2, y = 70, w = 72, h = 14, '
            'text = "" },',
            "",
            "element 4 (code128 none): a Code128 carries {waybill_no} or {order_no}",
        ),
        # A text box no line fits in, at its smallest size.
        (
            GOOD_ELEMENTS + '{ kind = "text", id = "big", text = "{order_no}", x = 2, y = 70, '
            "w = 60, h = 5, size = 100, min_size = 90 },",
            "",
            "element 4 (text big): a line of min_size 90 mm does not fit its 5 mm height",
        ),
        (
            GOOD_ELEMENTS + '{ kind = "text", id = "flat", text = "{order_no}", x = 2, y = 70, '
            "w = 0, h = 5, size = 3 },",
            "",
            "element 4 (text flat): a text box needs a width and a height",
        ),
        # A QR square too small for the smallest QR code at a scannable module.
        (
            GOOD_ELEMENTS + '{ kind = "qr", id = "dot", x = 2, y = 70, size = 1 },',
            "",
            "element 4 (qr dot): a 1 mm QR square is too small",
        ),
    ],
    ids=[
        "toml",
        "field",
        "key",
        "outside",
        "kind",
        "stub",
        "c128-name",
        "c128-empty",
        "text-tall",
        "text-flat",
        "qr-tiny",
    ],
)
def test_a_bad_layout_is_refused_naming_file_and_element(
    tmp_path: Path, elements: str, head: str, expected: str
) -> None:
    path = config(tmp_path)
    bad = layout_file(tmp_path / "layouts", "kerry_76x130.toml", elements, head)
    errors = errors_of(path)
    assert f"printing.layouts_dir: {bad}:" in errors
    assert expected in errors


def test_a_code128_too_narrow_for_the_resolution_is_refused(tmp_path: Path) -> None:
    narrow = GOOD_ELEMENTS.replace("w = 72, h = 14", "w = 40, h = 14")
    (tmp_path / "layouts").mkdir()
    layout_file(tmp_path / "layouts", "kerry_76x130.toml", narrow)
    # 40 mm holds a 21-character waybill at 2 dots a module at 300 dpi, not at 203.
    assert check_config_file(config(tmp_path, dpi=300)) == []
    errors = errors_of(config(tmp_path, dpi=203))
    assert "kerry_76x130.toml: element 2 (code128 waybill): a 40 mm Code128 is too narrow" in errors
    assert "modules of 1 dot(s), a scanner needs 2" in errors


def test_a_file_named_unlike_its_size_is_refused(tmp_path: Path) -> None:
    path = config(tmp_path)
    bad = layout_file(tmp_path / "layouts", "kerry_76x130.toml", GOOD_ELEMENTS)
    bad.rename(tmp_path / "layouts" / "kerry_100x180.toml")
    assert "says 76×130 mm but is named 100x180" in errors_of(path)


def test_a_courier_mapped_to_a_missing_layout_is_refused(tmp_path: Path) -> None:
    path = config(tmp_path, 'courier_layouts = { SF = "sf", YD = "yunda" }')
    errors = errors_of(path)
    assert "printing.courier_layouts.YD: no layout 'yunda'" in errors
    assert "courier_layouts.SF" not in errors
    # Once the site has a yunda layout, the map is good.
    layout_file(tmp_path / "layouts", "yunda_76x130.toml", GOOD_ELEMENTS)
    assert check_config_file(path) == []


def test_a_missing_layouts_dir_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(f'[printing]\nlayouts_dir = "{tmp_path / "nowhere"}"\n')
    assert "the layouts directory does not exist" in errors_of(path)


def test_a_site_layout_overrides_the_shipped_one_of_its_name(tmp_path: Path) -> None:
    folder = tmp_path / "layouts"
    folder.mkdir()
    shipped = (SHIPPED_DIR / "sf_76x130.toml").read_text(encoding="utf-8")
    (folder / "sf_76x130.toml").write_text(
        shipped.replace('description = "SF Express, one part"', 'description = "ours"'),
        encoding="utf-8",
    )
    layout = pick_layout("sf", 76, 130, str(folder))
    assert layout.description == "ours"
    assert layout.source == str(folder / "sf_76x130.toml")
    # The other shipped layouts are still there.
    assert ("sf", 100, 180) in load_layouts(str(folder))


def test_check_config_command_refuses_a_bad_layout(tmp_path: Path) -> None:
    path = config(tmp_path)
    layout_file(
        tmp_path / "layouts",
        "kerry_76x130.toml",
        GOOD_ELEMENTS
        + '{ kind = "text", id = "x", text = "{nope}", x = 0, y = 0, w = 9, h = 9, size = 3 },',
    )
    done = subprocess.run([BONDFLOOR, "check-config", str(path)], capture_output=True, text=True)
    assert done.returncode == 1
    assert "kerry_76x130.toml: element 4 (text x): unknown field 'nope'" in done.stderr


def test_a_printer_size_that_squeezes_a_barcode_too_thin_is_refused(tmp_path: Path) -> None:
    layouts = tmp_path / "layouts"
    layouts.mkdir()
    path = tmp_path / "site.toml"
    # No layout is made for a 70 mm wide label: a family's 76×130 one is squeezed to it.
    path.write_text(
        f'[printing]\nlayouts_dir = "{layouts}"\n'
        '[[printers]]\nname = "p1"\nkind = "file"\nlabel_width_mm = 70\nlabel_height_mm = 130\n',
        encoding="utf-8",
    )
    # 49 mm holds a 21-character waybill (189 modules) at 2 dots a module, 45 mm not.
    narrow = GOOD_ELEMENTS.replace("w = 72, h = 14", "w = 49, h = 14")
    layout_file(layouts, "kerry_76x130.toml", narrow)
    assert check_config_file(path) == []  # kerry is not mapped to a courier yet
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "[[printers]]", 'courier_layouts = { KERRY = "kerry" }\n[[printers]]'
        ),
        encoding="utf-8",
    )
    errors = errors_of(path)
    assert "printers[0]: kerry layout stretched to 70×130 mm: element 2 (code128 waybill)" in errors
