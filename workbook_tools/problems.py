"""Problem records and their one catalogue of Vietnamese messages.

A problem is something found in a plan workbook or a returned form. It is a
record collected into the report, never an exception. Every message comes from
:data:`MESSAGES`, keyed by a stable code; each says where, what is wrong and
how to fix it. Tests format the template instead of pasting strings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"  # the value (or file) is unusable
    WARNING = "warning"  # shown, the value is used
    INFO = "info"  # for the record (a superseded file, a skipped period)


#: The codes of the checks against the past and the peers ("cần xác minh").
CHECK_PREFIX = "compare."

SEVERITY_LABELS = {
    Severity.ERROR: "Lỗi",
    Severity.WARNING: "Cảnh báo",
    Severity.INFO: "Ghi chú",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem, located as precisely as it can be."""

    code: str
    severity: Severity
    message: str
    file: str | None = None
    unit: str | None = None
    sheet: str | None = None
    cell: str | None = None
    field: str | None = None
    value: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = str(self.severity)
        return data


# code -> (severity, template). Templates are str.format templates; the keyword
# arguments are named in each. Codes are stable: other programs read them from
# the JSON summary. Keep each group together; add new codes to their group.
MESSAGES: dict[str, tuple[Severity, str]] = {
    # --- plan workbook (wbt plan check) --------------------------------------
    "plan.file_missing": (
        Severity.ERROR,
        "Không tìm thấy tệp kế hoạch {path}. Hãy kiểm tra đường dẫn, hoặc chạy "
        "'wbt init' để tạo thư mục làm việc có sẵn kế hoạch mẫu.",
    ),
    "plan.file_unreadable": (
        Severity.ERROR,
        "Không mở được tệp kế hoạch {path}: {reason}. Hãy mở tệp bằng Excel và lưu lại "
        "dạng .xlsx.",
    ),
    "plan.sheet_missing": (
        Severity.ERROR,
        "Thiếu trang tính '{sheet}'.{suggestion} Hãy thêm hoặc đổi tên trang tính cho đúng.",
    ),
    "plan.header_missing": (
        Severity.ERROR,
        "Trang '{sheet}' thiếu cột '{header}' ở dòng tiêu đề.{suggestion} Hãy sửa tên cột "
        "cho đúng như trang Hướng dẫn.",
    ),
    "plan.value_missing": (
        Severity.ERROR,
        "Ô {cell} (trang '{sheet}', cột '{header}') đang trống. Hãy nhập {expected}.",
    ),
    "plan.value_invalid": (
        Severity.ERROR,
        "Ô {cell} (trang '{sheet}', cột '{header}') có giá trị '{value}' không hợp lệ. "
        "Hãy nhập {expected}.",
    ),
    "plan.duplicate_code": (
        Severity.ERROR,
        "Mã '{value}' ở ô {cell} (trang '{sheet}') bị trùng với ô {other}. Mỗi mã chỉ "
        "được dùng một lần: hãy đổi một trong hai mã.",
    ),
    "plan.unknown_code": (
        Severity.ERROR,
        "Ô {cell} (trang '{sheet}', cột '{header}') ghi '{value}' nhưng mã này không có "
        "trong {where}.{suggestion} Hãy sửa lại cho đúng mã.",
    ),
    "plan.formula_syntax": (
        Severity.ERROR,
        "Công thức ở ô {cell} (trang '{sheet}', cột '{header}') không đọc được. {reason} "
        "Công thức: {value}. Xem cách viết công thức ở trang Hướng dẫn.",
    ),
    "plan.formula_unknown_name": (
        Severity.ERROR,
        "Công thức ở ô {cell} (trang '{sheet}', cột '{header}') dùng '{name}' nhưng không có "
        "{what} nào tên như vậy.{suggestion} Hãy sửa lại công thức.",
    ),
    "plan.formula_invalid": (
        Severity.ERROR,
        "Công thức ở ô {cell} (trang '{sheet}', cột '{header}') chưa đúng. {reason} "
        "Công thức: {value}.",
    ),
    "plan.target_invalid": (
        Severity.ERROR,
        "Chỉ tiêu ở ô {cell} (trang '{sheet}') là '{value}', không phải một tỉ lệ phần "
        "trăm. Hãy nhập dạng 95% (hoặc 0,95), từ 0% đến 1000% (tăng 10% là 110%).",
    ),
    "plan.target_relative_invalid": (
        Severity.ERROR,
        "Ô {cell} (trang '{sheet}', cột 'Mức cần đạt'): mức so với trước '{value}' chưa đúng: "
        "{reason}. Hãy ghi như {examples}.",
    ),
    "plan.target_count_invalid": (
        Severity.ERROR,
        "Chỉ tiêu ở ô {cell} (trang '{sheet}') là '{value}', không phải một số. Chỉ tiêu "
        "không có mẫu số là một số đếm: hãy nhập số cần đạt, ví dụ 12 (≥ 12 buổi); nếu là tỉ "
        "lệ thì ghi mẫu số và nhập dạng 95%.",
    ),
    "plan.deadline_outside_period": (
        Severity.ERROR,
        "Hạn ở ô {cell} (trang '{sheet}', cột '{header}') là {value}, nằm ngoài kỳ {period} "
        "({start} – {end}). Hạn phải nằm trong kỳ hoặc không quá {grace} ngày sau ngày kết thúc "
        "kỳ: hãy kiểm tra lại ngày.",
    ),
    "plan.period_dates": (
        Severity.ERROR,
        "Kỳ {period} (trang '{sheet}', dòng {row}): {reason}. Hãy sửa lại các ngày của kỳ.",
    ),
    "plan.sheet_empty": (
        Severity.ERROR,
        "Trang '{sheet}' chưa có dòng nào. Hãy nhập ít nhất một {what} (xem ví dụ ở trang "
        "Hướng dẫn).",
    ),
    "plan.setting_missing": (
        Severity.ERROR,
        "Trang '{sheet}' thiếu mục '{key}' ({label}). Hãy thêm một dòng có Mã '{key}' và ghi "
        "giá trị vào cột Giá trị.",
    ),
    "plan.setting_unknown": (
        Severity.ERROR,
        "Ô {cell} (trang '{sheet}') ghi mục '{value}' nhưng không có mục cài đặt nào tên như "
        "vậy.{suggestion} Hãy sửa Mã cho đúng, hoặc xóa dòng này.",
    ),
    "plan.task_not_unit": (
        Severity.ERROR,
        "Ô {cell} (trang '{sheet}', cột '{header}') ghi '{value}' nhưng đó là một {village}. "
        "Chủ trì, tham mưu và phối hợp nhiệm vụ phải là đơn vị (loại '{kind}') trong trang "
        "Danh sách; {village} báo cáo trên biểu mẫu của {village}. Hãy xóa mã này hoặc đổi "
        "sang mã đơn vị.",
    ),
    "plan.task_role_twice": (
        Severity.ERROR,
        "Ô {cell} (trang '{sheet}', cột '{header}') ghi '{value}' nhưng đơn vị này đã là "
        "{role} của nhiệm vụ này (ô {other}). Mỗi đơn vị chỉ giữ một vai trò trong một nhiệm "
        "vụ (chủ trì, tham mưu hoặc phối hợp): hãy xóa mã ở một trong hai ô.",
    ),
    "plan.task_no_reporter": (
        Severity.ERROR,
        "Ô {cell} (trang '{sheet}') ghi {value} chủ trì nhưng nhiệm vụ không có bộ phận tham "
        "mưu hay phối hợp nào, nên không đơn vị nào báo cáo nhiệm vụ này ({value} không lập "
        "biểu mẫu). Hãy ghi mã các bộ phận tham mưu vào cột '{advise}' (thêm cột này nếu trang "
        "chưa có) hoặc các đơn vị phối hợp vào cột '{support}'.",
    ),
    "plan.cell_formula": (
        Severity.ERROR,
        "Ô {cell} (trang '{sheet}', cột '{header}') chứa công thức Excel {formula}{result}, "
        "không phải giá trị. Kế hoạch chỉ đọc giá trị gõ vào ô: hãy {how}.",
    ),
    "plan.period_other_year": (
        Severity.ERROR,
        "Kỳ {period} (ô {cell}, trang '{sheet}') từ {start} đến {end}, không nằm trong năm "
        "{year} của kế hoạch (mục year, trang Cài đặt). Có lẽ dòng này được chép từ kế hoạch "
        "năm khác: hãy sửa ngày (cả mã và tên kỳ) cho đúng năm {year}, hoặc sửa năm kế hoạch.",
    ),
    "plan.period_same_dates": (
        Severity.ERROR,
        "Kỳ {period} (ô {cell}, trang '{sheet}') có cùng ngày với kỳ {other} (ô {other_cell}): "
        "{start} – {end}. Hai kỳ báo cáo không trùng nhau: hãy sửa ngày của một kỳ, hoặc xóa "
        "dòng thừa.",
    ),
    "plan.formula_accented_name": (
        Severity.ERROR,
        "Công thức ở ô {cell} (trang '{sheet}', cột '{header}') có '{name}': mã trường, phạm vi "
        "và hằng số viết không dấu.{suggestion} Hãy sửa lại công thức. Công thức: {value}.",
    ),
    "plan.formula_divide_by_zero": (
        Severity.ERROR,
        "Công thức ở ô {cell} (trang '{sheet}', cột '{header}') chia cho 0 ({part}) nên không "
        "bao giờ tính được. Hãy sửa số chia; một tỉ lệ ghi tử số và mẫu số ở hai cột Tử số, "
        "Mẫu số. Công thức: {value}.",
    ),
    "plan.rule_no_form": (
        Severity.ERROR,
        "Quy tắc {value} (ô {cell}, trang '{sheet}') dùng các trường {fields} nhưng không "
        "biểu mẫu nào trong cột Biểu mẫu có đủ các trường đó, nên quy tắc sẽ không bao giờ "
        "được kiểm tra. Hãy sửa cột Biểu mẫu hoặc công thức.",
    ),
    # The roster's mail addresses (warnings: the plan is used all the same). {row} is
    # the row's number, {cell} the email cell.
    "plan.email_missing": (
        Severity.WARNING,
        "Dòng {row} của trang '{sheet}' ({unit} - {name}) chưa có email (ô {cell}): wbt send "
        "và wbt remind không gửi thư được cho {name}. Hãy nhập địa chỉ email, ví dụ "
        "thon1@gmail.com, nếu muốn gửi biểu mẫu qua thư.",
    ),
    "plan.email_invalid": (
        Severity.WARNING,
        "Ô {cell} (dòng {row} của trang '{sheet}', {unit} - {name}) có email '{value}' không "
        "đúng dạng địa chỉ thư. Hãy sửa lại, ví dụ thon1@gmail.com (không dấu, không khoảng "
        "trắng); nhiều địa chỉ cách nhau bằng dấu chấm phẩy.",
    ),
    # --- the mailbox (wbt fetch): {where} is the mail ("thư số 3 trong hop_thu.mbox").
    "mail.unreadable": (
        Severity.ERROR,
        "Không đọc được {where} ({reason}): thư bị hỏng. Các thư khác vẫn được lấy; hãy mở thư "
        "này bằng chương trình thư và lưu tệp đính kèm vào inbox/ nếu có.",
    ),
    "mail.not_saved": (
        Severity.ERROR,
        "Chưa lưu được một tệp đính kèm của {where}: {reason} Lần chạy wbt fetch sau sẽ lấy "
        "lại tệp này.",
    ),
    "mail.zip_damaged": (
        Severity.ERROR,
        "Tệp nén {file} ({where}) bị hỏng, không mở được ({reason}), nên không lấy được tệp nào "
        "trong đó. Hãy đề nghị người gửi gửi lại các tệp (nén lại, hoặc đính kèm từng tệp).",
    ),
    "mail.no_date": (
        Severity.INFO,
        "{where}: thư không ghi ngày gửi đọc được, cũng không có dấu thời gian của máy chủ thư "
        "(thư lưu lại từ chương trình thư). Thời điểm nhận được lấy theo ngày của tệp (lúc lấy "
        "thư, {used}), không theo thư; nếu thư được gửi sớm hơn, hãy ghi lại ngày nhận bằng "
        "wbt arrival.",
    ),
    "mail.date_untrusted": (
        Severity.INFO,
        "{where}: {reason}. Thời điểm nhận được lấy theo lúc máy chủ thư nhận thư "
        "({used}); nếu cần, hãy ghi lại ngày nhận bằng wbt arrival.",
    ),
    # --- formulas of the plan workbook (workbook_tools.expressions) ----------
    # {position} is a 1-based character number within the formula; {suggestion}
    # is "" or " Có phải ý bạn là '…'?".
    "formula.empty": (
        Severity.ERROR,
        "Công thức đang trống. Hãy nhập công thức, ví dụ: so_da_kiem_tra <= so_co_so.",
    ),
    "formula.too_long": (
        Severity.ERROR,
        "Công thức dài {length} ký tự, quá giới hạn {limit} ký tự. Hãy viết gọn lại hoặc "
        "tách thành nhiều quy tắc, chỉ tiêu.",
    ),
    "formula.too_deep": (
        Severity.ERROR,
        "Công thức lồng nhau quá sâu (quá {limit} tầng, ở ký tự thứ {position}). Hãy bỏ bớt "
        "dấu ngoặc hoặc viết đơn giản lại.",
    ),
    "formula.bad_character": (
        Severity.ERROR,
        "Ở ký tự thứ {position} có '{char}', ký tự này không dùng được trong công thức. {hint}",
    ),
    "formula.bad_name": (
        Severity.ERROR,
        "Ở ký tự thứ {position} có '{text}': mã trường, hằng số và phạm vi chỉ gồm chữ không "
        "dấu, chữ số và dấu '_'. Hãy viết mã không dấu, hoặc nếu đây là giá trị chữ thì đặt trong "
        'dấu nháy kép: "{text}".',
    ),
    "formula.unterminated_string": (
        Severity.ERROR,
        'Dấu nháy mở chữ ở ký tự thứ {position} chưa được đóng. Hãy thêm dấu nháy kép " ở '
        "cuối chữ.",
    ),
    "formula.bad_number": (
        Severity.ERROR,
        "Ở ký tự thứ {position}: số '{text}' viết chưa đúng. Hãy viết số thập phân với dấu chấm "
        "và có chữ số sau dấu chấm, ví dụ 0.5.",
    ),
    "formula.unexpected": (
        Severity.ERROR,
        "Ở ký tự thứ {position} có {found} nhưng chỗ này cần {expected}. Hãy sửa công thức "
        "quanh vị trí đó.",
    ),
    "formula.unexpected_end": (
        Severity.ERROR,
        "Công thức dừng ở ký tự thứ {position} nhưng còn thiếu {expected}. Hãy viết tiếp cho đủ.",
    ),
    "formula.unclosed_paren": (
        Severity.ERROR,
        "Dấu '(' ở ký tự thứ {position} chưa được đóng. Hãy thêm dấu ')' cho đủ.",
    ),
    "formula.unmatched_paren": (
        Severity.ERROR,
        "Dấu ')' ở ký tự thứ {position} không có dấu '(' tương ứng. Hãy xoá dấu này hoặc thêm "
        "'(' vào chỗ cần.",
    ),
    "formula.extra": (
        Severity.ERROR,
        "Ở ký tự thứ {position} còn thừa {found} sau một công thức đã trọn vẹn. Hãy xoá phần "
        "thừa, hoặc nối hai điều kiện bằng AND / OR.",
    ),
    "formula.chained_comparison": (
        Severity.ERROR,
        "Ở ký tự thứ {position}: phép so sánh '{operator}' nối tiếp một phép so sánh khác. Hãy "
        "tách thành hai điều kiện nối bằng AND, ví dụ: 0 <= a AND a <= 10.",
    ),
    "formula.unknown_function": (
        Severity.ERROR,
        "Ở ký tự thứ {position}: không có hàm '{name}'.{suggestion} Hãy dùng một trong các hàm: "
        "{known}.",
    ),
    "formula.aggregate_form": (
        Severity.ERROR,
        "Ở ký tự thứ {position}: {function} viết chưa đúng, {reason}. Cách viết: {usage}.",
    ),
    "formula.unknown_field": (
        Severity.ERROR,
        "Ở ký tự thứ {position}: không có trường nào mã '{name}'.{suggestion} Hãy sửa lại cho "
        "đúng mã trường trong kế hoạch (viết thường, không dấu).",
    ),
    "formula.unknown_constant": (
        Severity.ERROR,
        "Ở ký tự thứ {position}: không có hằng số nào tên '{name}'.{suggestion} Tên viết HOA là "
        "hằng số, mã trường viết thường; các hằng số dùng được: {known}.",
    ),
    "formula.unknown_scope": (
        Severity.ERROR,
        "Ở ký tự thứ {position}: không có phạm vi '{name}'.{suggestion} Phạm vi là thon (mọi "
        "thôn), donvi (mọi đơn vị), tatca (tất cả) hoặc mã một thôn, đơn vị trong danh sách.",
    ),
    "formula.arity": (
        Severity.ERROR,
        "Ở ký tự thứ {position}: hàm {function} cần {expected} tham số nhưng đang có {given}. "
        "Cách viết: {usage}.",
    ),
    "formula.aggregate_in_rule": (
        Severity.ERROR,
        "Ở ký tự thứ {position}: {function} chỉ dùng trong chỉ tiêu (tính trên nhiều thôn, đơn "
        "vị), không dùng trong quy tắc của một biểu mẫu. Hãy so sánh trực tiếp các trường, ví "
        "dụ so_da_kiem_tra <= so_co_so.",
    ),
    "formula.nested_aggregate": (
        Severity.ERROR,
        "Ở ký tự thứ {position}: {function} nằm bên trong {outer}. Không lồng COUNT/SUM vào "
        "nhau: hãy viết riêng từng cái rồi cộng, trừ, chia với nhau.",
    ),
    "formula.bare_field": (
        Severity.ERROR,
        "Ở ký tự thứ {position}: trường '{name}' đứng ngoài COUNT/SUM. Chỉ tiêu tính trên nhiều "
        "thôn, đơn vị nên phải gộp lại: hãy viết SUM({name}) hoặc COUNT(thon: điều kiện về "
        "{name}).",
    ),
    "formula.compare_types": (
        Severity.ERROR,
        "Ở ký tự thứ {position}: phép '{operator}' so sánh {left} với {right}, hai loại này "
        "không so sánh được với nhau. {hint}",
    ),
    "formula.order_text": (
        Severity.ERROR,
        "Ở ký tự thứ {position}: phép '{operator}' không dùng cho {actual}; với chữ và điều "
        "kiện chỉ dùng = hoặc <>. Hãy đổi phép so sánh.",
    ),
    "formula.bad_value": (
        Severity.ERROR,
        "Ở ký tự thứ {position}: trường '{field}' chỉ nhận {allowed}, không có giá trị "
        '"{name}".{suggestion} Hãy viết đúng một trong các giá trị đó, có dấu.',
    ),
    "formula.operand_type": (
        Severity.ERROR,
        "Ở ký tự thứ {position}: {what} là {actual}, nhưng '{operator}' cần {expected}. Hãy "
        "sửa lại: phép tính cần số, AND/OR/NOT và COUNT cần điều kiện (ví dụ "
        'co_ke_hoach = "Có"), YEAR cần ngày.',
    ),
    "formula.result_type": (
        Severity.ERROR,
        "Công thức này là {where} nên phải cho kết quả là {expected}, nhưng {what} là "
        "{actual}. Hãy viết lại, ví dụ: {example}.",
    ),
    "formula.blank_text": (
        Severity.ERROR,
        'Ở ký tự thứ {position}: so sánh với chữ rỗng "" không kiểm tra được ô bỏ trống. Hãy '
        "dùng EMPTY({name}) (ô trống) hoặc NOT EMPTY({name}) (ô đã điền).",
    ),
    "formula.date_invalid": (
        Severity.ERROR,
        "Ở ký tự thứ {position}: DATE({year}, {month}, {day}) không phải một ngày có thật. Hãy "
        "sửa lại năm, tháng, ngày.",
    ),
    "formula.mixed_types": (
        Severity.ERROR,
        "Ở ký tự thứ {position}: {function} nhận {left} và {right}, hai giá trị khác loại. Các "
        "giá trị phải cùng loại (cùng là số, cùng là chữ hoặc cùng là ngày). Cách viết: {usage}.",
    ),
    "formula.extreme_type": (
        Severity.ERROR,
        "Ở ký tự thứ {position}: {what} là {actual}, nhưng {function} chỉ so các số hoặc các "
        "ngày. Hãy bỏ giá trị này ra, hoặc dùng IF(điều_kiện, a, b) để chọn giữa hai giá trị.",
    ),
    # --- a returned file before it is read (workbook_tools.safety) -----
    # {ext} is the file's extension, {kind} what the file really is ("một tệp
    # PDF"), {part} a member of the archive, {limit} a limit in the unit shown,
    # {how} how a part outgrew its limits ("khi giải nén vượt quá 32,0 MB").
    "file.empty": (
        Severity.ERROR,
        "Tệp {file} trống (0 byte), có lẽ bị lỗi khi tải về hoặc khi lưu. Hãy tải lại tệp từ "
        "email/Zalo, hoặc đề nghị đơn vị gửi lại.",
    ),
    "file.too_large": (
        Severity.ERROR,
        "Tệp {file} nặng {size} MB, quá giới hạn {limit} MB của một biểu mẫu báo cáo, nên không "
        "được đọc. Hãy kiểm tra đúng tệp chưa, hoặc đề nghị đơn vị điền vào biểu mẫu đã gửi rồi "
        "gửi lại.",
    ),
    "file.unreadable": (
        Severity.ERROR,
        "Không mở được tệp {file} để đọc: {reason}. Hãy đóng tệp nếu đang mở trong Excel hay "
        "chương trình khác, rồi chạy lại.",
    ),
    "file.not_regular": (
        Severity.ERROR,
        "Mục {file} trong inbox/ không phải tệp thông thường mà là {kind}, nên không được đọc "
        "(đọc nó có thể làm lệnh chạy mãi không dừng). Hãy chuyển nó ra khỏi inbox/ và chép "
        "chính tệp bài nộp vào, rồi chạy lại lệnh.",
    ),
    "file.broken_link": (
        Severity.ERROR,
        "Tệp {file} là một lối tắt (liên kết) tới {target}, nhưng ở đó không còn tệp nào (tệp "
        "gốc đã bị xóa, đổi tên, hoặc nằm trên ổ đĩa chưa cắm). Hãy chép chính tệp bài nộp vào "
        "inbox/ thay cho lối tắt này, rồi chạy lại lệnh.",
    ),
    "file.folder_unreadable": (
        Severity.ERROR,
        "Không mở được thư mục {file} trong inbox/ nên các tệp trong đó chưa được đọc (thôn, "
        "đơn vị có bài trong đó sẽ hiện là chưa nộp): {reason}. Sau đó chạy lại lệnh.",
    ),
    "file.path_too_long": (
        Severity.ERROR,
        "Đường dẫn tới {file} trong inbox/ quá dài ({length} ký tự, kể cả tên các thư mục chứa "
        "nó) nên hệ điều hành không mở được; nếu đó là thư mục, các tệp trong đó chưa được đọc. "
        "Hãy chuyển tệp hoặc thư mục lên gần inbox/ hơn, hoặc đặt tên các thư mục ngắn lại, rồi "
        "chạy lại lệnh.",
    ),
    "file.not_workbook": (
        Severity.ERROR,
        "Tệp {file} không phải bảng tính mà là {kind}. Nếu đây là bài nộp, hãy đề nghị đơn vị "
        "điền vào biểu mẫu Excel đã gửi rồi gửi lại; nếu không, hãy chuyển tệp ra khỏi inbox/.",
    ),
    "file.unsupported": (
        Severity.ERROR,
        "Tệp {file} là {kind}, loại tệp chương trình không đọc. Hãy mở tệp bằng Excel rồi lưu "
        "lại dạng .xlsx (Tệp > Lưu thành > Sổ làm việc Excel).",
    ),
    "file.html": (
        Severity.ERROR,
        "Tệp {file} là một trang web (HTML) được lưu với đuôi {ext}, không phải bảng tính thật. "
        "Hãy mở tệp bằng Excel rồi lưu lại dạng .xlsx (Tệp > Lưu thành > Sổ làm việc Excel), "
        "hoặc đề nghị đơn vị điền vào biểu mẫu đã gửi rồi gửi lại.",
    ),
    "file.csv": (
        Severity.ERROR,
        "Tệp {file} là bảng dữ liệu dạng văn bản ({kind}) được lưu với đuôi {ext}, đã mất biểu "
        "mẫu nên không đọc được. Hãy đề nghị đơn vị điền vào biểu mẫu Excel đã gửi và lưu dạng "
        ".xlsx, không lưu dạng CSV hay Text.",
    ),
    "file.xml2003": (
        Severity.ERROR,
        "Tệp {file} là bảng tính XML kiểu Excel 2003 (XML Spreadsheet) được lưu với đuôi {ext}. "
        "Hãy mở tệp bằng Excel rồi lưu lại dạng .xlsx (Tệp > Lưu thành > Sổ làm việc Excel).",
    ),
    "file.wrong_extension": (
        Severity.WARNING,
        "Tệp {file} có đuôi {ext} nhưng thực chất là bảng tính {real}: vẫn được đọc theo đúng "
        "loại thật. Lần sau hãy dùng Tệp > Lưu thành để đổi loại tệp, đừng chỉ đổi đuôi tên tệp.",
    ),
    "file.truncated": (
        Severity.ERROR,
        "Tệp {file} bị thiếu phần cuối (tải về hoặc sao chép chưa xong) nên không mở được. Hãy "
        "tải lại tệp từ email/Zalo, hoặc đề nghị đơn vị gửi lại.",
    ),
    "file.corrupt": (
        Severity.ERROR,
        "Tệp {file} bị hỏng: {reason}. Hãy thử mở tệp bằng Excel rồi lưu lại dạng .xlsx; nếu "
        "không mở được, hãy đề nghị đơn vị gửi lại.",
    ),
    "file.too_many_parts": (
        Severity.ERROR,
        "Tệp {file} chứa {count} phần bên trong (giới hạn {limit}), bất thường với một biểu mẫu "
        "báo cáo, nên không được đọc. Hãy đề nghị đơn vị điền vào biểu mẫu đã gửi rồi gửi lại.",
    ),
    "file.zip_bomb": (
        Severity.ERROR,
        "Tệp {file}: phần {part} {how}. Đây là tệp nén bất thường, có thể là tệp độc hại, nên "
        "không được đọc. Đừng mở tệp này; hãy xóa tệp khỏi inbox/ và đề nghị đơn vị gửi lại "
        "đúng biểu mẫu.",
    ),
    "file.xml_entities": (
        Severity.ERROR,
        "Tệp {file}: phần {part} có khai báo DOCTYPE/ENTITY mà bảng tính bình thường không có "
        "(kiểu tấn công qua XML), nên không được đọc. Đừng mở tệp này; hãy xóa tệp khỏi inbox/ "
        "và đề nghị đơn vị gửi lại đúng biểu mẫu.",
    ),
    "file.encrypted": (
        Severity.ERROR,
        "Tệp {file} có mật khẩu nên không đọc được. Hãy mở tệp (nhập mật khẩu), gỡ mật khẩu "
        "(Tệp > Thông tin > Bảo vệ sổ làm việc > Mã hóa bằng mật khẩu, xóa mật khẩu) rồi lưu "
        "lại; hoặc đề nghị đơn vị gửi lại tệp không đặt mật khẩu.",
    ),
    "file.macros": (
        Severity.WARNING,
        "Tệp {file} có chứa macro (mã VBA). Chương trình chỉ đọc số liệu, không chạy macro. "
        "Đừng bật macro nếu mở tệp này bằng Excel; lần sau hãy đề nghị đơn vị lưu dạng .xlsx.",
    ),
    "file.too_many_sheets": (
        Severity.ERROR,
        "Tệp {file} có {count} trang tính (giới hạn {limit}), không phải biểu mẫu báo cáo, nên "
        "không được đọc. Hãy đề nghị đơn vị điền vào biểu mẫu đã gửi rồi gửi lại.",
    ),
    "file.huge_dimension": (
        Severity.WARNING,
        "Tệp {file}, trang '{sheet}': tệp tự ghi vùng dữ liệu là {value}, rất lớn, nhưng dữ liệu "
        "thật nằm gọn trong trang; thông tin này đã được bỏ qua và tệp vẫn được đọc.",
    ),
    "file.too_many_cells": (
        Severity.ERROR,
        "Tệp {file}, trang '{sheet}': có dữ liệu trải từ ô {first} đến ô {last}, vượt quá "
        "{limit} ô, quá lớn để đọc an toàn. Hãy xóa các ô có dữ liệu ở xa (như ô {last}) rồi "
        "lưu lại, hoặc đề nghị đơn vị điền vào biểu mẫu đã gửi.",
    ),
    "file.sheet_too_large": (
        Severity.ERROR,
        "Tệp {file}, {where}: có hơn {limit} phần tử dữ liệu, quá lớn với một biểu mẫu báo cáo, "
        "nên không được đọc. Hãy đề nghị đơn vị điền vào biểu mẫu đã gửi rồi gửi lại.",
    ),
    "file.cell_too_long": (
        Severity.WARNING,
        "Tệp {file}, {where}: một ô có {length} ký tự, quá giới hạn {limit} ký tự của Excel "
        "(Excel không mở được ô như vậy). Hãy rút gọn nội dung ô.",
    ),
    "file.unexpected": (
        Severity.ERROR,
        "Không kiểm tra được tệp {file} (lỗi {reason}) nên tệp không được đọc. Hãy mở tệp bằng "
        "Excel, lưu lại dạng .xlsx rồi chạy lại; nếu vẫn lỗi, hãy gửi tệp cho người phụ trách "
        "kỹ thuật.",
    ),
    # --- returned forms in inbox/ (wbt status, wbt check, wbt merge) ---------
    "inbox.unreadable": (
        Severity.ERROR,
        "Không đọc được tệp {file}: {reason}. Hãy mở tệp bằng Excel hoặc LibreOffice, lưu lại "
        "dạng .xlsx rồi chép vào inbox/ thay cho tệp này; nếu không mở được, hãy đề nghị đơn vị "
        "gửi lại.",
    ),
    "inbox.name_unprintable": (
        Severity.INFO,
        "Tên tệp {file} có ký tự không đọc được hoặc không hiện được, như dấu xuống dòng (hiện "
        "thành \N{REPLACEMENT CHARACTER}), thường do giải nén một tệp .zip tạo trên máy tính "
        "khác; tệp vẫn được đọc bình thường. Hãy đổi tên tệp (gõ lại tên có dấu) để tên hiện "
        "đúng trong báo cáo và dễ tìm.",
    ),
    "inbox.unidentified": (
        Severity.ERROR,
        "Không biết tệp {file} là bài của {who} nào: tệp không có thông tin ẩn của biểu "
        "mẫu (trang '{meta_sheet}'), cũng không có dòng '{prefix}…' ở đầu trang. Nếu đây là bài "
        "nộp, hãy đề nghị đơn vị điền vào biểu mẫu kỳ {period} đã gửi rồi gửi lại; nếu không, "
        "hãy chuyển tệp ra khỏi inbox/.",
    ),
    "inbox.unknown_unit": (
        Severity.ERROR,
        "Tệp {file} ghi đơn vị báo cáo '{value}' nhưng trong danh sách của kế hoạch không có "
        "{who} nào tên (mã) như vậy.{suggestion} Hãy đề nghị đơn vị dùng đúng biểu mẫu "
        "đã gửi, hoặc sửa tên trong trang Danh sách của kế hoạch rồi chạy lại.",
    ),
    "inbox.ambiguous_unit": (
        Severity.ERROR,
        "Tệp {file} ghi đơn vị báo cáo '{value}', khớp với nhiều tên trong danh sách "
        "({candidates}). Hãy đề nghị đơn vị dùng đúng biểu mẫu đã gửi, hoặc đặt tên {who} "
        "khác nhau rõ ràng trong trang Danh sách của kế hoạch.",
    ),
    "inbox.identified_by_title": (
        Severity.WARNING,
        "Tệp {file}: không thấy thông tin ẩn của biểu mẫu (có lẽ nội dung đã được chép sang "
        "một tệp mới), đã nhận diện theo tiêu đề: {name}. Hãy kiểm tra đúng là bài của {name}; "
        "lần sau hãy điền thẳng vào biểu mẫu đã gửi.",
    ),
    "inbox.unit_mismatch": (
        Severity.ERROR,
        "Tệp {file}: biểu mẫu được tạo cho {name} nhưng tiêu đề lại ghi '{value}', nên không "
        "rõ là bài của đơn vị nào; chưa dùng số liệu của tệp này. Hãy hỏi lại nơi gửi: nếu là "
        "bài của {name}, sửa tiêu đề như cũ rồi gửi lại; nếu là bài của đơn vị khác, gửi cho họ "
        "đúng biểu mẫu của họ (wbt generate --unit MÃ).",
    ),
    "inbox.other_period": (
        Severity.INFO,
        "Tệp {file} là biểu mẫu kỳ {found} ({found_name}) của {name}, không phải kỳ {period}: "
        "không dùng cho kỳ {period}.",
    ),
    "inbox.unknown_period": (
        Severity.ERROR,
        "Tệp {file} ghi kỳ báo cáo '{value}' nhưng kế hoạch không có kỳ này. Hãy đề nghị đơn "
        "vị dùng biểu mẫu kỳ {period} đã gửi.",
    ),
    "inbox.other_plan": (
        Severity.ERROR,
        "Tệp {file} là biểu mẫu của kế hoạch {found}, không phải kế hoạch {plan} đang thu "
        "thập, nên không được dùng; hãy dùng biểu mẫu kỳ {period} đã gửi{form_hint}.",
    ),
    "inbox.form_version": (
        Severity.WARNING,
        "Tệp {file} là biểu mẫu phiên bản {found}, khác phiên bản {version} của kế hoạch hiện "
        "hành (có thể đã thêm, bớt mục). Số liệu vẫn được đọc theo mã ô, mục nào thiếu sẽ được "
        "báo riêng; lần sau hãy dùng biểu mẫu mới.",
    ),
    "inbox.cells_by_position": (
        Severity.WARNING,
        "Tệp {file} không còn tên của các ô nhập liệu, đã đọc số liệu theo vị trí ô của biểu "
        "mẫu gốc. Nếu đơn vị đã chèn hay xóa dòng, số liệu có thể bị lệch: hãy kiểm tra lại, "
        "hoặc đề nghị đơn vị điền vào biểu mẫu đã gửi.",
    ),
    "inbox.field_not_found": (
        Severity.WARNING,
        "Tệp {file}: không tìm thấy ô của mục '{label}' ({field}), có lẽ ô đã bị xóa. Mục này "
        "được coi như để trống; hãy đề nghị đơn vị điền vào biểu mẫu đã gửi.",
    ),
    # A defined name that no longer points at its field's cell on the form (the
    # cell beside the field's label): {other} is "A1 (trang 'Nháp')", {shown}
    # and {other_shown} "ghi '12'" or "để trống", {ref} the name's reference.
    "inbox.name_moved": (
        Severity.WARNING,
        "Tệp {file}: tên ô {field} của mục «{label}» không chỉ vào ô {cell} (trang '{sheet}') "
        "của mục này trên biểu mẫu mà chỉ sang ô {other}. Số liệu được lấy theo ô {cell} đang "
        "hiện trên biểu mẫu ({shown}), không theo ô {other} ({other_shown}). Hãy kiểm tra lại "
        "với đơn vị; nếu số ở ô {cell} chưa đúng, đề nghị đơn vị sửa ô đó rồi gửi lại.",
    ),
    "inbox.name_not_one_cell": (
        Severity.WARNING,
        "Tệp {file}: tên ô {field} của mục «{label}» chỉ vào {ref}, không phải một ô. Số liệu "
        "được lấy theo ô {cell} (trang '{sheet}') đang hiện trên biểu mẫu ({shown}). Hãy kiểm "
        "tra lại với đơn vị; nếu số ở ô {cell} chưa đúng, đề nghị đơn vị sửa ô đó rồi gửi lại.",
    ),
    "inbox.superseded": (
        Severity.INFO,
        "Tệp {file} của {name} đã được thay bằng tệp nộp sau {newer}: chỉ dùng tệp nộp sau.",
    ),
    "inbox.duplicate": (
        Severity.INFO,
        "Tệp {file} giống hệt tệp {other}: chỉ tính một lần.",
    ),
    "inbox.arrival_tie": (
        Severity.WARNING,
        "Tệp {file} và tệp {others} của {name} là các bản khác nhau nhưng cùng thời điểm nhận "
        "({arrived}), nên không biết bản nào nộp sau. Đã dùng tệp {file} (tên xếp sau theo thứ tự "
        "chữ cái; mọi lần chạy đều chọn như vậy). Nếu bản cần dùng là tệp khác, hãy chuyển các "
        "tệp không dùng ra khỏi inbox/ rồi chạy lại.",
    ),
    "inbox.arrived_before_period": (
        Severity.WARNING,
        "Tệp {file} của {name} có thời điểm nhận {arrived}, trước khi kỳ {period} bắt đầu "
        "({start}): có thể đồng hồ của máy tính gửi hoặc nhận bị đặt sai. Bài vẫn được tính là "
        "đã nộp đúng hạn; hãy kiểm tra lại với đơn vị nếu cần.",
    ),
    "inbox.arrival_time_zone": (
        Severity.WARNING,
        "Tệp {file} của {name} đến lúc {local} theo giờ của máy tính này, tức {plan_time} theo "
        "múi giờ của kế hoạch ({zone}); việc xét đúng hạn theo giờ của kế hoạch nên bài được "
        "tính là {verdict}. Nếu thời điểm theo giờ của kế hoạch là đúng thì không cần làm gì; "
        "nếu không, hãy kiểm tra cài đặt giờ của máy tính (Windows: Settings > Time & "
        "language).",
    ),
    # A file fetched from a mail (wbt fetch) whose sender is not on the roster.
    "inbox.unknown_sender": (
        Severity.WARNING,
        "Tệp {file} lấy từ thư của {sender}, địa chỉ không có trong trang Danh sách của kế "
        "hoạch. Tệp vẫn được đọc; hãy kiểm tra người gửi có đúng là người của {name} không, "
        "và nếu đúng thì ghi địa chỉ đó vào cột Email của trang Danh sách.",
    ),
    "inbox.ledger_corrupt": (
        Severity.WARNING,
        "Sổ ghi thời điểm nhận bài {path} bị hỏng ({reason}), đã được cất sang {aside} và tạo "
        "sổ mới. Thời điểm nhận của các tệp đang có được tính lại theo ngày sửa tệp: hãy kiểm "
        "tra lại cột Đúng hạn/Trễ hạn.",
    ),
    "inbox.ledger_unavailable": (
        Severity.WARNING,
        "Không dùng được sổ ghi thời điểm nhận bài {path} ({reason}); lần chạy này tính thời "
        "điểm nhận theo ngày sửa tệp và không ghi lại. Hãy kiểm tra quyền ghi vào thư mục làm "
        "việc, và đóng các lệnh wbt khác đang chạy.",
    ),
    "inbox.ledger_newer": (
        Severity.WARNING,
        "Sổ ghi thời điểm nhận bài {path} do một phiên bản wbt mới hơn tạo ra (sổ phiên bản "
        "{found}, phiên bản wbt này chỉ đọc được đến {supported}). Sổ được giữ nguyên, không "
        "sửa; lần chạy này tính thời điểm nhận theo ngày sửa tệp và không ghi lại. Hãy cập nhật "
        "wbt lên phiên bản mới nhất rồi chạy lại.",
    ),
    # --- chốt số liệu and the officer's review (workbook_tools.inbox.lock) ----
    "lock.after_lock": (
        Severity.INFO,
        "Tệp {file} của {name} nộp sau khi chốt số liệu kỳ {period} (chốt lúc {locked}): không "
        "được tính vào báo cáo đã chốt. Nếu cần tính, hãy mở chốt bằng lệnh wbt unlock --period "
        "{period} --reason \"lý do\" rồi chạy lại wbt merge.",
    ),
    "lock.file_missing": (
        Severity.ERROR,
        "Kỳ {period} đã chốt số liệu lúc {locked} với tệp {file} của {name}, nhưng tệp đó không "
        "còn trong inbox/ như lúc chốt ({how}), nên không tổng hợp lại được đúng số liệu đã chốt. "
        "Hãy chép lại vào inbox/ đúng tệp {file} như lúc chốt (bản nhận qua email, Zalo, hoặc "
        "bản sao lưu), hoặc, nếu muốn tổng hợp theo các tệp đang có, mở chốt bằng lệnh wbt "
        "unlock --period {period} --reason \"lý do\".",
    ),
    "lock.restored": (
        Severity.WARNING,
        "Sổ {path} không còn ghi việc chốt số liệu kỳ {period} (sổ bị hỏng, bị xóa hoặc được tạo "
        "lại), trong khi báo cáo đã chốt ghi là đã chốt lúc {locked}: đã ghi lại việc chốt vào sổ "
        "theo báo cáo đó, và tổng hợp đúng các tệp đã chốt. Hãy sao lưu sổ cùng thư mục làm việc.",
    ),
    "review.returned": (
        Severity.WARNING,
        "Tệp {file} của {name} đã bị cán bộ trả lại để sửa lúc {at}: {reason}. Số liệu của tệp "
        "vẫn được tổng hợp cho đến khi {name} gửi bản đã sửa; lưu bản đó vào inbox/ rồi chạy "
        "lại lệnh.",
    ),
    # --- values of a returned form (workbook_tools.checks) -------------------
    # {where} is "Ô C12 (trang 'Báo cáo')", {label} the field's label on the form,
    # {value} what the cell holds, {read_as} how a guess was read, {hint} "" or a
    # sentence with a suggestion, {expected} what to enter.
    "value.required": (
        Severity.ERROR,
        "{where} – «{label}»: chưa nhập. Đây là mục bắt buộc: hãy nhập {expected}.",
    ),
    "value.not_int": (
        Severity.ERROR,
        "{where} – «{label}»: ghi '{value}', không phải một số nguyên.{hint} Hãy chỉ nhập chữ "
        "số, không kèm chữ hay ký hiệu, ví dụ 12; nếu không có thì nhập 0.",
    ),
    "value.negative": (
        Severity.ERROR,
        "{where} – «{label}»: ghi '{value}' là số âm. Số liệu phải từ 0 trở lên: hãy nhập lại "
        "cho đúng.",
    ),
    "value.fraction": (
        Severity.ERROR,
        "{where} – «{label}»: ghi '{value}' là số có phần lẻ, không phải số nguyên. Hãy nhập "
        "số nguyên, ví dụ 12. Nếu định ghi số hàng nghìn, hãy gõ liền không có dấu, ví dụ 1234.",
    ),
    "value.int_ambiguous": (
        Severity.ERROR,
        "{where} – «{label}»: ghi '{value}', không rõ là {read_as} hay số lẻ {value} (dấu phẩy "
        "có thể là dấu thập phân). Hãy gõ số liền, không có dấu chấm hay dấu phẩy, ví dụ "
        "{read_as}.",
    ),
    "value.int_text": (
        Severity.WARNING,
        "{where} – «{label}»: ghi '{value}', đã đọc là {read_as}. Nếu đúng thì không cần sửa; "
        "nếu sai, hãy gõ lại số liền, không có dấu chấm, dấu phẩy hay dấu cách.",
    ),
    "value.int_date": (
        Severity.ERROR,
        "{where} – «{label}»: ô đang hiện ngày {value} vì ô bị định dạng kiểu ngày.{hint} Hãy "
        "định dạng ô là số (Format Cells → Number) rồi nhập lại số.",
    ),
    "value.yesno_spelling": (
        Severity.WARNING,
        "{where} – «{label}»: ghi '{value}', đã đọc là '{read_as}'. Nếu đúng thì không cần sửa; "
        "lần sau hãy chọn Có hoặc Không trong danh sách của ô.",
    ),
    "value.yesno_invalid": (
        Severity.ERROR,
        "{where} – «{label}»: ghi '{value}', không phải Có hoặc Không. Hãy chọn Có hoặc Không "
        "trong danh sách của ô.",
    ),
    "value.status_spelling": (
        Severity.WARNING,
        "{where} – «{label}»: ghi '{value}', đã đọc là '{read_as}'. Nếu đúng thì không cần sửa; "
        "lần sau hãy chọn trong danh sách của ô: {expected}.",
    ),
    "value.status_invalid": (
        Severity.ERROR,
        "{where} – «{label}»: ghi '{value}', không phải một tình trạng hợp lệ. Hãy chọn một "
        "trong danh sách của ô: {expected}.",
    ),
    "value.date_text": (
        Severity.WARNING,
        "{where} – «{label}»: ghi '{value}', đã đọc là ngày {read_as} (ngày/tháng/năm). Nếu "
        "đúng thì không cần sửa; nếu sai, hãy nhập lại theo dạng dd/mm/yyyy, ví dụ 15/06/2024.",
    ),
    "value.number_in_text": (
        Severity.WARNING,
        "{where} – «{label}»: ô này để ghi chữ nhưng nhận một số ({value}). Nếu đây là số điện "
        "thoại hay một mã bắt đầu bằng số 0, số 0 đầu đã bị mất: hãy gõ lại, bắt đầu bằng dấu "
        "nháy đơn, ví dụ '0912345678. Nếu số đúng như vậy thì không cần sửa.",
    ),
    "value.date_serial": (
        Severity.WARNING,
        "{where} – «{label}»: ghi số {value}, đã đọc là ngày {read_as}. Nếu sai, hãy nhập lại "
        "ngày theo dạng dd/mm/yyyy, ví dụ 15/06/2024.",
    ),
    "value.date_invalid": (
        Severity.ERROR,
        "{where} – «{label}»: ghi '{value}', không đọc được là một ngày.{hint} Hãy nhập ngày "
        "theo dạng dd/mm/yyyy, ví dụ 15/06/2024.",
    ),
    "value.date_impossible": (
        Severity.ERROR,
        "{where} – «{label}»: ghi '{value}' nhưng không có ngày này trên lịch. Hãy kiểm tra lại "
        "ngày, tháng, năm và nhập theo dạng dd/mm/yyyy, ví dụ 15/06/2024.",
    ),
    "value.not_decimal": (
        Severity.ERROR,
        "{where} – «{label}»: ghi '{value}', không phải một số.{hint} Hãy chỉ nhập số, phần "
        "thập phân sau dấu phẩy, ví dụ 12,5; nếu không có thì nhập 0.",
    ),
    "value.number_text": (
        Severity.WARNING,
        "{where} – «{label}»: ghi '{value}', đã đọc là {read_as}. Nếu đúng thì không cần sửa; "
        "nếu sai, hãy nhập lại theo cách viết Việt Nam: dấu chấm ngăn hàng nghìn, dấu phẩy "
        "trước phần thập phân, ví dụ 1.234,5.",
    ),
    "value.number_ambiguous": (
        Severity.ERROR,
        "{where} – «{label}»: ghi '{value}', không rõ là số hàng nghìn hay số có phần thập "
        "phân. Hãy gõ lại số không có dấu ngăn hàng nghìn, phần thập phân sau dấu phẩy, ví dụ "
        "1234 hoặc 1,5.",
    ),
    "value.decimal_rounded": (
        Severity.WARNING,
        "{where} – «{label}»: ghi {value}, nhiều chữ số thập phân hơn mức cần{hint}; đã làm "
        "tròn thành {read_as}. Nếu đúng thì không cần sửa.",
    ),
    "value.not_money": (
        Severity.ERROR,
        "{where} – «{label}»: ghi '{value}', không phải một số tiền.{hint} Hãy nhập số tiền bằng "
        "đồng, chỉ gồm chữ số, ví dụ 1500000 hoặc 1.500.000; nếu không có thì nhập 0.",
    ),
    "value.money_text": (
        Severity.WARNING,
        "{where} – «{label}»: ghi '{value}', đã đọc là {read_as} đồng. Nếu đúng thì không cần "
        "sửa; nếu sai, hãy nhập lại số tiền bằng đồng, ví dụ 1.500.000.",
    ),
    "value.money_fraction": (
        Severity.ERROR,
        "{where} – «{label}»: ghi '{value}', có phần lẻ của một đồng. Hãy nhập số tiền bằng "
        "đồng, số nguyên, ví dụ 1.500.000.",
    ),
    "value.choice_spelling": (
        Severity.WARNING,
        "{where} – «{label}»: ghi '{value}', đã đọc là '{read_as}'. Nếu đúng thì không cần sửa; "
        "lần sau hãy chọn trong danh sách của ô: {expected}.",
    ),
    "value.choice_invalid": (
        Severity.ERROR,
        "{where} – «{label}»: ghi '{value}', không phải một lựa chọn của mục này. Hãy chọn một "
        "trong danh sách của ô: {expected}.",
    ),
    "value.too_long": (
        Severity.ERROR,
        "{where} – «{label}»: dài {length} ký tự, quá giới hạn {limit} ký tự. Hãy viết ngắn "
        "gọn lại.",
    ),
    "value.below_minimum": (
        Severity.ERROR,
        "{where} – «{label}»: ghi {value}, nhỏ hơn mức thấp nhất cho phép là {limit}. Hãy kiểm "
        "tra lại số liệu.",
    ),
    "value.above_maximum": (
        Severity.ERROR,
        "{where} – «{label}»: ghi {value}, lớn hơn mức cao nhất cho phép là {limit}. Hãy kiểm "
        "tra lại số liệu.",
    ),
    "value.legacy_converted": (
        Severity.WARNING,
        "{where} – «{label}»: chữ được gõ bằng bảng mã cũ {encoding}, đã chuyển sang Unicode "
        "thành '{read_as}'. Hãy kiểm tra lại; lần sau hãy gõ bằng bảng mã Unicode (trong Unikey "
        "chọn bảng mã Unicode).",
    ),
    "value.legacy_unreadable": (
        Severity.ERROR,
        "{where} – «{label}»: chữ được gõ bằng bảng mã cũ (TCVN3 hoặc VNI) và không chuyển sang "
        "Unicode được chắc chắn. Hãy gõ lại bằng bảng mã Unicode (trong Unikey chọn bảng mã "
        "Unicode, phông chữ như Times New Roman).",
    ),
    "value.excel_error": (
        Severity.ERROR,
        "{where} – «{label}»: ô đang báo lỗi công thức {value}. Hãy xóa công thức và nhập thẳng "
        "giá trị.",
    ),
    "value.formula_uncalculated": (
        Severity.ERROR,
        "{where} – «{label}»: có công thức {value} nhưng tệp không lưu kết quả của công thức "
        "(tệp được lưu bằng một chương trình không tính công thức), nên không biết ô ghi gì. "
        "Hãy mở tệp bằng Excel hoặc LibreOffice rồi lưu lại, hoặc xóa công thức và nhập thẳng "
        "giá trị.",
    ),
    "value.unreadable": (
        Severity.ERROR,
        "{where} – «{label}»: không đọc được giá trị trong ô. Hãy nhập lại {expected}.",
    ),
    # --- the plan's rules on a returned form (workbook_tools.checks) ---------
    # The severity is the rule's own (Quy tắc sheet); {message} is the rule's
    # message, {values} lists the values it names, {rule} its code.
    "rule.failed": (
        Severity.ERROR,
        "{where} – «{label}»: {message} Giá trị đã đọc: {values}. (Quy tắc {rule})",
    ),
    # --- the plan's indicators and its checks across forms (wbt merge) --------
    # A rule on the commune as a whole (Biểu mẫu "xa"): the severity is the
    # rule's own; {figures} lists each COUNT/SUM it compared with its value.
    "rule.commune_failed": (
        Severity.WARNING,
        "Số liệu giữa các biểu mẫu chưa khớp: {message} Số liệu đã so sánh: {figures}. "
        "(Quy tắc {rule})",
    ),
    "rule.commune_unchecked": (
        Severity.INFO,
        "Chưa kiểm tra được quy tắc {rule} ({check}, so sánh số liệu giữa các biểu mẫu) vì "
        "còn nơi chưa nộp hoặc để trống, ghi sai ô cần cho quy tắc: {entries}. Quy tắc được "
        "kiểm tra khi đủ số liệu.",
    ),
    "indicator.no_data_blank": (
        Severity.WARNING,
        "Chỉ tiêu {indicator} chưa có số liệu: {name} ({unit}) đã nộp nhưng để trống hoặc "
        "ghi sai ô {cells}. Ô để trống không được tính là 0: hãy đề nghị {name} điền số "
        "liệu (ghi 0 nếu không phát sinh) và gửi lại.",
    ),
    # --- checks against the past and the peers (wbt merge; "cần xác minh") ----
    # {name} the entry's name, {label} the field's, {period_name} this report's,
    # {previous_name} the earlier report's; figures as the officer writes them.
    "compare.cumulative_fall": (
        Severity.WARNING,
        "Cần xác minh: {name} ({unit}) ghi «{label}» là {value} trong {period_name}, thấp "
        "hơn số {previous} đã ghi trong {previous_name}. Số liệu này cộng dồn từ đầu năm nên "
        "không thể giảm. Hãy hỏi lại {name} và đề nghị sửa, gửi lại nếu ghi sai.",
    ),
    "compare.far_from_previous": (
        Severity.WARNING,
        "Cần xác minh: {name} ({unit}) ghi «{label}» là {value}, {how} số {previous} đã ghi "
        "trong {previous_name}. Hãy hỏi lại {name} xem số liệu có đúng không.",
    ),
    "compare.far_from_peers": (
        Severity.WARNING,
        "Cần xác minh: {name} ({unit}) ghi «{label}» là {value}, khác xa các {village} "
        "khác: trung vị của {count} {village} đã ghi là {median}, số này lệch {difference} "
        "(ngưỡng cần xác minh: lệch quá {threshold}). Hãy hỏi lại {name} xem số liệu có "
        "đúng không.",
    ),
    "compare.summary_unreadable": (
        Severity.WARNING,
        "Không đọc được tệp tổng hợp {file} của một kỳ trước ({reason}) nên chưa so sánh "
        "được với kỳ đó. Hãy tổng hợp lại kỳ đó bằng 'wbt merge' để ghi lại tệp.",
    ),
    "indicator.no_data_missing": (
        Severity.WARNING,
        "Chỉ tiêu {indicator} chưa có số liệu: {name} ({unit}) chưa nộp báo cáo. Hãy đôn "
        "đốc {name} nộp báo cáo.",
    ),
}


def make(
    code: str,
    *,
    file: str | None = None,
    unit: str | None = None,
    sheet: str | None = None,
    cell: str | None = None,
    field: str | None = None,
    value: object = None,
    severity: Severity | None = None,
    **context: object,
) -> Problem:
    """Build a :class:`Problem` from the catalogue.

    The location arguments also fill the template, so a template may name
    ``{file}``, ``{cell}``, ``{value}``… as well as its own ``context`` keys.
    """
    default_severity, template = MESSAGES[code]
    shown = "" if value is None else str(value)
    fill: dict[str, object] = {
        "file": file or "",
        "unit": unit or "",
        "sheet": sheet or "",
        "cell": cell or "",
        "field": field or "",
        "value": shown,
        **context,
    }
    return Problem(
        code=code,
        severity=severity or default_severity,
        message=template.format(**fill),
        file=file,
        unit=unit,
        sheet=sheet,
        cell=cell,
        field=field,
        value=None if value is None else shown,
    )
