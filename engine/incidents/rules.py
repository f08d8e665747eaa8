"""Ad-hoc incident reports (báo cáo đột xuất): categories, severities, immediate actions (primer §5), and
validation of what a school raises. The incident's path (confirmation, notices, escalation timers,
follow-ups) is the BPMN process `incident`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine.core.clock import VN_TZ
from engine.core.errors import FormValidationError
from engine.core.forms import FieldError

CATEGORIES = {
    "school_violence": ("Bạo lực học đường", "School violence"),
    "fight": ("Học sinh đánh nhau, gây rối trật tự", "Fight, public disorder"),
    "child_abuse": ("Xâm hại trẻ em", "Child abuse"),
    "drugs": ("Ma túy, chất hướng thần, thuốc lá điện tử", "Drugs, e-cigarettes"),
    "traffic_accident": ("Tai nạn, vi phạm giao thông", "Traffic accident or violation"),
    "fire_explosion": ("Cháy, nổ", "Fire, explosion"),
    "injury_accident": ("Tai nạn thương tích, đuối nước", "Injury, drowning"),
    "mass_gathering_incitement": ("Kích động, lôi kéo tụ tập đông người", "Incitement to mass gathering"),
    "crime_by_or_against_member": ("Tội phạm liên quan đến người của trường", "Crime by or against a member"),
    "intrusion_safety": ("Người lạ xâm nhập, bắt cóc, lừa đảo, ngộ độc", "Intrusion, abduction, scam, poisoning"),
    "food_poisoning": ("Ngộ độc thực phẩm", "Food poisoning"),
    "staff_misconduct": ("Cán bộ, giáo viên, nhân viên vi phạm", "Staff misconduct"),
    "info_security_secret": ("Lộ bí mật nhà nước, an ninh mạng", "State secrets, cyber security"),
}
SEVERITIES = {
    "minor": ("Nhẹ", "Minor"),
    "serious": ("Nghiêm trọng", "Serious"),
    "very_serious": ("Rất nghiêm trọng", "Very serious"),
    "fatal": ("Đặc biệt nghiêm trọng (có tử vong)", "Fatal"),
}
SERIOUS = ("serious", "very_serious", "fatal")
ACTIONS = {
    "separated": ("Tách, cách ly các bên", "Parties separated"),
    "first_aid": ("Sơ cứu, đưa đi cấp cứu", "First aid given"),
    "parents_informed": ("Đã báo cha mẹ học sinh", "Parents informed"),
    "ward_police_informed": ("Đã báo Công an phường/xã", "Ward police informed"),
    "hotline_111": ("Đã gọi Tổng đài 111", "Hotline 111 called"),
    "clip_removed": ("Đã yêu cầu gỡ clip trên mạng", "Online clip taken down"),
}
ROLES_INVOLVED = {
    "victim": ("Bị hại", "Victim"),
    "perpetrator": ("Người gây ra", "Perpetrator"),
    "witness": ("Người chứng kiến", "Witness"),
    "filmer": ("Người quay clip", "Filmed it"),
}
LOCATIONS = {
    "inside": ("Trong trường", "Inside the school"),
    "gate": ("Cổng trường", "At the gate"),
    "outside": ("Ngoài trường", "Outside the school"),
    "online": ("Trên mạng", "Online"),
}
UPDATE_KINDS = {
    "raised": ("báo cáo", "raised"),
    "open": ("mở hồ sơ", "case opened"),
    "notified": ("đã thông báo", "notified"),
    "escalated": ("báo cấp trên (quá hạn tiếp nhận)", "escalated (not acknowledged in time)"),
    "acknowledged": ("đã tiếp nhận", "acknowledged"),
    "report": ("báo cáo bằng văn bản", "written report"),
    "update": ("cập nhật", "update"),
    "closed": ("kết thúc", "closed"),
    "false_alarm": ("báo nhầm", "false alarm"),
}
MAX_PEOPLE = 50


def validate_incident(data: Mapping[str, Any], now: datetime) -> dict:
    """Clean values for a new incident, or FormValidationError naming each bad field."""
    errors: dict[str, FieldError] = {}
    clean: dict[str, Any] = {}

    def choice(name: str, options: Mapping) -> None:
        value = str(data.get(name) or "").strip()
        if not value:
            errors[name] = FieldError("required")
        elif value not in options:
            errors[name] = FieldError("not_an_option")
        else:
            clean[name] = value

    choice("category", CATEGORIES)
    choice("severity", SEVERITIES)
    choice("location", LOCATIONS)
    occurred = str(data.get("occurred_at") or "").strip()
    try:
        when = (
            datetime.fromisoformat(occurred) if "-" in occurred[:5] else datetime.strptime(occurred, "%d/%m/%Y %H:%M")
        )
        when = when if when.tzinfo else when.replace(tzinfo=VN_TZ)
        if when > now:
            errors["occurred_at"] = FieldError("too_large", (("max", "now"),))
        else:
            clean["occurred_at"] = when
    except ValueError:
        errors["occurred_at"] = FieldError("required" if not occurred else "not_a_date")
    description = str(data.get("description") or "").strip()
    if not description:
        errors["description"] = FieldError("required")
    elif len(description) > 20_000:
        errors["description"] = FieldError("too_long", (("max", 20_000),))
    else:
        clean["description"] = description
    place = str(data.get("place") or "").strip()
    if len(place) > 300:
        errors["place"] = FieldError("too_long", (("max", 300),))
    clean["place"] = place
    actions = [a for a in data.get("actions") or [] if a]
    if any(a not in ACTIONS for a in actions):
        errors["actions"] = FieldError("not_an_option")
    clean["actions"] = sorted(set(actions))
    people = []
    for person in list(data.get("people") or [])[:MAX_PEOPLE]:
        name = str(person.get("name") or "").strip()[:200]
        role = str(person.get("role") or "").strip()
        klass = str(person.get("class") or "").strip()[:20]
        if not (name or klass):
            continue
        if role not in ROLES_INVOLVED:
            errors["people"] = FieldError("not_an_option")
            continue
        people.append({"name": name, "role": role, "class": klass, "minor": bool(person.get("minor", True))})
    clean["people"] = people
    if errors:
        raise FormValidationError(errors)
    return clean
