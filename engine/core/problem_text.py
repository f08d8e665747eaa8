"""A definition problem in Vietnamese. The checks write their messages in English (the log's language and the
tests'); this table gives each one, and the messages SpiffWorkflow's parser and the XML loader write, in
Vietnamese. Details the author wrote (ids, values, an expression's own compile error) are kept as they are.

Every pattern is anchored; a message no pattern knows is shown in English after a Vietnamese lead-in, so a new
check is never silent (tests/engine/test_problem_messages.py runs every check and asserts each is known).
"""

from __future__ import annotations

import re

from engine.core.errors import Problem

_WHAT = {
    "condition": "điều kiện",
    "loop condition": "điều kiện lặp",
    "completion condition": "điều kiện hoàn thành",
    "dueDate": "hạn xử lý (dueDate)",
    "followUpDate": "ngày theo dõi (followUpDate)",
    "candidate group": "nhóm thực hiện",
    "lane": "làn (lane)",
    "duration": "khoảng thời gian",
    "date": "thời điểm",
    "cycle": "chu kỳ lặp",
    "input": "đầu vào",
    "output": "đầu ra",
}

_CATALOGUE: list[tuple[str, str]] = [
    # engine.core.validation (XML pass)
    (r"ad-hoc sub-processes do not run in SpiffWorkflow 3.2.*", "Tiểu quy trình ad-hoc không chạy được trên bộ máy."),
    # engine.core.decisions and engine.core.decision_tables (business rule tasks, DMN files)
    (
        r"the business rule task names no decision \(camunda:decisionRef\)",
        "Nhiệm vụ quy tắc nghiệp vụ không chỉ ra bảng quyết định (camunda:decisionRef).",
    ),
    (
        r"evaluates the DMN decision '(?P<a>[^']*)', which is not deployed",
        "Nhiệm vụ quy tắc nghiệp vụ dùng bảng quyết định DMN '{a}', bảng này chưa được triển khai.",
    ),
    (r"The file is not a DMN file: its root element is <(?P<a>[^>]*)>\.", "Tệp không phải DMN (gốc là <{a}>)."),
    (
        r"a DMN file must hold exactly one decision \(this one has (?P<a>\d+)\)",
        "Tệp DMN phải có đúng một bảng quyết định (tệp này có {a}).",
    ),
    (
        r"the decision id '(?P<a>[^']*)' must be a name like .*",
        "Mã bảng quyết định '{a}' phải là tên dạng incident_notices.",
    ),
    (r"the decision must be one decision table", "Quyết định phải là một bảng quyết định (decision table)."),
    (
        r"hit policy (?P<a>.*) is not supported \(use UNIQUE, FIRST or COLLECT\)",
        "Chính sách chọn quy tắc (hit policy) {a} không được hỗ trợ (dùng UNIQUE, FIRST hoặc COLLECT).",
    ),
    (r"input '(?P<a>[^']*)': its expression is not valid: (?P<b>.*)", "Đầu vào '{a}': biểu thức không hợp lệ: {b}"),
    (r"the decision table has no output", "Bảng quyết định không có đầu ra nào."),
    (
        r"output '(?P<a>[^']*)' needs a name like .*",
        "Đầu ra '{a}' cần tên biến dạng bao_cap_tren (biến được gán kết quả).",
    ),
    (
        r"rule (?P<a>\d+) has (?P<b>\d+) input and (?P<c>\d+) output cells",
        "Quy tắc {a} có {b} ô đầu vào và {c} ô đầu ra, không khớp với các cột của bảng.",
    ),
    (
        r"rule (?P<a>\d+): (?P<w>input|output) cell '(?P<b>.*)' is not valid: (?P<c>.*)",
        "Quy tắc {a}: ô {w} '{b}' không hợp lệ: {c}",
    ),
    (r"the decision table cannot be read: (?P<a>.*)", "Không đọc được bảng quyết định: {a}"),
    (r"complex gateways are not supported", "Cổng phức hợp (complex gateway) không được hỗ trợ."),
    (
        r"conditional catch events are never re-checked by the engine.*",
        "Sự kiện điều kiện không bao giờ được kiểm tra lại; hãy dùng cổng rẽ nhánh hoặc bộ hẹn giờ.",
    ),
    (
        r"an interrupting boundary event on the looped sub-process '(?P<a>[^']*)' crashes the engine.*",
        "Sự kiện biên ngắt trên tiểu quy trình lặp '{a}' làm bộ máy lỗi khi kích hoạt; hãy đặt không ngắt "
        "(non-interrupting) hoặc chờ bằng cổng sự kiện bên trong vòng lặp.",
    ),
    (
        r"message '(?P<a>[^']*)' is thrown but no deployed process \(nor this file\) catches it",
        "Thông điệp '{a}' được gửi nhưng không quy trình nào đã triển khai (kể cả tệp này) nhận nó.",
    ),
    (r"message throw names no message \(messageRef\)", "Sự kiện gửi thông điệp không chỉ ra thông điệp (messageRef)."),
    (r"receive task names no message \(messageRef\)", "Nhiệm vụ nhận không chỉ ra thông điệp chờ nhận (messageRef)."),
    (r"send task names no message \(messageRef\)", "Nhiệm vụ gửi không chỉ ra thông điệp gửi đi (messageRef)."),
    (
        r"error and escalation event sub-processes start at once.*",
        "Tiểu quy trình sự kiện lỗi/leo thang sẽ chạy ngay khi quy trình bắt đầu (giới hạn của bộ máy).",
    ),
    (
        r"interrupting event sub-processes are not supported.*",
        'Tiểu quy trình sự kiện kiểu ngắt không được hỗ trợ; hãy đặt isInterrupting="false".',
    ),
    (r"(?P<w>condition|loop condition|completion condition) is empty", "{w} để trống."),
    (r"(?P<w>condition|loop condition|completion condition) does not compile: (?P<a>.*)", "{w} không hợp lệ: {a}"),
    (r"timer has no timeDate, timeDuration or timeCycle", "Bộ hẹn giờ thiếu timeDate, timeDuration hoặc timeCycle."),
    (r"timer (?P<a>\w+) is empty", "Bộ hẹn giờ {a} để trống."),
    (r"timer does not compile: (?P<a>.*)", "Biểu thức hẹn giờ không hợp lệ: {a}"),
    (
        r"timer (?P<a>\w+) '(?P<b>[^']*)' is an ISO-8601 (?P<w>\w+), not a (?P<x>\w+)",
        "Bộ hẹn giờ {a} '{b}' là một {w} ISO-8601, không phải {x}.",
    ),
    (r"timer (?P<a>\w+) '(?P<b>[^']*)' is not valid: (?P<c>.*)", "Bộ hẹn giờ {a} '{b}' không hợp lệ: {c}"),
    (
        r"message throw has no camunda:expression.*",
        "Sự kiện gửi thông điệp thiếu camunda:expression (nội dung gửi đi); bộ máy không gửi được.",
    ),
    (r"message payload does not compile: (?P<a>.*)", "Nội dung thông điệp không hợp lệ: {a}"),
    (
        r"multi-instance over a collection needs both loopDataInputRef and inputDataItem",
        "Đa phiên bản theo danh sách cần cả loopDataInputRef và inputDataItem.",
    ),
    (
        r"multi-instance outputs need both loopDataOutputRef and outputDataItem",
        "Kết quả đa phiên bản cần cả loopDataOutputRef và outputDataItem.",
    ),
    (
        r"multi-instance loopCardinality must be an integer literal.*",
        "loopCardinality của đa phiên bản phải là một số nguyên (dùng danh sách qua loopDataInputRef).",
    ),
    (
        r"multi-instance camunda:collection needs camunda:elementVariable",
        "camunda:collection cần camunda:elementVariable.",
    ),
    (r"loopMaximum '(?P<a>[^']*)' is not a whole number", "loopMaximum '{a}' không phải số nguyên."),
    # engine.core.spec_checks (spec pass)
    (r"script task has no script", "Nhiệm vụ kịch bản không có kịch bản."),
    (r"script does not compile: (?P<a>.*)", "Kịch bản không hợp lệ: {a}"),
    (r"service task names no service.*", "Nhiệm vụ dịch vụ không chỉ ra dịch vụ (thuộc tính 'service')."),
    (
        r"unknown role '(?P<a>[^']*)' in (?P<w>candidate group|lane) '(?P<b>[^']*)' \(known: (?P<c>.*)\)",
        "Vai trò '{a}' trong {w} '{b}' không tồn tại (có: {c}).",
    ),
    (
        r"unknown scope '(?P<a>[^']*)' in (?P<w>candidate group|lane) '(?P<b>[^']*)' \(known: (?P<c>.*)\)",
        "Phạm vi '{a}' trong {w} '{b}' không tồn tại (có: {c}).",
    ),
    (
        r"the task names no candidate group, user or lane: it goes to the default '(?P<a>[^']*)'.*",
        "Nhiệm vụ không chỉ ra nhóm thực hiện, người hay làn: sẽ giao cho vai trò mặc định '{a}' "
        "(lãnh đạo của đơn vị).",
    ),
    (r"a form field has no id", "Một trường của biểu mẫu không có mã (id)."),
    (r"form field id '(?P<a>[^']*)' must be a name like .*", "Mã trường '{a}' phải là tên dạng so_van_ban."),
    (r"form field '(?P<a>[^']*)' is declared twice", "Trường '{a}' được khai báo hai lần."),
    (
        r"form field '(?P<a>[^']*)' has unknown type '(?P<b>[^']*)' \(known: (?P<c>.*)\)",
        "Trường '{a}' có kiểu '{b}' không được hỗ trợ (có: {c}).",
    ),
    (r"enum field '(?P<a>[^']*)' has no values", "Trường lựa chọn '{a}' không có giá trị nào."),
    (r"enum field '(?P<a>[^']*)' repeats a value id", "Trường lựa chọn '{a}' lặp lại một mã giá trị."),
    (
        r"form field '(?P<a>[^']*)' has unknown constraint '(?P<b>[^']*)' \(known: (?P<c>.*)\)",
        "Trường '{a}' có ràng buộc '{b}' không được hỗ trợ (có: {c}).",
    ),
    (r"form field '(?P<a>[^']*)': (?P<b>\w+) '(?P<c>[^']*)' is not a number", "Trường '{a}': {b} '{c}' không phải số."),
    (
        r"form field '(?P<a>[^']*)': (?P<b>\w+) '(?P<c>[^']*)' is not a whole number",
        "Trường '{a}': {b} '{c}' không phải số nguyên.",
    ),
    (r"form field '(?P<a>[^']*)': min is greater than max", "Trường '{a}': min lớn hơn max."),
    (r"form field '(?P<a>[^']*)': minlength is greater than maxlength", "Trường '{a}': minlength lớn hơn maxlength."),
    (
        r"form field '(?P<a>[^']*)': default '(?P<b>[^']*)' is not valid: (?P<c>.*)",
        "Trường '{a}': giá trị mặc định '{b}' không hợp lệ: {c}",
    ),
    (
        r"(?P<w>dueDate|followUpDate) '(?P<a>[^']*)' is a repeating interval.*",
        "{w} '{a}' là chu kỳ lặp; hãy dùng khoảng thời gian hoặc ngày.",
    ),
    (r"(?P<w>dueDate|followUpDate) '(?P<a>[^']*)' is not valid: (?P<b>.*)", "{w} '{a}' không hợp lệ: {b}"),
    (r"(?P<w>dueDate|followUpDate) does not compile: (?P<a>.*)", "{w} không hợp lệ: {a}"),
    # engine.core.parser and SpiffWorkflow's parser
    (
        r"calls process '(?P<a>[^']*)', which is not in this file \(.*",
        "Gọi quy trình '{a}' không có trong tệp này (hoạt động gọi phải gọi một quy trình trong cùng tệp).",
    ),
    (
        r"calls process '(?P<a>[^']*)', which is not in this file nor deployed",
        "Gọi quy trình '{a}' không có trong tệp này và chưa được triển khai.",
    ),
    # engine.core.timer_starts
    (r"timer start event has no timeDate or timeCycle", "Sự kiện bắt đầu hẹn giờ thiếu timeDate hoặc timeCycle."),
    (
        r"timer start event needs the property orgKinds.*",
        "Sự kiện bắt đầu hẹn giờ cần thuộc tính orgKinds (loại đơn vị nơi quy trình được khởi động).",
    ),
    (
        r"timer start event (?P<w>\w+) '(?P<a>[^']*)' is not an ISO-8601 date or repeating interval.*",
        "Sự kiện bắt đầu hẹn giờ {w} '{a}' phải là thời điểm ISO-8601 hoặc chu kỳ R/<bắt đầu>/<khoảng thời gian>.",
    ),
    (
        r"timer start event (?P<w>\w+) '(?P<a>[^']*)' is an ISO-8601 (?P<b>\w+), not a (?P<c>\w+)",
        "Sự kiện bắt đầu hẹn giờ {w} '{a}' là {b}, không phải {c}.",
    ),
    (
        r"timer start event timeCycle '(?P<a>[^']*)' needs a start date.*",
        "Chu kỳ '{a}' của sự kiện bắt đầu hẹn giờ cần ngày bắt đầu: R/<bắt đầu>/<khoảng thời gian>.",
    ),
    (
        r"timer start event timeCycle '(?P<a>[^']*)' has an empty duration",
        "Chu kỳ '{a}' của sự kiện bắt đầu hẹn giờ có khoảng thời gian bằng 0.",
    ),
    (
        r"timer start event (?P<w>\w+) '(?P<a>[^']*)' is not valid: (?P<b>.*)",
        "Sự kiện bắt đầu hẹn giờ {w} '{a}' không hợp lệ: {b}",
    ),
    (
        r"The file has no executable process.*",
        'Tệp không có quy trình thực thi được (đặt isExecutable="true" cho quy trình).',
    ),
    (r"the parser failed: the attribute (?P<a>\S+) is missing", "Không đọc được sơ đồ: thiếu thuộc tính {a}."),
    (r"Cannot resolve (?P<a>dataInputAssociation|dataOutputAssociation) (?P<b>.*)", "Không tìm thấy {b} của {a}."),
    (
        r"A loopMaximum or loopCondition must be specified.*",
        "Vòng lặp cần loopMaximum hoặc loopCondition.",
    ),
    (r"A multiinstance task must specify .*", "Nhiệm vụ đa phiên bản cần số lần lặp hoặc danh sách dữ liệu vào."),
    (r"Invalid Script Task\.\s+No Script Provided\..*", "Nhiệm vụ kịch bản không có kịch bản."),
    (
        r'No DMN Diagram available with id "(?P<a>[^"]*)".*',
        "Không có bảng quyết định DMN với mã '{a}' được triển khai cùng sơ đồ.",
    ),
    (r"There is no support implemented for this task type\.", "Loại nhiệm vụ này không được hỗ trợ."),
    (r"the parser failed: (?P<a>.*)", "Không đọc được sơ đồ: {a}"),
    # engine.core.xmlsafe
    (r"The file is empty\.", "Tệp rỗng."),
    (r"The file is too large: the file is (?P<a>.*), the limit is (?P<b>.*)\.", "Tệp quá lớn: {a}, giới hạn {b}."),
    (r"The file contains a DOCTYPE declaration.*", "Tệp có khai báo DOCTYPE, không được phép (vì an toàn)."),
    (r"The file is not well-formed XML \(line (?P<a>[^)]*)\): (?P<b>.*)", "Tệp không phải XML hợp lệ (dòng {a}): {b}"),
    (
        r"The file is not a BPMN 2\.0 file: its root element is <(?P<a>[^>]*)>.*",
        "Tệp không phải BPMN 2.0 (gốc là <{a}>).",
    ),
]
_COMPILED = [(re.compile(rf"^{pattern}$", re.DOTALL), template) for pattern, template in _CATALOGUE]


