"""Manual-claim receipts as Excel writes them: typed on the page's rows with thousands separators, ￥ and
full-width digits, or read from a bill file (.csv saved by Excel, .xlsx); every refusal names its row and
column."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from test_manual import referral, today, xian  # noqa: F401  (fixtures)

from nrcms.claims.manual import ReceiptLine
from nrcms.claims.manual_bill import parse_receipt_file
from nrcms.claims.models import ManualClaim
from nrcms.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db

EXPECTED = [ReceiptLine("甲类费用合计", Decimal("3000.00"), "A", None, ""),
            ReceiptLine("乙类费用合计", Decimal("5000.00"), "B", Decimal("0.2"), ""),
            ReceiptLine("丙类费用合计", Decimal("1000.00"), "C", None, "")]
BILL_CSV = "\r\n".join([
    "项目名称,目录分类,先行自付比例,金额",
    '甲类费用合计,甲类,,"￥3,000.00"',
    "乙类费用合计,乙,20%,５０００．００",
    '丙类费用合计,丙类,,"1,000.00"',
]) + "\r\n"


def bill_workbook() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["某某医院住院收费票据"])
    sheet.append(["项目名称", "金额", "目录分类", "先行自付比例"])
    sheet.append(["甲类费用合计", 3000.0, "甲", None])
    sheet.append(["乙类费用合计", 4999.99 + 0.01, "乙类", 0.2])
    sheet.append(["丙类费用合计", "￥1,000.00", "C", ""])
    for row in sheet.iter_rows(min_row=3):
        row[1].number_format = '"￥"#,##0.00'
    content = io.BytesIO()
    book.save(content)
    return content.getvalue()


def claim_post(family, **rows):
    post = {"id_number": family.head.id_number, "facility_code": "H610100001", "admission_date": "2026-05-10",
            "discharge_date": "2026-05-20", "papers_received_on": "2026-05-30", "diagnosis_code": "I21.9",
            "diagnosis_name": "急性心肌梗死", "referral_number": "ZZ2026-0001", "idempotency_key": "bill-1"}
    post.update(rows)
    return post


def test_a_bill_csv_saved_by_excel_is_read():
    assert parse_receipt_file("票据.csv", BILL_CSV.encode("gbk")) == EXPECTED


def test_a_bill_workbook_is_read_with_a_title_row():
    assert parse_receipt_file("票据.xlsx", bill_workbook()) == EXPECTED


def test_bad_bill_cells_are_named_by_row_and_column():
    bad = "项目名称,目录分类,先行自付比例,金额\n药费,丁类,,100\n乙类药,乙类,120%,\"1,00.00\"\n"
    with pytest.raises(ValidationFailed) as exc:
        parse_receipt_file("票据.csv", bad.encode("gbk"))
    assert [d["message"] for d in exc.value.details] == [
        "第 2 行“目录分类”列：“丁类”不是目录分类（应为甲类、乙类或丙类，或留空并填写目录编码）",
        "第 3 行“先行自付比例”列：先行自付比例“120%”应在 0 与 1 之间（如 0.2 或 20%）",
        "第 3 行“金额”列：“1,00.00”不是有效的金额（如 1250、1250.00、1,250.00、￥1,250.00；千分位逗号须每三位一个）",
    ]


def test_a_bill_without_the_amount_column_is_refused():
    with pytest.raises(ValidationFailed, match="缺少列：金额"):
        parse_receipt_file("票据.csv", "项目名称,目录分类\n药费,甲类\n".encode())


def test_the_page_takes_amounts_as_excel_writes_them(client, login, family, referral, today):  # noqa: F811
    login("reviewer")
    response = client.post("/manual/new/", claim_post(
        family, **{"line-0-item_name": "甲类费用合计", "line-0-catalogue_class": "A", "line-0-amount": "￥3,000.00",
                   "line-1-item_name": "乙类费用合计", "line-1-catalogue_class": "B",
                   "line-1-first_self_pay_share": "２０％", "line-1-amount": "５，０００．００",
                   "line-2-item_name": "丙类费用合计", "line-2-catalogue_class": "C", "line-2-amount": "1,000"}))
    assert response.status_code == 302, response.content.decode()[:2000]
    claim = ManualClaim.objects.get(episode__person=family.head)
    assert sorted(c.amount for c in claim.episode.charges.all()) == [Decimal("1000.00"), Decimal("3000.00"),
                                                                     Decimal("5000.00")]


def test_the_page_names_the_bad_receipt_cell(client, login, family, referral, today):  # noqa: F811
    login("reviewer")
    html = client.post("/manual/new/", claim_post(
        family, **{"line-0-item_name": "甲类费用合计", "line-0-catalogue_class": "A", "line-0-amount": "3,00.00"}
    )).content.decode()
    assert "票据第 1 行“金额”列：“3,00.00”不是有效的金额" in html
    assert not ManualClaim.objects.filter(episode__person=family.head).exists()


def test_the_page_reads_a_bill_file_into_the_rows_then_records(client, login, family, referral, today):  # noqa: F811
    login("reviewer")
    post = claim_post(family, action="bill", bill=SimpleUploadedFile("票据.xlsx", bill_workbook()))
    html = client.post("/manual/new/", post).content.decode()
    assert "已从 票据.xlsx 读入 3 行票据明细" in html
    assert 'name="line-1-amount" value="5000.00"' in html and 'name="line-1-first_self_pay_share" value="0.2"' in html
    assert f'value="{family.head.id_number}"' in html  # what was typed above stays
    assert not ManualClaim.objects.exists()
    rows = {f"line-{i}-{k}": v for i, line in enumerate(EXPECTED) for k, v in (
        ("item_name", line.item_name), ("catalogue_class", line.catalogue_class), ("amount", str(line.amount)),
        ("first_self_pay_share", "" if line.first_self_pay_share is None else str(line.first_self_pay_share)))}
    assert client.post("/manual/new/", claim_post(family, **rows)).status_code == 302


def test_a_bad_bill_file_on_the_page_lists_its_cells(client, login, family, referral, today):  # noqa: F811
    login("reviewer")
    bad = SimpleUploadedFile("票据.csv", "项目名称,金额\n药费,abc\n".encode("gbk"))
    html = client.post("/manual/new/", claim_post(family, action="bill", bill=bad)).content.decode()
    assert "第 2 行“金额”列：“abc”不是有效的金额" in html
