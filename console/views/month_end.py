"""The treasurer's month end: start a run, watch it compute, review it, a second person approves, pay it."""

from __future__ import annotations

import datetime as dt
import uuid

from flask import Response, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from api.session import commit
from api.session import session as db_session
from console import i18n
from console.forms import clean_text, domain_errors, new_token
from console.pdf import pdf_response
from console.views.members import fresh_password_ok, qr_data_uri
from console.web import bp, principal, tenant
from enterprise import approvals, bank_file, month_end, payouts, settlements
from enterprise.settlement_models import SettlementRun
from recycle import audit, submissions
from recycle.errors import DomainError
from recycle.models import ApprovalRequest

SECOND_PERSON_CODES = ("maker_checker",)


def _run(run_id: int) -> SettlementRun:
    return settlements.get_run(db_session(), principal().tenant_id, run_id)


def _thai_refusal(exc: DomainError) -> str:
    """A refused approval in words the treasurer acts on (the domain's reason stays alongside, in English)."""
    if exc.code in SECOND_PERSON_CODES:
        return f"{i18n.gettext('second_person_needed')} ({exc.detail})"
    if exc.code == "settlement_stale":
        return i18n.gettext("settlement_stale")
    return exc.detail


@bp.get("/month-end")
def month_end_home():  # noqa: ANN201
    runs = (
        db_session()
        .scalars(
            select(SettlementRun)
            .where(SettlementRun.tenant_id == principal().tenant_id)
            .order_by(SettlementRun.id.desc())
            .limit(24)
        )
        .all()
    )
    today = tenant().local_date()
    default_end = today.replace(day=1) - dt.timedelta(days=1)
    return render_template("console/month_end/index.html", runs=runs, default_end=default_end, today=today)


@bp.post("/month-end/start")
def month_end_start():  # noqa: ANN201
    try:
        period_end = dt.date.fromisoformat(request.form.get("period_end", ""))
    except ValueError:
        flash(i18n.gettext("bad_date"), "warning")
        return redirect(url_for("console.month_end_home"))
    try:
        run = settlements.start(db_session(), principal(), tenant(), period_end)
    except DomainError as exc:
        db_session().rollback()
        flash(exc.detail, "warning")
        return redirect(url_for("console.month_end_home"))
    commit()
    return redirect(url_for("console.month_end_run", run_id=run.id))


@bp.get("/month-end/<int:run_id>")
def month_end_run(run_id: int):  # noqa: ANN201
    run = _run(run_id)
    db = db_session()
    rows = list(db.scalars(payouts.for_run(db, run.tenant_id, run.id))) if run.status != "computing" else []
    villages = month_end.by_village(db, run.tenant_id, run.id)
    return render_template(
        "console/month_end/run.html", run=run, rows=rows, villages=villages, detail=settlements.status_detail(run)
    )


@bp.get("/month-end/<int:run_id>/status")
def month_end_status(run_id: int):  # noqa: ANN201
    """The htmx poll: the status line, polling again while the run computes (then the page reloads)."""
    run = _run(run_id)
    resp = render_template("console/month_end/_status.html", run=run, detail=settlements.status_detail(run))
    headers = {"HX-Refresh": "true"} if run.status != "computing" and request.args.get("was") == "computing" else {}
    return resp, 200, headers


@bp.post("/month-end/<int:run_id>/approve")
def month_end_approve(run_id: int):  # noqa: ANN201
    errors: dict[str, list[str]] = {}
    if not fresh_password_ok(errors):
        flash(errors["password"][0], "warning")
        return redirect(url_for("console.month_end_run", run_id=run_id))
    try:
        settlements.approve(db_session(), principal(), principal().tenant_id, run_id)
    except DomainError as exc:
        db_session().rollback()
        flash(_thai_refusal(exc), "warning")
        return redirect(url_for("console.month_end_run", run_id=run_id))
    commit()
    flash(i18n.gettext("run_approved"), "ok")
    return redirect(url_for("console.month_end_payouts", run_id=run_id))


@bp.post("/month-end/<int:run_id>/recompute")
def month_end_recompute(run_id: int):  # noqa: ANN201
    settlements.recompute(db_session(), principal(), principal().tenant_id, run_id)
    commit()
    return redirect(url_for("console.month_end_run", run_id=run_id))


@bp.get("/month-end/<int:run_id>/payouts")
def month_end_payouts(run_id: int):  # noqa: ANN201
    run = _run(run_id)
    db = db_session()
    rows = list(db.scalars(payouts.for_run(db, run.tenant_id, run.id)))
    qrs = {}
    for p in rows:
        if p.status == "ready" and p.method == "promptpay" and p.household.promptpay_id:
            try:
                qrs[p.id] = qr_data_uri(payouts.promptpay_payload(db, principal(), p.id))
            except DomainError:
                pass  # a malformed id shows without a QR; the bank file or a reissue pays it
    pending = db.scalars(
        select(ApprovalRequest).where(
            ApprovalRequest.tenant_id == run.tenant_id,
            ApprovalRequest.status == "pending",
            ApprovalRequest.kind == "payout.reissue_cash",
        )
    ).all()
    return render_template("console/month_end/payouts.html", run=run, rows=rows, qrs=qrs, pending=pending, form_token=new_token())


