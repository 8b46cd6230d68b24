//! `[[alerts]]`: the rules, their thresholds and recipients, every problem
//! named with its key.

use super::*;
use crate::config::alerts::{AlertRecipient, AlertRule};

/// The example with a `[telegram]` section and `extra` appended.
fn with(extra: &str) -> String {
    format!("{EXAMPLE}\n[telegram]\ntoken_env = \"TG_TOKEN\"\n{extra}")
}

#[test]
fn each_rule_takes_its_thresholds_and_defaults() {
    let text = with(
        r#"
[[alerts]]
rule = "missed_callback"
team = "moscow"
to = ["heads", "manager", -100777]

[[alerts]]
rule = "no_calls_by"
team = "moscow"
at = "11:00"
min_calls = 5
quiet_hours = "21:00-09:00"

[[alerts]]
rule = "idle_now"
team = "moscow"
idle_mins = 30
lunch = "13:00-14:00"
max_per_day = 3

[[alerts]]
rule = "trace_backlog"
team = "moscow"

[[alerts]]
rule = "plan_pace"
team = "moscow"
at = "13:00"
below_pct = 60
"#,
    );
    let config = Config::parse(&text, Path::new("test.toml"), &|k| {
        (k == "TG_TOKEN").then(|| "123:abc".to_owned())
    })
    .expect("valid");
    let hm = |h, m| chrono::NaiveTime::from_hms_opt(h, m, 0).unwrap();
    assert_eq!(
        config.alerts[0].rule,
        AlertRule::MissedCallback {
            within: chrono::Duration::minutes(15)
        }
    );
    assert_eq!(
        config.alerts[0].to,
        [
            AlertRecipient::Heads,
            AlertRecipient::Manager,
            AlertRecipient::Chat(-100777)
        ]
    );
    assert_eq!(
        config.alerts[1].rule,
        AlertRule::NoCallsBy {
            at: hm(11, 0),
            min_calls: 5
        }
    );
    assert_eq!(config.alerts[1].quiet, Some((hm(21, 0), hm(9, 0))));
    assert_eq!(config.alerts[1].to, [AlertRecipient::Heads]);
    assert_eq!(
        config.alerts[2].rule,
        AlertRule::IdleNow {
            idle: chrono::Duration::minutes(30),
            lunch: Some((hm(13, 0), hm(14, 0)))
        }
    );
    assert_eq!(config.alerts[2].max_per_day, 3);
    assert_eq!(
        config.alerts[3].rule,
        AlertRule::TraceBacklog { min_calls: 3 }
    );
    assert_eq!(
        config.alerts[4].rule,
        AlertRule::PlanPace {
            at: hm(13, 0),
            below_pct: 60
        }
    );
}

#[test]
fn a_bad_alert_names_each_key() {
    let text = format!(
        "{EXAMPLE}\n{}",
        r#"
[[alerts]]
rule = "missed_callbacks"
team = "spb"
to = ["boss"]

[[alerts]]
rule = "missed_callback"
team = "moscow"
at = "11:00"
within_mins = 0

[[alerts]]
rule = "no_calls_by"
team = "moscow"

[[alerts]]
rule = "idle_now"
team = "moscow"
lunch = "14:00"

[[alerts]]
rule = "plan_pace"
team = "moscow"
below_pct = 120
min_calls = 3

[[alerts]]
rule = "trace_backlog"
team = "moscow"
at = "12:00"
min_calls = -1
"#
    );
    let found = issues(&text);
    let has = |key: &str, words: &str| {
        assert!(
            found.iter().any(|i| i.contains(key) && i.contains(words)),
            "{key}: {words} not in {found:?}"
        )
    };
    has(
        "alerts[0].rule",
        "\"missed_callbacks\" is not an alert rule",
    );
    has("alerts[0].team", "\"spb\" is not a team id");
    has("alerts[0].to", "\"boss\" is not a recipient");
    has("alerts[1].at", "is not read by rule \"missed_callback\"");
    has("alerts[1].within_mins", "is not a positive whole number");
    has("alerts[1]", "add a [telegram] section");
    has("alerts[2].at", "is missing");
    has("alerts[3].lunch", "is not a range of local times");
    has("alerts[4].at", "is missing");
    has("alerts[4].below_pct", "is over 100");
    has("alerts[4].min_calls", "is not read by rule \"plan_pace\"");
    has("alerts[5].at", "is not read by rule \"trace_backlog\"");
    has("alerts[5].min_calls", "is not a positive whole number");
}
