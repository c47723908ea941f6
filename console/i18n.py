"""The console's words: Thai first, English when the session asks for it (a small dict, no build step)."""
from __future__ import annotations

from flask import session

LANGS = ("th", "en")

STRINGS: dict[str, tuple[str, str]] = {
    "app": ("ถังเงิน ถังทอง", "Thang Ngoen Thang Thong"),
    "console": ("ระบบเจ้าหน้าที่", "Staff console"),
    "login": ("เข้าสู่ระบบ", "Log in"),
    "logout": ("ออกจากระบบ", "Log out"),
    "tenant": ("ธนาคารขยะ (รหัส)", "Waste bank (code)"),
    "phone": ("เบอร์โทรศัพท์", "Phone number"),
    "password": ("รหัสผ่าน", "Password"),
    "your_password": ("รหัสผ่านของคุณ (ยืนยันตัวตน)", "Your password (to confirm)"),
    "wrong_login": ("เบอร์โทรหรือรหัสผ่านไม่ถูกต้อง", "Wrong phone number or password"),
    "staff_only": ("ระบบนี้สำหรับเจ้าหน้าที่และผู้ดูแลเท่านั้น", "This console is for staff and admins only"),
    "session_expired": ("หมดเวลาใช้งาน กรุณาเข้าสู่ระบบอีกครั้ง ข้อมูลที่กรอกไว้ยังอยู่", "Your session timed out. Log in again; what you typed is kept."),
    "please_login": ("กรุณาเข้าสู่ระบบ", "Please log in"),
    "home": ("หน้าหลัก", "Home"),
    "today": ("วันนี้", "Today"),
    "weigh_ins": ("รายการรับซื้อ", "Weigh-ins"),
    "kg": ("กิโลกรัม", "kg"),
    "bought": ("ยอดรับซื้อ", "Bought"),
    "owed": ("ยอดค้างจ่ายสมาชิก", "Owed to members"),
    "pending_approvals": ("รออนุมัติ", "Pending approvals"),
    "open_pickups": ("คำขอรับขยะที่ยังเปิด", "Open pickups"),
    "members": ("สมาชิก", "Members"),
    "find_member": ("ค้นหาสมาชิก", "Find a member"),
    "search_hint": ("ชื่อ เลขสมาชิก เบอร์โทร หรือสแกนบัตร", "Name, member number, phone or scan the card"),
    "search": ("ค้นหา", "Search"),
    "no_results": ("ไม่พบสมาชิก", "No member found"),
    "register_member": ("สมัครสมาชิกใหม่", "Register a member"),
    "name": ("ชื่อ-นามสกุล", "Full name"),
    "village": ("หมู่บ้าน/ชุมชน", "Village"),
    "address": ("ที่อยู่", "Address"),
    "promptpay": ("พร้อมเพย์ (เบอร์โทรหรือเลขบัตรประชาชน)", "PromptPay (phone or citizen id)"),
    "consent": ("ยินยอมตามประกาศความเป็นส่วนตัว (PDPA)", "Consents to the privacy notice (PDPA)"),
    "paper_consent": ("ลงนามยินยอมบนแบบฟอร์มกระดาษ (ไม่มีโทรศัพท์)", "Signed the paper consent form (no phone)"),
    "leaderboard_opt_in": ("แสดงชื่อในกระดานคะแนน", "Show on the leaderboard"),
    "save": ("บันทึก", "Save"),
    "register": ("สมัครสมาชิก", "Register"),
    "register_anyway": ("ยืนยัน สมัครแม้ข้อมูลซ้ำ", "Register anyway"),
    "duplicate_warning": ("อาจเป็นสมาชิกซ้ำ: มีสมาชิกชื่อเดียวกันในหมู่บ้านนี้หรือเบอร์โทรเดียวกันแล้ว", "Possible duplicate: a member with the same name in this village or the same phone exists"),
    "member_no": ("เลขสมาชิก", "Member no."),
    "balance": ("ยอดเงินคงเหลือ", "Balance"),
    "points": ("คะแนน", "Points"),
    "level": ("ระดับ", "Level"),
    "badges": ("เหรียญรางวัล", "Badges"),
    "last_tickets": ("รายการรับซื้อล่าสุด", "Last weigh-ins"),
    "pickups": ("คำขอรับขยะ", "Pickups"),
    "payouts": ("การจ่ายเงิน", "Payouts"),
    "passbook": ("สมุดบัญชี", "Passbook"),
    "edit": ("แก้ไขข้อมูล", "Edit"),
    "deactivate": ("ปิดบัญชีสมาชิก", "Deactivate"),
    "inactive": ("ปิดบัญชีแล้ว", "Deactivated"),
    "card_pdf": ("พิมพ์บัตรสมาชิก (PDF)", "Print card (PDF)"),
    "reissue_card": ("ออกบัตรใหม่ (บัตรเดิมใช้ไม่ได้)", "Reissue card (old card stops working)"),
    "village_sheet": ("พิมพ์บัตรทั้งหมู่บ้าน (A4)", "Village card sheet (A4)"),
    "walk_in": ("รับซื้อที่ศูนย์", "Walk-in weigh-in"),
    "material": ("วัสดุ", "Material"),
    "weight_kg": ("น้ำหนัก (กก.)", "Weight (kg)"),
    "quantity": ("จำนวน (ชิ้น)", "Quantity (pieces)"),
    "record_weigh_in": ("บันทึกรับซื้อ", "Record weigh-in"),
    "receipt_pdf": ("ใบเสร็จ 58 มม. (PDF)", "58 mm receipt (PDF)"),
    "receipt_text": ("ใบเสร็จสำหรับเครื่องพิมพ์ความร้อน (ข้อความ)", "Thermal printer text"),
    "ticket": ("ใบรับซื้อ", "Weigh-in ticket"),
    "total": ("รวม", "Total"),
    "date": ("วันที่", "Date"),
    "amount": ("จำนวนเงิน", "Amount"),
    "status": ("สถานะ", "Status"),
    "rewards": ("แลกของรางวัล", "Redeem a reward"),
    "redeem": ("แลก", "Redeem"),
    "redeemed": ("แลกของรางวัลแล้ว", "Reward redeemed"),
    "cost": ("ใช้คะแนน", "Points cost"),
    "stock": ("คงเหลือ", "In stock"),
    "saved": ("บันทึกแล้ว", "Saved"),
    "registered": ("สมัครสมาชิกเรียบร้อย", "Member registered"),
    "deactivated": ("ปิดบัญชีสมาชิกแล้ว", "Member deactivated"),
    "reissued": ("ออกบัตรใหม่แล้ว บัตรเดิมใช้ไม่ได้อีก", "New card issued; the old one no longer works"),
    "recorded": ("บันทึกรับซื้อแล้ว", "Weigh-in recorded"),
    "required": ("จำเป็นต้องกรอก", "Required"),
    "not_found": ("ไม่พบข้อมูล", "Not found"),
    "error": ("เกิดข้อผิดพลาด", "Something went wrong"),
    "check_fields": ("กรุณาตรวจสอบช่องที่มีข้อความสีแดง", "Please check the fields marked in red"),
    "qr_foreign": ("บัตรนี้เป็นของธนาคารขยะอื่น ใช้ที่นี่ไม่ได้", "This card belongs to another waste bank"),
    "qr_revoked": ("บัตรนี้ถูกยกเลิกแล้ว (มีการออกบัตรใหม่หรือปิดบัญชี) กรุณาขอบัตรใบใหม่จากสมาชิก", "This card was revoked (replaced or account closed); ask for the new card"),
    "qr_forged": ("บัตรนี้ไม่ใช่บัตรจริงของระบบ", "This card is not genuine"),
    "qr_bad": ("อ่านบัตรไม่ได้ กรุณาสแกนใหม่", "The card could not be read; scan again"),
    "language": ("English", "ภาษาไทย"),
    "lines_hint": ("กรอกเฉพาะวัสดุที่มี เว้นว่างที่ไม่มี", "Fill only the materials brought; leave the rest empty"),
    "no_lines": ("กรุณากรอกน้ำหนักอย่างน้อยหนึ่งรายการ", "Enter at least one weight"),
    "back_to_member": ("กลับไปหน้าสมาชิก", "Back to the member"),
    "none": ("ไม่มี", "None"),
    "pages": ("หน้า", "Page"),
}


def lang() -> str:
    value = session.get("lang", "th")
    return value if value in LANGS else "th"


def gettext(key: str) -> str:
    pair = STRINGS.get(key)
    if pair is None:
        return key
    return pair[0] if lang() == "th" else pair[1]
