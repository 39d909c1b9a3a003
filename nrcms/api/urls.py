"""Every app contributes routers; this is the only place they are mounted."""

from nrcms.accounts.api import router as accounts_router
from nrcms.accounts.api_requests import router as account_requests_router
from nrcms.accounts.api_tokens import router as tokens_router
from nrcms.accounts.api_two_factor import router as two_factor_router
from nrcms.claims.api import router as desk_router
from nrcms.claims.api_manual import router as manual_router
from nrcms.claims.api_referral import router as referral_router
from nrcms.claims.api_search import router as settlement_router
from nrcms.complaints.api import inquiry_router
from nrcms.complaints.api import public_router as public_complaints_router
from nrcms.complaints.api import router as complaints_router
from nrcms.conditions.api import router as conditions_router
from nrcms.disclosure.api import public_router as public_disclosure_router
from nrcms.disclosure.api import router as disclosure_router
from nrcms.facilities.api import catalogue_router
from nrcms.facilities.api import router as facilities_router
from nrcms.family_doctors.api import router as family_doctors_router
from nrcms.funding.api import router as funding_router
from nrcms.funding.api_outstanding import router as outstanding_router
from nrcms.funding.api_year_close import router as year_close_router
from nrcms.ops.api import router as ops_router
from nrcms.payments.api import router as payments_router
from nrcms.payments.api_refunds import advances_router, refunds_router
from nrcms.poverty.api import router as poverty_router
from nrcms.registry.api import router as registry_router
from nrcms.registry.api_people import router as people_router
from nrcms.registry.api_reveal import router as reveal_router
from nrcms.schemes.api import router as schemes_router
from nrcms.simulation.api import router as simulation_router
from nrcms.stats.api import router as stats_router
from nrcms.supervision.api import router as supervision_router

from .base import build_api

api = build_api()
api.add_router("/", accounts_router)
api.add_router("/", two_factor_router)
api.add_router("/tokens", tokens_router)
api.add_router("/account-requests", account_requests_router)
api.add_router("/regions", registry_router)
api.add_router("/facilities", facilities_router)
api.add_router("/catalogue", catalogue_router)
api.add_router("/registry", people_router)
api.add_router("/registry", reveal_router)
api.add_router("/funding", funding_router)
api.add_router("/funding", year_close_router)
api.add_router("/funding/outstanding-households", outstanding_router)
api.add_router("/desk", desk_router)
api.add_router("/manual-claims", manual_router)
api.add_router("/referrals", referral_router)
api.add_router("/settlements", settlement_router)
api.add_router("/payments", payments_router)
api.add_router("/payments", refunds_router)
api.add_router("/payments", advances_router)
api.add_router("/ops", ops_router)
api.add_router("/stats", stats_router)
api.add_router("/complaints", complaints_router)
api.add_router("/inquiries", inquiry_router)
api.add_router("/public", public_complaints_router)
api.add_router("/supervision", supervision_router)
api.add_router("/schemes", schemes_router)
api.add_router("/disclosure", disclosure_router)
api.add_router("/public/disclosures", public_disclosure_router)  # no login: see nrcms/disclosure/api.py
api.add_router("/simulation", simulation_router)
api.add_router("/poverty", poverty_router)
api.add_router("/family-doctors", family_doctors_router)
api.add_router("/conditions", conditions_router)