@bp.post("/month-end/<int:run_id>/mark-paid")
def month_end_mark_paid(run_id: int):  # noqa: ANN201
    """Many payouts, one bank reference; the form's one-time token makes a double click harmless."""
    run = _run(run_id)
    db, who = db_session(), principal()
    token = request.form.get("form_token", "")
    back = url_for("console.month_end_payouts", run_id=run.id)
    try:
        token = str(uuid.UUID(token))
    except ValueError:
        flash(i18n.gettext("form_expired"), "warning")
        return redirect(back)
    done = submissions.earlier(db, who.tenant_id, token)
    if done is not None:
        flash(done.result or i18n.gettext("already_done"), "ok")
        return redirect(back)
    claim = submissions.claim(db, who.tenant_id, token, who.user_id)
    if claim is None:
        db.rollback()
        return redirect(back)
    ids = [int(x) for x in request.form.getlist("payout_id") if x.isdigit()]
    try:
        result = month_end.mark_paid_many(
            db, who, ids, request.form.get("method", "promptpay"), clean_text(request.form.get("reference", ""))[:100], token
        )
    except DomainError as exc:
        db.rollback()
        flash(exc.detail, "warning")
        return redirect(back)
    message = f"{i18n.gettext('marked_paid')}: {len(result.paid)}"
    claim.result = message[:300]
    commit()
    flash(message, "ok")
    for pid, why in result.refused.items():
        flash(f"#{pid}: {why}", "warning")
    return redirect(back)


@bp.post("/payouts/<int:payout_id>/fail")
def payout_fail(payout_id: int):  # noqa: ANN201
    payout = payouts.fail(db_session(), principal(), payout_id, clean_text(request.form.get("reason", ""))[:300])
    run_id = payout.run_id
    commit()
    flash(i18n.gettext("payout_failed"), "warning")
    return redirect(url_for("console.month_end_payouts", run_id=run_id))


@bp.post("/payouts/<int:payout_id>/reissue")
def payout_reissue(payout_id: int):  # noqa: ANN201
    """Same method: a new payout now. A bank payout as cash: a request a second person approves."""
    db, who = db_session(), principal()
    payout = payouts.get(db, who, payout_id)
    method = request.form.get("method") or None
    cid = request.form.get("form_token") or str(uuid.uuid5(uuid.NAMESPACE_URL, f"reissue:{who.tenant_id}:{payout_id}"))
    if payouts.needs_second_person(db, who, payout_id, method):
        if payout.status != "failed":
            flash(i18n.gettext("only_failed"), "warning")
            return redirect(url_for("console.month_end_payouts", run_id=payout.run_id))
        approvals.request(
            db,
            who,
            "payout.reissue_cash",
            cid,
            {"payout_id": payout_id, "method": "cash"},
            clean_text(request.form.get("reason", "")) or "reissue a bank payout as cash",
        )
        commit()
        flash(i18n.gettext("reissue_requested"), "ok")
    else:
        payouts.reissue(db, who, payout_id, method, client_id=cid)
        commit()
        flash(i18n.gettext("payout_reissued"), "ok")
    return redirect(url_for("console.month_end_payouts", run_id=payout.run_id))


@bp.post("/approvals/<int:request_id>/decide")
def approval_decide(request_id: int):  # noqa: ANN201
    """The second person approves (fresh password) or rejects another's request."""
    back = request.form.get("back") or url_for("console.month_end_home")
    if not back.startswith("/console/"):
        back = url_for("console.month_end_home")
    errors: dict[str, list[str]] = {}
    approve = request.form.get("decision") == "approve"
    if approve and not fresh_password_ok(errors):
        flash(errors["password"][0], "warning")
        return redirect(back)
    try:
        approvals.decide(db_session(), principal(), tenant(), request_id, approve, clean_text(request.form.get("note", ""))[:500])
    except DomainError as exc:
        db_session().rollback()
        flash(_thai_refusal(exc), "warning")
        return redirect(back)
    commit()
    flash(i18n.gettext("approved" if approve else "rejected"), "ok")
    return redirect(back)


@bp.get("/month-end/<int:run_id>/cash-list.pdf")
def month_end_cash_list(run_id: int):  # noqa: ANN201
    """A4, one line per member paid in cash, with a column to sign."""
    run = _run(run_id)
    db = db_session()
    rows = list(db.scalars(payouts.for_run(db, run.tenant_id, run.id, "ready", "cash")))
    return pdf_response(
        "console/month_end/cash_list.html",
        filename=f"cash-list-{run.id}.pdf",
        run=run,
        rows=rows,
        tenant=tenant(),
        total=sum(p.net_satang for p in rows),
    )


@bp.route("/month-end/bank-file-layout", methods=["GET", "POST"])
def bank_file_layout():  # noqa: ANN201
    """Map the file's fields to the bank's upload columns, once; every run's bank file then follows it."""
    t = tenant()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        cols = [
            {"header": clean_text(h), "field": f}
            for h, f in zip(request.form.getlist("header"), request.form.getlist("field"), strict=False)
        ]
        try:
            bank_file.save_layout(
                db_session(), principal(), t, cols, request.form.get("delimiter", ","), request.form.get("header_row") == "1"
            )
        except DomainError as exc:
            db_session().rollback()
            errors = domain_errors(exc)
        else:
            commit()
            flash(i18n.gettext("saved"), "ok")
            return redirect(url_for("console.bank_file_layout"))
    lay = bank_file.layout(t)
    rows = lay.columns + [{"header": "", "field": ""}] * max(0, 8 - len(lay.columns))
    return render_template("console/month_end/bank_layout.html", layout=lay, rows=rows, fields=bank_file.FIELDS, errors=errors), (
        422 if errors else 200
    )


@bp.get("/month-end/<int:run_id>/bank-file.csv")
def month_end_bank_file(run_id: int):  # noqa: ANN201
    run = _run(run_id)
    data, listed = bank_file.build(db_session(), principal(), tenant(), run)
    # Full PromptPay ids (often citizen ids) leave the system here: who downloaded them is kept.
    audit.record(
        db_session(), "settlement.bank_file_download", principal=principal(), target=("settlement", run.id), household_ids=listed
    )
    commit()
    return Response(
        data, mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename=settlement-{run.id}-bank.csv"}
    )
