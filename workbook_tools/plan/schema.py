"""The plan workbook's layout: every sheet, every column, every setting.

One description serves the writer (headers, widths, dropdowns), the reader
(which headers to look for), the validator (what each cell must hold) and the
"Hướng dẫn" sheet (how to edit each sheet). Like an XLSForm, the workbook is
made for a person: headers and help are Vietnamese; column ids are English and
are also the keys of the readable TOML source.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from workbook_tools.plan.model import (
    ALL_FORMS,
    COMMUNE_FORMS,
    COMMUNE_LEAD,
    YESNO_VALUES,
    Comparator,
    FieldType,
    Kind,
    Severity,
)


class ColumnKind(StrEnum):
    """What a cell holds; decides how it is read, checked and shown."""

    CODE = "code"  # a short code, unique in its sheet
    TEXT = "text"
    INT = "int"
    DATE = "date"
    CHOICE = "choice"  # one of ``Column.choices`` (a dropdown)
    YESNO = "yesno"  # Có / Không (a dropdown)
    CODES = "codes"  # roster codes (or form selectors) separated by commas
    FORMULA = "formula"  # an expression of the plan's formula language
    PERCENT = "percent"  # a target, shown as 95%


#: What to type, said to the officer in a message ("Hãy nhập {expected}").
KIND_EXPECTED = {
    ColumnKind.CODE: "một mã ngắn, không dấu, không khoảng trắng{examples}",
    ColumnKind.TEXT: "nội dung chữ",
    ColumnKind.INT: "một số nguyên (ví dụ 6)",
    ColumnKind.DATE: "một ngày dạng dd/mm/yyyy (ví dụ 15/06/2024)",
    ColumnKind.CHOICE: "một trong các giá trị: {choices}",
    ColumnKind.YESNO: "Có hoặc Không",
    ColumnKind.CODES: "các mã trong trang Danh sách, cách nhau bằng dấu phẩy (ví dụ CA, VP)",
    ColumnKind.FORMULA: "một công thức (xem trang Hướng dẫn)",
    ColumnKind.PERCENT: "một tỉ lệ phần trăm, ví dụ 95%",
}


@dataclass(frozen=True, slots=True)
class Column:
    id: str  # key in the TOML source and in the row tables
    header: str  # Vietnamese header in the workbook
    kind: ColumnKind
    required: bool = False
    width: float = 14
    choices: tuple[str, ...] = ()  # fixed values: a dropdown
    help: str = ""  # what to type, shown on the Hướng dẫn sheet
    examples: str = ""  # codes that fit this column, for "Hãy nhập …" ("T01, CA")

    def expected(self) -> str:
        examples = f" (ví dụ {self.examples})" if self.examples else ""
        return KIND_EXPECTED[self.kind].format(choices=", ".join(self.choices), examples=examples)


@dataclass(frozen=True, slots=True)
class Sheet:
    id: str
    name: str  # Vietnamese sheet name
    columns: tuple[Column, ...]
    help: str  # how to edit this sheet (Hướng dẫn)
    example: str = ""  # an example row or formula, for Hướng dẫn
    key: str = "code"  # the column whose values must be unique

    def column(self, column_id: str) -> Column:
        for column in self.columns:
            if column.id == column_id:
                return column
        raise KeyError(column_id)


@dataclass(frozen=True, slots=True)
class Setting:
    """One row of the settings sheet: a key and its value."""

    key: str
    label: str
    kind: ColumnKind
    required: bool = True


GUIDE_SHEET = "Hướng dẫn"

SETTINGS = (
    Setting("plan_id", "Mã kế hoạch (ghi vào mọi biểu mẫu, không dấu)", ColumnKind.CODE),
    Setting("version", "Phiên bản biểu mẫu (tăng lên khi sửa trường dữ liệu)", ColumnKind.TEXT),
    Setting("year", "Năm kế hoạch", ColumnKind.INT),
    Setting("commune", "Tên xã", ColumnKind.TEXT),
    Setting("district", "Tên huyện (để trống nếu không còn cấp huyện)", ColumnKind.TEXT, False),
    Setting("province", "Tên tỉnh", ColumnKind.TEXT),
    Setting(
        "report_to",
        "Cơ quan nhận báo cáo của xã (từ năm 2025 là UBND tỉnh nếu không còn cấp huyện)",
        ColumnKind.TEXT,
    ),
    Setting("plan_number", "Số kế hoạch, ví dụ 15/KH-UBND", ColumnKind.TEXT, False),
    Setting("plan_date", "Ngày ban hành kế hoạch (dd/mm/yyyy)", ColumnKind.DATE, False),
    Setting("plan_title", "Tên kế hoạch", ColumnKind.TEXT),
    Setting("report_title", "Tiêu đề báo cáo tổng hợp", ColumnKind.TEXT),
    Setting("signer_title", "Chức danh người ký báo cáo", ColumnKind.TEXT),
    Setting("signer_name", "Họ tên người ký báo cáo", ColumnKind.TEXT, False),
    Setting(
        "time_zone",
        "Múi giờ để xét nộp đúng hạn, tên múi giờ quốc tế (Asia/Ho_Chi_Minh là giờ Việt Nam; "
        "để trống cũng là giờ Việt Nam)",
        ColumnKind.TEXT,
        False,
    ),
    Setting(
        "village_label",
        "Tên gọi các đơn vị cấp thôn trong trang Danh sách, chữ thường: thôn, tổ dân phố, khu "
        "phố, ấp… (in trên biểu mẫu, báo cáo; để trống là thôn)",
        ColumnKind.TEXT,
        False,
    ),
    Setting(
        "archive",
        "Nơi lưu ghi ở cuối báo cáo, sau chữ 'Lưu:' (ví dụ: VT, tên bộ phận phụ trách; để "
        "trống là VT)",
        ColumnKind.TEXT,
        False,
    ),
    Setting(
        "outlier_k",
        "Kiểm tra số liệu bất thường: một thôn có số lệch khỏi số ở giữa của các thôn quá bao "
        "nhiêu lần mức lệch thường gặp giữa các thôn thì cần xác minh (số càng lớn càng ít "
        "thôn phải xác minh; để trống là 3,5)",
        ColumnKind.TEXT,
        False,
    ),
    Setting(
        "outlier_min",
        "Kiểm tra số liệu bất thường: chênh lệch nhỏ nhất (tính bằng số, so với trung vị các "
        "thôn hay với kỳ trước) mới cần xác minh (để trống là 10)",
        ColumnKind.INT,
        False,
    ),
    Setting(
        "change_factor",
        "Kiểm tra số liệu bất thường: số liệu gấp bao nhiêu lần (hoặc chỉ bằng một phần bao "
        "nhiêu) số của chính thôn, đơn vị đó ở kỳ trước thì cần xác minh (để trống là 5)",
        ColumnKind.TEXT,
        False,
    ),
    Setting(
        "sender_email",
        "Email của xã để gửi biểu mẫu, nhắc nộp bài và nhận bài (wbt send, wbt remind, wbt "
        "fetch); cũng là tên đăng nhập máy chủ thư nếu không ghi --user. Có thể để trống",
        ColumnKind.TEXT,
        False,
    ),
)

_FORMS_HELP = (
    f"Ai nhận trường này: '{ALL_FORMS}' (mọi thôn, đơn vị), '{Kind.VILLAGE}' (mọi thôn), "
    f"'{Kind.UNIT}' (mọi đơn vị) hoặc các mã trong trang Danh sách, cách nhau bằng dấu phẩy."
)

_RULE_FORMS_HELP = (
    f"Biểu mẫu nào được kiểm tra: '{ALL_FORMS}' (mọi thôn, đơn vị), '{Kind.VILLAGE}' (mọi "
    f"thôn), '{Kind.UNIT}' (mọi đơn vị) hoặc các mã trong trang Danh sách, cách nhau bằng dấu "
    f"phẩy; hoặc '{COMMUNE_FORMS}' (một mình): quy tắc của cả xã, so sánh số liệu giữa các "
    "biểu mẫu, kiểm tra một lần khi tổng hợp (wbt merge), dùng COUNT/SUM như chỉ tiêu."
)

SETTINGS_SHEET = Sheet(
    id="settings",
    name="Cài đặt",
    key="key",
    columns=(
        Column(
            "key",
            "Mã",
            ColumnKind.CODE,
            required=True,
            width=16,
            help="Tên của mục cài đặt. Không sửa cột này.",
        ),
        Column("label", "Nội dung", ColumnKind.TEXT, width=60, help="Giải thích mục cài đặt."),
        Column("value", "Giá trị", ColumnKind.TEXT, width=60, help="Giá trị của mục cài đặt."),
    ),
    help=(
        "Thông tin chung của kế hoạch, in trên biểu mẫu và báo cáo. Chỉ sửa cột 'Giá trị'. "
        "Khi không còn cấp huyện, để trống tên huyện và ghi cơ quan nhận báo cáo mới."
    ),
    example="report_to | Cơ quan nhận báo cáo | UBND tỉnh …",
)

PERIODS_SHEET = Sheet(
    id="periods",
    name="Kỳ báo cáo",
    columns=(
        Column(
            "code",
            "Mã kỳ",
            ColumnKind.CODE,
            required=True,
            width=12,
            help="Mã ngắn của kỳ, dùng trong lệnh: wbt generate --period MÃ_KỲ.",
            examples="Q1, 6T, CN",
        ),
        Column(
            "name",
            "Tên kỳ báo cáo",
            ColumnKind.TEXT,
            required=True,
            width=36,
            help="Tên in trên biểu mẫu và báo cáo.",
        ),
        Column(
            "months",
            "Số tháng",
            ColumnKind.INT,
            required=True,
            width=10,
            help="Số tháng của kỳ (hằng số SO_THANG trong công thức).",
        ),
        Column("start", "Từ ngày", ColumnKind.DATE, required=True, width=13),
        Column("end", "Đến ngày", ColumnKind.DATE, required=True, width=13),
        Column(
            "unit_deadline",
            "Hạn thôn, đơn vị nộp",
            ColumnKind.DATE,
            required=True,
            width=15,
            help="Ngày cuối thôn, đơn vị gửi báo cáo về xã.",
        ),
        Column(
            "commune_deadline",
            "Hạn xã báo cáo",
            ColumnKind.DATE,
            required=True,
            width=15,
            help="Ngày cuối xã gửi báo cáo tổng hợp; không sớm hơn hạn nộp.",
        ),
    ),
    help=(
        "Mỗi dòng là một kỳ báo cáo. Ngày ghi dạng dd/mm/yyyy. Hạn nộp của thôn, đơn vị "
        "nằm trong kỳ (hoặc ít ngày sau khi kỳ kết thúc); hạn của xã không sớm hơn hạn nộp."
    ),
    example="Q1 | Báo cáo quý I | 3 | 01/01/2025 | 31/03/2025 | 25/03/2025 | 05/04/2025",
)

ROSTER_SHEET = Sheet(
    id="roster",
    name="Danh sách",
    columns=(
        Column(
            "code",
            "Mã",
            ColumnKind.CODE,
            required=True,
            width=10,
            help="Mã ngắn, không dấu, ví dụ T01 hoặc CA. Mã in trên biểu mẫu.",
            examples="T01, CA",
        ),
        Column(
            "kind",
            "Loại",
            ColumnKind.CHOICE,
            required=True,
            width=10,
            choices=(Kind.VILLAGE.value, Kind.UNIT.value),
            help=f"'{Kind.VILLAGE}' cho thôn, '{Kind.UNIT}' cho đơn vị.",
        ),
        Column("name", "Tên thôn, đơn vị", ColumnKind.TEXT, required=True, width=40),
        Column("contact", "Người liên hệ", ColumnKind.TEXT, width=24),
        Column("email", "Email", ColumnKind.TEXT, width=28),
        Column("phone", "Điện thoại", ColumnKind.TEXT, width=16),
    ),
    help=(
        "Các thôn và đơn vị báo cáo về xã. Thay tên thôn mẫu bằng tên thật; thêm hoặc bớt "
        "dòng tùy theo thực tế. Email dùng để gửi biểu mẫu và nhắc nộp bài (wbt send, wbt "
        "remind) và để nhận ra thư trả lời (wbt fetch); nhiều địa chỉ cách nhau bằng dấu chấm "
        "phẩy; để trống thì wbt plan check nhắc. Người liên hệ, điện thoại có thể để trống."
    ),
    example="T01 | thon | Thôn 1 | Nguyễn Văn A | | 0912345678",
)

TASKS_SHEET = Sheet(
    id="tasks",
    name="Nhiệm vụ",
    columns=(
        Column(
            "code",
            "Mã",
            ColumnKind.CODE,
            required=True,
            width=8,
            help="Mã ngắn của nhiệm vụ, ví dụ 1a.",
        ),
        Column(
            "section",
            "Mục",
            ColumnKind.TEXT,
            required=True,
            width=10,
            help="Mục của kế hoạch, ví dụ II.1.a.",
        ),
        Column("title", "Tên nhiệm vụ", ColumnKind.TEXT, required=True, width=36),
        Column(
            "text",
            "Nội dung (theo kế hoạch)",
            ColumnKind.TEXT,
            width=70,
            help="Nguyên văn nội dung nhiệm vụ trong kế hoạch.",
        ),
        Column(
            "lead",
            "Chủ trì",
            ColumnKind.CODES,
            required=True,
            width=10,
            help=(
                "Mã một đơn vị trong trang Danh sách; hoặc ghi "
                f"{COMMUNE_LEAD} khi kế hoạch ghi 'Cơ quan chủ trì: {COMMUNE_LEAD}' (UBND xã "
                "không lập biểu mẫu: các bộ phận tham mưu, phối hợp báo cáo nhiệm vụ này)."
            ),
        ),
        Column(
            "support",
            "Phối hợp",
            ColumnKind.CODES,
            width=30,
            help="Mã các đơn vị phối hợp, cách nhau bằng dấu phẩy.",
        ),
        Column("timeframe", "Thời gian thực hiện", ColumnKind.TEXT, width=22),
        # Added in 2024 after the other columns, so that the cells of older plan
        # workbooks keep their addresses; a plan without it has no advisors.
        Column(
            "advise",
            "Tham mưu",
            ColumnKind.CODES,
            width=16,
            help=(
                "Mã các bộ phận tham mưu (kế hoạch ghi 'Bộ phận tham mưu'), cách nhau bằng "
                f"dấu phẩy; thường dùng khi {COMMUNE_LEAD} chủ trì. Có thể để trống, hoặc "
                "không có cột này."
            ),
        ),
    ),
    help=(
        "Các nhiệm vụ của kế hoạch (mục II). Mỗi đơn vị giữ một vai trò trong một nhiệm vụ: "
        "chủ trì, tham mưu hoặc phối hợp. Các đơn vị đó báo cáo tình trạng và kết quả của "
        "nhiệm vụ trên biểu mẫu của mình (các trường này được tạo tự động); biểu mẫu ghi rõ "
        f"vai trò của đơn vị. Khi kế hoạch ghi 'Cơ quan chủ trì: {COMMUNE_LEAD}', ghi "
        f"{COMMUNE_LEAD} ở cột Chủ trì và ghi các bộ phận tham mưu ở cột Tham mưu: UBND xã "
        "không báo cáo cho chính mình, các bộ phận tham mưu, phối hợp báo cáo thay."
    ),
    example="1a | II.1.a | Tuyên truyền đến mọi người dân | … | VH | CA, MT | "
    f"Thường xuyên trong năm |      hoặc      2a | II.2.a | … | {COMMUNE_LEAD} | | "
    "Thường xuyên trong năm | VH, PN",
)

FIELDS_SHEET = Sheet(
    id="fields",
    name="Trường dữ liệu",
    columns=(
        Column(
            "code",
            "Mã trường",
            ColumnKind.CODE,
            required=True,
            width=20,
            help="Mã không dấu, chữ thường, ví dụ so_buoi_hop. Dùng trong công thức.",
        ),
        Column("forms", "Biểu mẫu", ColumnKind.CODES, required=True, width=14, help=_FORMS_HELP),
        Column(
            "section",
            "Nhóm",
            ColumnKind.TEXT,
            required=True,
            width=38,
            help="Tiêu đề nhóm câu hỏi trên biểu mẫu.",
        ),
        Column("label", "Nội dung câu hỏi", ColumnKind.TEXT, required=True, width=60),
        Column(
            "type",
            "Kiểu",
            ColumnKind.CHOICE,
            required=True,
            width=10,
            choices=tuple(t.value for t in FieldType),
            help="int: số nguyên ≥ 0; yesno: Có/Không; status: Hoàn thành/Đang thực hiện/"
            "Chưa thực hiện; text: chữ; date: ngày dd/mm/yyyy; decimal: số thập phân ≥ 0 "
            "(ví dụ 12,5; số chữ số sau dấu phẩy ở cột 'Số chữ số thập phân'); money: số tiền "
            "bằng đồng, số nguyên ≥ 0 (ví dụ 1.500.000); choice: một trong các lựa chọn ghi ở "
            "cột 'Các lựa chọn'.",
        ),
        Column(
            "required",
            "Bắt buộc",
            ColumnKind.YESNO,
            width=10,
            choices=YESNO_VALUES,
            help="Có: biểu mẫu thiếu giá trị này là lỗi.",
        ),
        Column(
            "minimum", "Nhỏ nhất", ColumnKind.INT, width=10, help="Giá trị nhỏ nhất (kiểu int)."
        ),
        Column(
            "maximum", "Lớn nhất", ColumnKind.INT, width=10, help="Giá trị lớn nhất (kiểu int)."
        ),
        Column(
            "max_length",
            "Số ký tự tối đa",
            ColumnKind.INT,
            width=12,
            help="Độ dài tối đa (kiểu text).",
        ),
        Column(
            "decimals",
            "Số chữ số thập phân",
            ColumnKind.INT,
            width=12,
            help="Kiểu decimal: số chữ số sau dấu phẩy, từ 0 đến 6; để trống là 2. Cột này có "
            "thể không có.",
        ),
        Column(
            "choices",
            "Các lựa chọn",
            ColumnKind.TEXT,
            width=30,
            help="Kiểu choice: các giá trị được chọn, cách nhau bằng dấu chấm phẩy, ví dụ "
            "Tốt; Khá; Trung bình; Yếu. Công thức so sánh đúng các chữ này, ví dụ "
            'xep_loai IN ("Tốt", "Khá"). Cột này có thể không có.',
        ),
        Column(
            "help",
            "Hướng dẫn nhập",
            ColumnKind.TEXT,
            width=40,
            help="Ghi chú hiện bên cạnh ô nhập trên biểu mẫu.",
        ),
        # Added after the other columns, so that older plan workbooks keep their cells.
        Column(
            "cumulative",
            "Cộng dồn",
            ColumnKind.YESNO,
            width=10,
            choices=YESNO_VALUES,
            help="Có: số liệu cộng dồn từ đầu năm (kiểu số), như số buổi tuyên truyền: báo cáo "
            "năm không được thấp hơn báo cáo 6 tháng của cùng thôn, đơn vị (khi tổng hợp, số "
            "thấp hơn được cảnh báo cần xác minh). Để trống là Không. Cột này có thể không có.",
        ),
    ),
    help=(
        "Mỗi dòng là một ô nhập trên biểu mẫu, theo thứ tự trên biểu mẫu. Các trường tình "
        "trạng và kết quả của từng nhiệm vụ được tạo tự động, không ghi ở đây. Đổi mã trường "
        "thì sửa cả công thức ở trang Quy tắc và Chỉ tiêu."
    ),
    example="so_buoi | thon | 1. Tuyên truyền | Số buổi tuyên truyền | int | Không | 0",
)

RULES_SHEET = Sheet(
    id="rules",
    name="Quy tắc",
    columns=(
        Column("code", "Mã", ColumnKind.CODE, required=True, width=8, examples="QT01, QT02"),
        Column(
            "forms", "Biểu mẫu", ColumnKind.CODES, required=True, width=12, help=_RULE_FORMS_HELP
        ),
        Column(
            "severity",
            "Mức độ",
            ColumnKind.CHOICE,
            required=True,
            width=10,
            choices=tuple(s.value for s in Severity),
            help="error: giá trị sai không được dùng; warning: chỉ cảnh báo, vẫn dùng.",
        ),
        Column(
            "when",
            "Khi",
            ColumnKind.FORMULA,
            width=30,
            help="Chỉ kiểm tra khi điều kiện này đúng; để trống là luôn kiểm tra.",
        ),
        Column(
            "check",
            "Điều kiện",
            ColumnKind.FORMULA,
            required=True,
            width=40,
            help="Điều kiện các giá trị trên một biểu mẫu phải thỏa mãn.",
        ),
        Column(
            "message",
            "Thông báo",
            ColumnKind.TEXT,
            required=True,
            width=60,
            help="Thông báo khi điều kiện không thỏa mãn; nói rõ cách sửa.",
        ),
    ),
    help=(
        "Điều kiện các giá trị trên một biểu mẫu phải thỏa mãn. Công thức dùng mã trường, "
        "các phép so sánh = <> < <= > >=, AND, OR, NOT, EMPTY(mã trường), YEAR(ngày), "
        "DATE(năm, tháng, ngày), MONTH, QUARTER, DAYS, IF, MIN, MAX, IN (…) và các hằng số "
        "SO_THANG (số tháng của kỳ), NAM (năm kế hoạch), KY_BAT_DAU, KY_KET_THUC, HAN_NOP, "
        'HAN_XA (các ngày của kỳ). Chữ đặt trong dấu nháy kép: "Có". So sánh với ô để trống '
        "không báo lỗi: muốn bắt buộc nhập thì dùng NOT EMPTY(mã trường). Quy tắc có Biểu "
        f"mẫu '{COMMUNE_FORMS}' là quy tắc của cả xã: so sánh số liệu giữa các biểu mẫu bằng "
        "COUNT/SUM, ví dụ SUM(thon: so_co_so) = SUM(CA: tong_co_so); khi tổng hợp, quy tắc sai "
        "được ghi vào trang Lỗi dữ liệu của báo cáo, kèm các số đã so sánh; còn nơi chưa nộp "
        "hay để trống ô cần cho quy tắc thì quy tắc chưa được kiểm tra."
    ),
    example='so_da_kiem_tra <= so_co_so      hoặc      Khi: co_ke_hoach = "Có"  Điều kiện: '
    f"NOT EMPTY(so_ke_hoach)      hoặc      Biểu mẫu: {COMMUNE_FORMS}  Điều kiện: "
    "SUM(thon: so_tin_chuyen) <= SUM(CA: so_tin_nhan)",
)

INDICATORS_SHEET = Sheet(
    id="indicators",
    name="Chỉ tiêu",
    columns=(
        Column("code", "Mã", ColumnKind.CODE, required=True, width=8, examples="CT1, CT1.1"),
        Column("section", "Mục", ColumnKind.TEXT, required=True, width=10),
        Column("text", "Chỉ tiêu", ColumnKind.TEXT, required=True, width=50),
        Column("numerator", "Tử số", ColumnKind.FORMULA, required=True, width=40),
        Column(
            "denominator",
            "Mẫu số",
            ColumnKind.FORMULA,
            width=24,
            help="Để trống nếu chỉ tiêu là một số đếm, không phải tỉ lệ.",
        ),
        Column(
            "target",
            "Mức cần đạt",
            ColumnKind.PERCENT,
            width=12,
            help="Tỉ lệ phần trăm, ví dụ 95% (có thể trên 100%: tăng 10% là 110%); chỉ "
            "tiêu không có mẫu số thì ghi số cần đạt, ví dụ 12. Hoặc mức so với báo cáo trước, "
            "ghi bằng chữ: 'tăng ít nhất 10% so với cùng kỳ' (cùng kỳ năm trước), 'giảm ít nhất "
            "5% so với kỳ trước', 'không giảm so với kỳ trước' (khi chưa có báo cáo đó, chỉ "
            "tiêu ghi chưa đánh giá được). Để trống nếu không có mức cần đạt.",
        ),
        Column(
            "comparator",
            "So sánh",
            ColumnKind.CHOICE,
            width=9,
            choices=tuple(c.value for c in Comparator),
            help=">=: đạt khi tỉ lệ từ mức cần đạt trở lên; <=: đạt khi không vượt mức.",
        ),
        Column(
            "unit_label",
            "Đơn vị tính",
            ColumnKind.TEXT,
            width=12,
            help="Tử số đếm gì: thôn, người, cơ sở…",
        ),
    ),
    help=(
        "Các chỉ tiêu của kế hoạch, tính trên các biểu mẫu đã nộp. COUNT(thon) đếm mọi thôn "
        "trong danh sách; COUNT(thon: điều kiện) đếm các thôn thỏa điều kiện (thôn chưa nộp "
        "tính là chưa đạt); SUM(mã trường) cộng các giá trị đã nộp. Phạm vi: thon, donvi, "
        "tatca hoặc một mã trong trang Danh sách."
    ),
    example='Tử số: COUNT(thon: so_buoi >= 1 AND co_ke_hoach = "Có")   '
    "Mẫu số: COUNT(thon)   Mức cần đạt: 95%",
)

#: The data sheets, in workbook order (after the Hướng dẫn sheet).
SHEETS: tuple[Sheet, ...] = (
    SETTINGS_SHEET,
    PERIODS_SHEET,
    ROSTER_SHEET,
    TASKS_SHEET,
    FIELDS_SHEET,
    RULES_SHEET,
    INDICATORS_SHEET,
)

