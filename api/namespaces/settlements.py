"""Month end: settlement runs (202 + a task), maker-checker approval, payouts, the welfare fund, the period summary."""

from __future__ import annotations

from flask import Response, g, render_template
from flask_restx import Namespace, Resource
from sqlalchemy import select

from api import qr_images
from api.auth import STAFF, roles
from api.docs import body, model, paginated, query, response
from api.schemas.settlements import (
    ApprovalFilterSchema,
    ApprovalSchema,
    ContributionSchema,
    DecisionSchema,
    DisbursementCreateSchema,
    DisbursementSchema,
    EligibilityArgs,
    EligibilitySchema,
    FailSchema,
    MarkPaidSchema,
    PayoutFilterSchema,
    PayoutSchema,
    PeriodArgs,
    PeriodSummarySchema,
    PromptPayArgs,
    PromptPaySchema,
    ReissueSchema,
    SettlementCreateSchema,
    SettlementSchema,
    WelfareFundSchema,
)
from api.session import commit, session
from enterprise import approvals, bank_file, payouts, period_summary, settlements, welfare
from enterprise.settlement_models import SettlementRun, WelfareDisbursement
from recycle import audit
from recycle.models import ApprovalRequest, Tenant
from recycle.money import format_baht

ns = Namespace("settlements", path="/", description="Closing the period and paying every member exactly once")


def _tenant() -> Tenant:
    return session().get(Tenant, g.principal.tenant_id)


def _accepted(run: SettlementRun):  # noqa: ANN202
    """The computation was put in the outbox by the service: it is sent when this commit lands (inline in the
    embedded default), and a broker outage only delays it, never fails the request."""
    commit()
    session().expire_all()
    fresh = settlements.get_run(session(), g.principal.tenant_id, run.id)
    return fresh, {"Location": f"/api/v1/settlements/{run.id}"}


@ns.route("/settlements")
class Settlements(Resource):
    @roles(*STAFF)
    @body(SettlementCreateSchema)
    @response(SettlementSchema, 202, "Accepted: computing; poll GET /settlements/{id}")
    def post(self, data):
        run = settlements.start(session(), g.principal, _tenant(), data["period_end"])
        return _accepted(run)

    @roles(*STAFF)
    @paginated(SettlementSchema)
    def get(self, args):
        return select(SettlementRun).where(SettlementRun.tenant_id == g.principal.tenant_id).order_by(SettlementRun.id.desc())


@ns.route("/settlements/<int:run_id>")
class SettlementOne(Resource):
    @roles(*STAFF)
    @response(SettlementSchema)
    def get(self, run_id):
        return settlements.get_run(session(), g.principal.tenant_id, run_id)


@ns.route("/settlements/<int:run_id>/payouts")
class SettlementPayouts(Resource):
    @roles(*STAFF)
    @paginated(PayoutSchema, PayoutFilterSchema)
    def get(self, run_id, args):
        settlements.get_run(session(), g.principal.tenant_id, run_id)
        return payouts.for_run(session(), g.principal.tenant_id, run_id, args.get("status"), args.get("method"))


@ns.route("/settlements/<int:run_id>/recompute")
class SettlementRecompute(Resource):
    @roles(*STAFF)
    @response(SettlementSchema, 202, "Accepted: computing again from the ledger")
    def post(self, run_id):
        return _accepted(settlements.recompute(session(), g.principal, g.principal.tenant_id, run_id))


@ns.route("/settlements/<int:run_id>/cancel")
class SettlementCancel(Resource):
    @roles(*STAFF)
    @response(SettlementSchema, 200, "Cancelled before approval; nothing was posted")
    def post(self, run_id):
        run = settlements.cancel(session(), g.principal, g.principal.tenant_id, run_id)
        commit()
        return run


@ns.route("/settlements/<int:run_id>/approve")
class SettlementApprove(Resource):
    @roles(*STAFF, fresh=True)
    @response(SettlementSchema, 200, "Approved by a second staff member with a fresh login: posted to the ledger")
    def post(self, run_id):
        run = settlements.approve(session(), g.principal, g.principal.tenant_id, run_id)
        commit()
        return run


