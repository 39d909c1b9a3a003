"""One small module per rule; `nrcms.policy.settle` runs them in this order.

Admission: eligible_cost → fixed_fee (a listed single disease ends the basic computation) or interim →
deductible → tiers → cap → subsidies → catastrophic → assistance → safety_net → ceiling.
Visit: eligible_cost → chronic | family_account → outpatient_pooling.

Each rule is a pure function of scheme parameters and amounts that returns what it pays (or takes) and the
explanation line that says so. Rounding goes through `rounding.pay`, which uses the one rounding function."""
