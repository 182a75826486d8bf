"""Example analyst queries over the profile and marts (documented in warehouse/README.md); each runs unchanged
on SQLite and PostgreSQL (tests/test_profile_publish.py runs them on both), and in the analysts' pseudonymised
schema `fase_marts` as the analyst role (tests/test_privacy_roles.py): no query names a person."""

ANALYST_QUERIES: dict[str, str] = {
    "people_per_target_group": """
SELECT target_group, label, people, households
FROM mart_target_group
ORDER BY target_group""",
    "monthly_housing_flows": """
SELECT month, flow, exit_reason, stays, people, households
FROM mart_housing_flow
WHERE month >= '2026-01'
ORDER BY month, flow, exit_reason""",
    "share_households_reaching_autonomy": """
SELECT COUNT(*) AS households_hosted,
       SUM(CASE WHEN reached_autonomy THEN 1 ELSE 0 END) AS households_autonomy,
       ROUND(1.0 * SUM(CASE WHEN reached_autonomy THEN 1 ELSE 0 END) / COUNT(*), 4) AS share
FROM household
WHERE ever_hosted""",
    "people_known_to_3_or_more_systems": """
SELECT beneficiary_id, systems, systems_count
FROM beneficiary_profile
WHERE systems_count >= 3
ORDER BY systems_count DESC, beneficiary_id""",
    "benefits_paid_last_12_months_by_type": """
SELECT benefit_type, payments, beneficiaries, total_paid, avg_per_beneficiary
FROM mart_benefit_type
WHERE period = 'last_12_months'
ORDER BY total_paid DESC""",
}
