"""The Word report template's tags, explained in Vietnamese for the officer.

Kept apart from :mod:`workbook_tools.report.document` (which fills the template
and re-exports :data:`TEMPLATE_GUIDE`) so that the plan writer can put the same
explanation into the plan's guide sheet ("Hướng dẫn") without loading pandas,
docxtpl or Jinja: ``wbt init`` writes that sheet.

:data:`TAG_GROUPS` is the guide as data (a heading, then each tag and what it
holds); :data:`TEMPLATE_GUIDE` is the same as text.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

#: The officer's template in the working folder's ``templates/``; the built-in one
#: (``workbook_tools/sample/``) has the same name.
OFFICER_TEMPLATE = "mau_bao_cao.docx"
#: ``wbt merge``'s option writing the Word report from the built-in template instead.
BUILTIN_OPTION = "--builtin-template"

GUIDE_TITLE = "Mẫu báo cáo Word (Nghị định 30/2020/NĐ-CP)"

GUIDE_INTRO = (
    f"Nếu thư mục làm việc có tệp templates/{OFFICER_TEMPLATE}, lệnh wbt merge ghi báo cáo "
    "Word theo tệp mẫu đó của xã; không có thì theo mẫu có sẵn của wbt. Mẫu có lỗi thì lệnh "
    "vẫn ghi báo cáo Excel và tệp JSON, không ghi báo cáo Word, và báo tên tệp, đoạn văn, thẻ "
    "sai và cách sửa; muốn ghi ngay báo cáo Word theo mẫu có sẵn thì chạy lại lệnh với "
    f"{BUILTIN_OPTION}.",
    "Tệp mẫu là một tệp Word (.docx) bình thường: sửa chữ, phông, lề bằng Word như mọi văn "
    "bản. Những chỗ trong dấu {{ … }} được thay bằng số liệu tổng hợp; dòng {%p for … %} … "
    "{%p endfor %} lặp lại đoạn văn ở giữa cho mỗi mục của danh sách; {%tr for … %} lặp lại "
    "một dòng của bảng. Giữ nguyên tên thẻ (chữ không dấu, nối bằng dấu gạch dưới); thẻ sai "
    "tên hay thiếu dấu đóng thì lệnh báo lỗi, nêu tên tệp và đoạn văn có thẻ đó.",
)


@dataclass(frozen=True, slots=True)
class TagGroup:
    """A heading of the guide and its tags: (how the tag is written, what it holds)."""

    heading: str
    tags: tuple[tuple[str, str], ...]


TAG_GROUPS: tuple[TagGroup, ...] = (
    TagGroup(
        "Thẻ chữ",
        (
            ("{{ xa }}", 'tên xã ("An Bình")'),
            ("{{ xa_in_hoa }}", 'tên xã viết hoa ("XÃ AN BÌNH")'),
            ("{{ so_ky_hieu }}", 'số, ký hiệu của báo cáo ("12/BC-UBND")'),
            ("{{ dia_danh_ngay }}", 'địa danh và ngày ký ("An Bình, ngày 18 tháng 6 năm 2025")'),
            ("{{ trich_yeu }}", 'trích yếu ("Kết quả thực hiện … 6 tháng đầu năm 2025")'),
            ("{{ ky }}", 'kỳ báo cáo ("6 tháng đầu năm 2025")'),
            ("{{ ke_hoach }}", "kế hoạch được báo cáo, ghi đủ số, ngày, tên"),
            ("{{ mo_dau }}", 'câu mở đầu ("Thực hiện Kế hoạch số … như sau:")'),
            ("{{ ngay_tong_hop }}", "thời điểm tổng hợp số liệu"),
            ("{{ so_muc_chi_tieu }}", "số thứ tự của mục bảng chỉ tiêu trong phần II"),
            ("{{ ket_thuc }}", 'câu kết ("Trên đây là báo cáo …./.")'),
            ("{{ gui }}", "cơ quan nhận báo cáo (mục report_to của kế hoạch)"),
            (
                "{{ doi_tuong }}",
                'các nơi báo cáo gọi chung: "thôn, đơn vị" (theo mục village_label của kế hoạch)',
            ),
            ("{{ tham_quyen_ky }}", '"TM. ỦY BAN NHÂN DÂN"'),
            ("{{ chuc_vu }}", 'chức vụ người ký ("CHỦ TỊCH")'),
            ("{{ nguoi_ky }}", "họ tên người ký"),
        ),
    ),
    TagGroup(
        "Danh sách câu (mỗi câu một đoạn: {%p for dong in TÊN %} {{ dong }} {%p endfor %})",
        (
            ("tinh_hinh", "I. tình hình: số phải báo cáo, đã báo cáo, đúng hạn, trễ hạn, chưa nộp"),
            ("uu_diem", "III.1 ưu điểm: chỉ tiêu đạt, nhiệm vụ hoàn thành"),
            ("han_che", "III.2 hạn chế: chỉ tiêu chưa đạt, thôn, đơn vị chưa nộp hoặc nộp trễ hạn"),
            ("nguyen_nhan", "III.3 nguyên nhân"),
            (
                "so_sanh",
                "so sánh với kỳ trước, cùng kỳ năm trước: mỗi chỉ tiêu thay đổi một câu "
                '("… tỷ lệ tăng từ 45,0% (6 tháng đầu năm) lên 60,0%")',
            ),
            ("nhiem_vu_ky_toi", "IV. nhiệm vụ chưa hoàn thành hoặc còn tiếp tục sau kỳ này"),
            ("noi_nhan", 'các dòng "Nơi nhận" (dòng cuối là "Lưu: …")'),
        ),
    ),
    TagGroup(
        "Các mục của kế hoạch ({%p for muc in muc_ke_hoach %}), mỗi mục có",
        (
            ("{{ muc.so }}", 'số thứ tự của mục ("1")'),
            ("{{ muc.ten }}", 'tên mục ("Truyền thông, tuyên truyền (mục II.1)")'),
            (
                "muc.nhiem_vu",
                "các nhiệm vụ của mục: {{ nv.ten }}, và nv.bao_cao: mỗi đơn vị một câu "
                '("Công an xã (chủ trì): Hoàn thành — …")',
            ),
            ("muc.so_lieu", "số liệu các thôn, đơn vị báo cáo thuộc mục này (câu)"),
            ("muc.chi_tieu", "các chỉ tiêu thuộc mục này (câu)"),
        ),
    ),
    TagGroup(
        "Bảng chỉ tiêu ({%tr for ct in chi_tieu %}), mỗi dòng có",
        (
            ("{{ ct.stt }}", "số thứ tự"),
            ("{{ ct.ma }}", "mã chỉ tiêu"),
            ("{{ ct.ten }}", "nội dung chỉ tiêu"),
            ("{{ ct.ket_qua }}", 'kết quả ("83,3% (10/12 thôn)")'),
            ("{{ ct.muc_can_dat }}", 'mức cần đạt ("≥ 95%")'),
            ("{{ ct.danh_gia }}", 'đánh giá ("Đạt", "Không đạt", "Không phát sinh")'),
            ("{{ ct.ghi_chu }}", "ghi chú"),
        ),
    ),
    TagGroup(
        "Ý kiến các thôn, đơn vị ({%p for dv in kho_khan %} hoặc de_xuat)",
        (
            ("kho_khan", "khó khăn, vướng mắc các thôn, đơn vị nêu"),
            ("de_xuat", "đề xuất, kiến nghị các thôn, đơn vị nêu"),
            ("{{ dv.ten }}", "tên thôn, đơn vị"),
            ("{{ dv.noi_dung }}", "điều thôn, đơn vị đó viết"),
        ),
    ),
    TagGroup(
        "Bộ lọc số",
        (
            ("{{ x|so }}", "viết số kiểu Việt Nam (1.250; 12,5)"),
            ("{{ x|ty_le }}", "viết tỉ lệ (83,3%)"),
        ),
    ),
)

_WIDTH = 96
_TAG_WIDTH = 22


def _text() -> str:
    lines = [GUIDE_TITLE, ""]
    for paragraph in GUIDE_INTRO:
        lines += [*textwrap.wrap(paragraph, _WIDTH, break_on_hyphens=False), ""]
    for group in TAG_GROUPS:
        lines += textwrap.wrap(group.heading + ":", _WIDTH, break_on_hyphens=False)
        for tag, what in group.tags:
            first = f"  {tag:<{_TAG_WIDTH}} "
            lines += textwrap.wrap(
                what,
                _WIDTH,
                initial_indent=first,
                subsequent_indent=" " * len(first),
                break_on_hyphens=False,
            )
        lines.append("")
    return "\n".join(lines)


#: The whole guide as text (the module :mod:`workbook_tools.report.document` lists the
#: same tags in English).
TEMPLATE_GUIDE = _text()