@ns.route("/settlements/<int:run_id>/cash-list")
class SettlementCashList(Resource):
    @roles(*STAFF)
    @ns.produces(["text/html"])
    @ns.response(200, "A printable list of cash payouts for members to sign")
    def get(self, run_id):
        run = settlements.get_run(session(), g.principal.tenant_id, run_id)
        rows = list(session().scalars(payouts.for_run(session(), run.tenant_id, run.id, "ready", "cash")))
        html = render_template(
            "cash_list.html",
            run=run,
            rows=rows,
            tenant=_tenant(),
            baht=format_baht,
            total=format_baht(sum(p.net_satang for p in rows)),
        )
        return Response(html, mimetype="text/html")


@ns.route("/settlements/<int:run_id>/bank-file")
class SettlementBankFile(Resource):
    @roles(*STAFF)
    @ns.produces(["text/csv"])
    @ns.response(200, "A CSV for a bulk transfer to members' PromptPay ids, in the tenant's mapped layout (README, Bank file)")
    def get(self, run_id):
        run = settlements.get_run(session(), g.principal.tenant_id, run_id)
        data, listed = bank_file.build(session(), g.principal, _tenant(), run)
        # Full PromptPay ids (often citizen ids) leave the system here: who downloaded them is kept.
        audit.record(
            session(), "settlement.bank_file_download", principal=g.principal, target=("settlement", run.id), household_ids=listed
        )
        commit()
        return Response(
            data, mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename=settlement-{run.id}-bank.csv"}
        )


@ns.route("/payouts/<int:payout_id>")
class PayoutOne(Resource):
    @roles(*STAFF)
    @response(PayoutSchema)
    def get(self, payout_id):
        return payouts.get(session(), g.principal, payout_id)


@ns.route("/payouts/<int:payout_id>/promptpay")
class PayoutPromptPay(Resource):
    @roles(*STAFF)
    @query(PromptPayArgs)
    @ns.produces(["image/png", "application/json"])
    @response(PromptPaySchema, 200, "The EMVCo PromptPay payload with the exact amount, as PNG (default) or text")
    def get(self, payout_id, args):
        payload = payouts.promptpay_payload(session(), g.principal, payout_id)
        if args["format"] == "png":
            return Response(qr_images.png(payload, box_size=8), mimetype="image/png", headers={"Cache-Control": "no-store"})
        return {
            "payout_id": payout_id,
            "amount_satang": payouts.get(session(), g.principal, payout_id).net_satang,
            "payload": payload,
        }


@ns.route("/payouts/<int:payout_id>/mark-paid")
class PayoutMarkPaid(Resource):
    @roles(*STAFF)
    @body(MarkPaidSchema)
    @response(PayoutSchema, 200, "Paid: posted from payouts pending to cash or bank; a second time is refused")
    def post(self, payout_id, data):
        cid = str(data["client_id"]) if data.get("client_id") else None
        payout = payouts.mark_paid(session(), g.principal, payout_id, data["method"], data["reference"], cid)
        commit()
        return payout


@ns.route("/payouts/<int:payout_id>/fail")
class PayoutFail(Resource):
    @roles(*STAFF)
    @body(FailSchema)
    @response(PayoutSchema, 200, "Marked failed (e.g. a bounced transfer); re-issue it to pay again")
    def post(self, payout_id, data):
        payout = payouts.fail(session(), g.principal, payout_id, data["reason"])
        commit()
        return payout


@ns.route("/payouts/<int:payout_id>/reissue")
class PayoutReissue(Resource):
    @roles(*STAFF)
    @body(ReissueSchema)
    @response(PayoutSchema, 201, "A new payout for the same amount")
    @ns.response(
        202,
        "A bank or PromptPay payout reissued as cash waits for a second person: an approval request (see /approvals)",
        model(ApprovalSchema),
    )
    def post(self, payout_id, data):
        cid = str(data["client_id"]) if data.get("client_id") else None
        if payouts.needs_second_person(session(), g.principal, payout_id, data.get("method")):
            failed = payouts.get(session(), g.principal, payout_id)
            if failed.status != "failed":
                from recycle.errors import Conflict

                raise Conflict("only a failed payout can be re-issued")
            row = approvals.request(
                session(),
                g.principal,
                "payout.reissue_cash",
                cid or _click_id(payout_id),
                {"payout_id": payout_id, "method": "cash"},
                "reissue a bank payout as cash",
            )
            commit()
            import json

            return Response(json.dumps(ApprovalSchema().dump(row), ensure_ascii=False), status=202, mimetype="application/json")
        payout = payouts.reissue(session(), g.principal, payout_id, data.get("method"), client_id=cid)
        commit()
        return payout


