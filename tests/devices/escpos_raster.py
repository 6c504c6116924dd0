"""Read the raster images back out of ESC/POS bytes (for tests).

Finds every `GS v 0` block (1D 76 30 m xL xH yL yH, then xL+256·xH bytes per row for
yL+256·yH rows, 1 bit per dot, most significant bit first, 1 = printed dot) and rebuilds
the bitmap. Consecutive blocks of the same width are the bands of one tall image (
python-escpos splits images taller than 960 dots) and are stitched together vertically;
a block of another width, or any other command between two blocks, starts a new image.
"""

from __future__ import annotations

from PIL import Image, ImageOps

GS_V_0 = b"\x1dv0"


def _bands(data: bytes) -> list[tuple[int, int, int, Image.Image]]:
    """(start, end, width in bytes, band) for every GS v 0 block, in order."""
    bands = []
    pos = 0
    while True:
        start = data.find(GS_V_0, pos)
        if start < 0:
            return bands
        header = data[start + 3 : start + 8]
        if len(header) < 5:
            raise ValueError(f"truncated GS v 0 header at byte {start}")
        _mode, xl, xh, yl, yh = header
        width_bytes, rows = xl + 256 * xh, yl + 256 * yh
        body_start = start + 8
        end = body_start + width_bytes * rows
        if end > len(data):
            raise ValueError(f"truncated GS v 0 raster at byte {start}")
        # Raster bit 1 = printed dot; PIL's mode "1" bit 1 = white: invert.
        raw = Image.frombytes("1", (width_bytes * 8, rows), data[body_start:end])
        band = ImageOps.invert(raw.convert("L")).convert("1")
        bands.append((start, end, width_bytes, band))
        pos = end  # never look for a header inside raster data


def raster_images(data: bytes) -> list[Image.Image]:
    """The images printed by the GS v 0 blocks in `data` (mode "1", black = dot)."""
    groups: list[list[Image.Image]] = []
    last_end, last_width = -1, -1
    for start, end, width_bytes, band in _bands(data):
        if start == last_end and width_bytes == last_width and groups:
            groups[-1].append(band)
        else:
            groups.append([band])
        last_end, last_width = end, width_bytes
    images = []
    for bands in groups:
        image = Image.new("1", (bands[0].width, sum(b.height for b in bands)), 1)
        y = 0
        for band in bands:
            image.paste(band, (0, y))
            y += band.height
        images.append(image)
    return images
