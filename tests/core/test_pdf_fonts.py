"""Names written with rare characters (CJK Extension B and later) print as themselves on PDFs, not as boxes:
the PDF stylesheet falls back from Noto CJK to HanaMin (Debian fonts-hanazono), which is embedded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nrcms.core.pdf import PDF_CSS, PDF_FONT_FAMILY

sys.path.insert(0, str(Path(__file__).parents[1] / "registry"))
from people_factory import person  # noqa: E402

RARE = "𠀀"  # U+20000, CJK Unified Ideographs Extension B; Noto CJK SC has no glyph for it


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def test_the_pdf_font_family_falls_back_from_noto_to_hanamin():
    families = [f.strip().strip('"') for f in PDF_FONT_FAMILY.split(",")]
    assert families[0] == "Noto Sans CJK SC"
    assert families.index("HanaMinB") > families.index("Noto Serif CJK SC")
    assert PDF_FONT_FAMILY in PDF_CSS


def test_a_font_on_this_machine_covers_extension_b():
    families = _run("fc-list", ":charset=20000", "family")
    assert "HanaMinB" in families, "缺少覆盖 CJK 扩展 B 的字体：请安装 Debian 软件包 fonts-hanazono"


@pytest.mark.django_db
def test_a_certificate_for_a_person_named_with_a_rare_character_embeds_the_glyph(demo, tmp_path):
    from nrcms.registry.certificate_pdf import certificate_pdf
    from nrcms.registry.enrollment import certificate_issue, household_enroll
    from nrcms.registry.models import Region
    from nrcms.registry.people import household_register

    clerk = demo["ganting"]
    household = household_register(
        actor=clerk, region=Region.objects.get(code="610125100201001"), address="东韩村一组 8 号",
        head=person(f"王{RARE}", "head"), members=[person(f"李{RARE}明", "spouse", sex="F")])
    household_enroll(actor=clerk, household=household, scheme_year=2026)
    pdf = certificate_pdf(certificate_issue(actor=clerk, household=household), scheme_year=2026)
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)

    fonts = _run("pdffonts", str(path))
    assert "HanaMin" in fonts, fonts
    text = _run("pdftotext", "-enc", "UTF-8", str(path), "-")
    assert f"王{RARE}" in text and f"李{RARE}明" in text