def known(message: str) -> bool:
    """True when the catalogue has this message."""
    return any(pattern.match(message) for pattern, _ in _COMPILED)


def vietnamese(message: str) -> str:
    """The message in Vietnamese; an unknown one in English after a Vietnamese lead-in."""
    for pattern, template in _COMPILED:
        match = pattern.match(message)
        if match:
            values = {k: _WHAT.get(v, v) if k in ("w", "x") else v for k, v in match.groupdict().items()}
            text = template.format(**values)
            return text[0].upper() + text[1:]
    return f"Sơ đồ có lỗi: {message}"


def problem_text(problem: Problem, lang: str = "vi") -> str:
    """The problem as the modeller shows it: the element's name and id, then the message in `lang`."""
    text = problem.message if lang == "en" else vietnamese(problem.message)
    if problem.name and problem.element_id:
        return f"{problem.name} ({problem.element_id}): {text}"
    if problem.element_id:
        return f"{problem.element_id}: {text}"
    return text


def problem_json(problem: Problem, lang: str = "vi") -> dict:
    """The problem for the modeller's JSON answers."""
    text = problem.message if lang == "en" else vietnamese(problem.message)
    return {
        "element": problem.element_id,
        "name": problem.name,
        "message": text,
        "message_en": problem.message,
        "text": problem_text(problem, lang),
    }
