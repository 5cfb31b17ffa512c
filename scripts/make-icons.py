"""Draws Orchard's app and tray icons (an apple with a leaf on a rounded green tile) with Pillow and writes
every size the packages need: resources/icons/NxN.png (Linux), icon.png, icon.icns (macOS), tray/*.png.
Run with the sidecar's venv: inference-sidecar/.venv/bin/python scripts/make-icons.py"""
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent / "resources"
S = 1024


def app_icon() -> Image.Image:
    im = Image.new("RGBA", (S, S), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    # Tile: a deep green rounded square with a lighter band (macOS-style margins).
    d.rounded_rectangle((64, 64, S - 64, S - 64), radius=200, fill=(28, 92, 58, 255))
    d.rounded_rectangle((64, 64, S - 64, 430), radius=200, fill=(40, 120, 76, 255))
    d.rectangle((64, 300, S - 64, 430), fill=(40, 120, 76, 255))
    # Apple: two overlapping circles and a bottom notch.
    red, shade = (222, 62, 52, 255), (186, 40, 36, 255)
    d.ellipse((250, 330, 560, 790), fill=shade)
    d.ellipse((464, 330, 774, 790), fill=red)
    d.ellipse((300, 320, 724, 800), fill=red)
    d.ellipse((470, 300, 554, 380), fill=(40, 120, 76, 255))
    # Stem and leaf.
    d.rounded_rectangle((497, 190, 527, 360), radius=14, fill=(92, 58, 30, 255))
    d.ellipse((530, 190, 700, 280), fill=(120, 200, 90, 255))
    # Highlight.
    d.ellipse((360, 420, 430, 560), fill=(255, 255, 255, 90))
    return im


def tray_icon(px: int) -> Image.Image:
    # Monochrome silhouette (black + alpha) so macOS can tint it as a template image.
    big = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    d = ImageDraw.Draw(big)
    d.ellipse((28, 70, 148, 236), fill=(0, 0, 0, 255))
    d.ellipse((108, 70, 228, 236), fill=(0, 0, 0, 255))
    d.rounded_rectangle((120, 20, 136, 90), radius=8, fill=(0, 0, 0, 255))
    d.ellipse((140, 22, 210, 62), fill=(0, 0, 0, 255))
    return big.resize((px, px), Image.LANCZOS)


def main() -> None:
    icon = app_icon()
    (ROOT / "icons").mkdir(parents=True, exist_ok=True)
    (ROOT / "tray").mkdir(parents=True, exist_ok=True)
    for n in (16, 24, 32, 48, 64, 128, 256, 512, 1024):
        icon.resize((n, n), Image.LANCZOS).save(ROOT / "icons" / f"{n}x{n}.png")
    icon.save(ROOT / "icon.png")
    icon.save(ROOT / "icon.icns", sizes=[(16, 16), (32, 32), (64, 64), (128, 128), (256, 256), (512, 512), (1024, 1024)])
    tray_icon(16).save(ROOT / "tray" / "trayTemplate.png")
    tray_icon(32).save(ROOT / "tray" / "trayTemplate@2x.png")


if __name__ == "__main__":
    main()
