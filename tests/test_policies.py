"""SLA policy files: the defaults, account-tier overrides, bad files."""

import json

import pytest

from slaengine.errors import ConfigError
from slaengine.policies import default_policies, load_policies, select_policy
from slaengine.policies.store import DEFAULT_FOLDER, build_policy


def default_data():
    return json.loads((DEFAULT_FOLDER / "default.json").read_text())


@pytest.mark.parametrize(
    ("priority", "calendar", "minutes"),
    [
        (
            "critical",
            "24x7",
            {
                "acknowledge": 15,
                "expert_engaged": 30,
                "workaround": 120,
                "resolution": 240,
                "update": 60,
            },
        ),
        (
            "high",
            "24x7",
            {
                "acknowledge": 60,
                "expert_engaged": 120,
                "workaround": 240,
                "resolution": 480,
                "update": 120,
            },
        ),
        (
            "medium",
            "business",
            {
                "acknowledge": 120,
                "expert_engaged": 240,
                "workaround": 480,
                "resolution": 1440,
                "update": 720,
            },
        ),
        (
            "low",
            "business",
            {
                "acknowledge": 240,
                "expert_engaged": 480,
                "workaround": 2880,
                "resolution": 3600,
                "update": 1440,
            },
        ),
    ],
)
def test_default_targets_follow_the_design_table(priority, calendar, minutes):
    targets = select_policy(default_policies(), None).targets_for(priority, "standard")
    assert targets.calendar == calendar
    assert {m: targets.minutes[m] for m in minutes} == minutes
    assert targets.warning_ratio == 0.75


@pytest.mark.parametrize(
    ("tier", "critical", "high"),
    [
        ("strategic", 30, 60),
        ("enterprise", 30, 120),
        ("premium", 30, 120),
        ("standard", 30, 120),
    ],
)
def test_account_tier_expert_engaged_commitment_applies_only_when_stricter(
    tier, critical, high
):
    policy = select_policy(default_policies(), tier)
    assert policy.targets_for("critical", tier).minutes["expert_engaged"] == critical
    assert policy.targets_for("high", tier).minutes["expert_engaged"] == high


def test_tier_response_and_escalation_thresholds():
    policy = select_policy(default_policies(), None)
    critical = policy.targets_for("critical", None)
    assert {
        m: critical.minutes[m]
        for m in ("tier2_response", "tier3_response", "executive_response")
    } == {"tier2_response": 60, "tier3_response": 120, "executive_response": 30}
    assert "tier3_response" not in policy.targets_for("high", None).minutes
    assert (critical.escalation.action, critical.escalation.after_minutes) == (
        "notify_executives",
        60,
    )
    low = policy.targets_for("low", None).escalation
    assert (low.action, low.after_minutes) == ("customer_request", None)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["priorities"]["high"]["targets"].update(acknowledge="soon"),
            "priorities.high.targets.acknowledge: 'soon' is not a duration",
        ),
        (
            lambda d: d["priorities"]["low"].update(calendar="lunar"),
            "priorities.low.calendar: Must be one of: 24x7, business",
        ),
        (
            lambda d: d["priorities"].pop("medium"),
            "priorities: missing priorities: medium",
        ),
        (
            lambda d: d["priorities"]["critical"]["targets"].pop("update"),
            "priorities.critical.targets: missing targets: update",
        ),
        (lambda d: d.update(warning_ratio=1.5), "warning_ratio:"),
        (lambda d: d.update(colour="blue"), "colour: Unknown field"),
        (lambda d: d["account_tiers"].update(platinum={}), "account_tiers.platinum:"),
    ],
)
def test_a_bad_policy_names_file_policy_and_field(tmp_path, change, message):
    data = default_data()
    change(data)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError) as raised:
        load_policies(tmp_path)
    assert str(raised.value).startswith(f"{path}: policy 'default': ")
    assert message in str(raised.value)


def test_unreadable_json_and_missing_fallback_are_refused(tmp_path):
    (tmp_path / "a.json").write_text("{not json")
    with pytest.raises(ConfigError, match="a.json: cannot read policy"):
        load_policies(tmp_path)
    data = default_data()
    data["applies_to_account_tiers"] = ["strategic"]
    (tmp_path / "a.json").write_text(json.dumps(data))
    with pytest.raises(
        ConfigError, match="exactly one policy must apply to every account tier"
    ):
        load_policies(tmp_path)


def test_a_strategic_only_policy_is_selected_for_strategic_accounts(tmp_path):
    (tmp_path / "default.json").write_text(json.dumps(default_data()))
    gold = default_data() | {
        "name": "strategic",
        "applies_to_account_tiers": ["strategic"],
    }
    gold["priorities"]["critical"]["targets"]["acknowledge"] = "5m"
    (tmp_path / "strategic.json").write_text(json.dumps(gold))
    policies = load_policies(tmp_path)
    assert (
        select_policy(policies, "strategic")
        .targets_for("critical", "strategic")
        .minutes["acknowledge"]
        == 5
    )
    assert select_policy(policies, "premium").name == "default"
    assert (
        build_policy(gold).describe()["priorities"]["critical"]["target_minutes"][
            "acknowledge"
        ]
        == 5
    )