@ns.route("/welfare/fund")
class WelfareFund(Resource):
    @roles(*STAFF)
    @response(WelfareFundSchema)
    def get(self):
        return {"balance_satang": welfare.fund_balance(session(), g.principal.tenant_id)}


@ns.route("/welfare/contributions")
class WelfareContributions(Resource):
    @roles(*STAFF)
    @paginated(ContributionSchema)
    def get(self, args):
        return [dict(r._mapping) for r in session().execute(welfare.contributions(session(), g.principal.tenant_id))]


@ns.route("/welfare/eligibility")
class WelfareEligibility(Resource):
    @roles(*STAFF)
    @query(EligibilityArgs)
    @response(EligibilitySchema)
    def get(self, args):
        from recycle import households

        households.get(session(), g.principal, args["household_id"])
        return welfare.eligibility(session(), _tenant(), args["household_id"])


@ns.route("/welfare/disbursements")
class WelfareDisbursements(Resource):
    @roles(*STAFF)
    @body(DisbursementCreateSchema)
    @response(
        ApprovalSchema,
        202,
        "Requested: a second staff member approves it at POST /approvals/{id}/approve, and only then is it paid out of the fund",
    )
    def post(self, data):
        welfare.check(session(), g.principal, _tenant(), data["household_id"], data["amount_satang"], data["reason"])
        payload = {k: data[k] for k in ("household_id", "amount_satang", "reason", "method")}
        row = approvals.request(session(), g.principal, "welfare.disburse", data["client_id"], payload, data["reason"])
        commit()
        return row

    @roles(*STAFF)
    @paginated(DisbursementSchema)
    def get(self, args):
        return (
            select(WelfareDisbursement)
            .where(WelfareDisbursement.tenant_id == g.principal.tenant_id)
            .order_by(WelfareDisbursement.id.desc())
        )


@ns.route("/reports/period")
class PeriodSummary(Resource):
    @roles(*STAFF)
    @query(PeriodArgs)
    @response(PeriodSummarySchema, 200, "Bought by material, paid out, deducted, still owed")
    def get(self, args):
        start, end = _bounds(_tenant(), args["from_"], args["to"])
        return period_summary.summary(session(), g.principal.tenant_id, start, end)


def _bounds(tenant: Tenant, start, end):  # noqa: ANN001, ANN202
    """Local dates are whole days, both included (`Tenant.period_bounds`); timestamps are taken as given."""
    import datetime as dt

    if not isinstance(start, dt.datetime):
        start = tenant.day_bounds(start, "from")[0]
    if not isinstance(end, dt.datetime):
        end = tenant.day_bounds(end, "to")[1]
    if end <= start:
        from recycle.errors import InvalidInput

        raise InvalidInput.field("to", "is before from")
    return start, end


def _click_id(payout_id: int) -> str:
    """Without a client_id, one reissue request per failed payout (a double click finds the first)."""
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"reissue-cash:{g.principal.tenant_id}:{payout_id}"))


@ns.route("/approvals")
class Approvals(Resource):
    @roles(*STAFF)
    @paginated(ApprovalSchema, ApprovalFilterSchema)
    def get(self, args):
        return (
            select(ApprovalRequest)
            .where(ApprovalRequest.tenant_id == g.principal.tenant_id, ApprovalRequest.status == args["status"])
            .order_by(ApprovalRequest.id)
        )


@ns.route("/approvals/<int:request_id>/approve")
class ApprovalApprove(Resource):
    @roles(*STAFF, fresh=True)
    @body(DecisionSchema)
    @response(ApprovalSchema, 200, "Approved by an eligible second person with a fresh login: the money moves now")
    def post(self, request_id, data):
        row = approvals.decide(session(), g.principal, _tenant(), request_id, True, data["note"])
        commit()
        return row


@ns.route("/approvals/<int:request_id>/reject")
class ApprovalReject(Resource):
    @roles(*STAFF)
    @body(DecisionSchema)
    @response(ApprovalSchema, 200, "Rejected: nothing moves")
    def post(self, request_id, data):
        row = approvals.decide(session(), g.principal, _tenant(), request_id, False, data["note"])
        commit()
        return row
