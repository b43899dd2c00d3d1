"""Make the CJK font the PDF export embeds: Noto Sans CJK SC, cut to the characters a checklist needs.

Input: Debian's fonts-noto-cjk (NotoSansCJK-{Regular,Bold}.ttc, face "Noto Sans CJK SC").
Kept: all of GB 2312 (6,763 hanzi and its symbols), ASCII and Latin-1, general punctuation,
arrows, CJK symbols and full-width forms, and every character of the shipped rule base and of the
source code (so every text pathways itself prints is covered). Outlines are converted from CFF to
TrueType (quadratic) because PDF text extraction (pdfminer, poppler) reads fpdf2's TrueType
embedding reliably. Hinting is dropped (it is not used in PDF). SIL Open Font License 1.1: see OFL.txt.

    python tools/make_cjk_font.py /usr/share/fonts/opentype/noto src/pathways/_fonts
"""
import pathlib
import sys

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, newTable

ROOT = pathlib.Path(__file__).resolve().parent.parent


def wanted() -> set[str]:
    chars: set[str] = set()
    for b1 in range(0xA1, 0xF8):
        for b2 in range(0xA1, 0xFF):
            try:
                chars.add(bytes([b1, b2]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    for pattern, folder in (("*.yaml", ROOT / "rules"), ("*.py", ROOT / "src")):
        for path in folder.rglob(pattern):
            chars.update(path.read_text(encoding="utf-8"))
    for lo, hi in ((0x20, 0x7F), (0xA0, 0x180), (0x2000, 0x2070), (0x2190, 0x2200), (0x2460, 0x2500),
                   (0x25A0, 0x2600), (0x2610, 0x2614), (0x3000, 0x3040), (0xFF00, 0xFFF0)):
        chars.update(chr(c) for c in range(lo, hi))
    return {c for c in chars if c.isprintable() or c == " "}


def to_truetype(font) -> None:
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    del font["CFF "]
    for table in ("VORG", "vhea", "vmtx"):
        if table in font:
            del font[table]
    glyf.compile(font)
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, attr, 1 if attr == "maxZones" else 0)
    post = font["post"]
    post.formatType, post.extraNames, post.mapping, post.glyphOrder = 2.0, [], {}, order
    font.sfntVersion = "\000\001\000\000"


def main(source: str, target: str) -> None:
    chars = wanted()
    for weight in ("Regular", "Bold"):
        collection = TTCollection(str(pathlib.Path(source) / f"NotoSansCJK-{weight}.ttc"))
        font = next(f for f in collection.fonts if f["name"].getDebugName(4).startswith("Noto Sans CJK SC"))
        cmap = font.getBestCmap()
        options = subset.Options()
        options.hinting = False
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.layout_features = []
        sub = subset.Subsetter(options)
        sub.populate(unicodes=sorted(ord(c) for c in chars if ord(c) in cmap))
        sub.subset(font)
        to_truetype(font)
        out = pathlib.Path(target) / f"NotoSansCJKsc-{weight}-subset.ttf"
        font.save(str(out))
        print(out, out.stat().st_size, "bytes,", len(font.getBestCmap()), "characters")


if __name__ == "__main__":
    main(*sys.argv[1:3])
