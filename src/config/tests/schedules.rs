//! `[[schedules]]`: timezones, jobs, deliveries and every problem named.

use super::*;

#[test]
fn the_example_schedules_a_workweek_digest_and_a_weekly_report() {
    let config = parse(EXAMPLE).expect("example validates");
    let digest = config.schedule("morning-digest").expect("morning-digest");
    assert_eq!(
        digest.job,
        ScheduleJob::Digest {
            team: "moscow".into(),
            deliver: Delivery::File
        }
    );
    assert_eq!(digest.schedule.timezone(), chrono_tz::Europe::Moscow);
    assert_eq!(digest.grace, chrono::Duration::hours(6));
    // From Sunday noon UTC the next is Monday 09:00 Moscow, 06:00 UTC.
    let sunday = "2026-11-22T12:00:00Z".parse().unwrap();
    let next = digest.schedule.next_after(sunday).expect("a firing");
    assert_eq!(next.key(), "2026-11-23T09:00");
    assert_eq!(next.at.to_rfc3339(), "2026-11-23T06:00:00+00:00");
    let weekly = config.schedule("weekly-owner").expect("weekly-owner");
    assert_eq!(weekly.job.name(), "weekly");
    assert_eq!(
        weekly.schedule.next_after(sunday).map(|f| f.key()),
        Some("2026-11-23T08:00".to_owned())
    );
}

const TWO_TEAMS: &str = r#"
[[teams]]
id = "moscow"
timezone = "Europe/Moscow"
telegram_chat_id = -100123
[[teams]]
id = "ny"
timezone = "America/New_York"
[[employees]]
id = "owner"
role = "owner"
team = "moscow"
email = "owner@example.com"
[[sources]]
name = "pbx"
kind = "asterisk"
timezone = "Europe/Moscow"
[telegram]
token_env = "TOKEN"
[email]
smtp_host = "smtp.example.com"
from = "r@example.com"
"#;

fn with_env(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("test.toml"), &|name| {
        (name == "TOKEN").then(|| "1:x".to_owned())
    })
}

#[test]
fn schedules_take_their_teams_timezone_or_their_own() {
    let config = with_env(&format!(
        r#"{TWO_TEAMS}
[[schedules]]
name = "digest"
cron = "0 9 * * 1-5"
job = "digest"
team = "moscow"
deliver = "telegram"
[[schedules]]
name = "weekly-ny"
cron = "0 8 * * mon"
job = "weekly"
team = "ny"
deliver = "email"
grace_hours = 24
[[schedules]]
name = "pull"
cron = "*/15 * * * *"
job = "pull"
source = "pbx"
[[schedules]]
name = "pull-utc"
cron = "0 * * * *"
job = "pull"
source = "pbx"
timezone = "UTC"
"#
    ))
    .expect("valid");
    let tz: Vec<_> = config
        .schedules
        .iter()
        .map(|s| s.schedule.timezone().name())
        .collect();
    assert_eq!(
        tz,
        ["Europe/Moscow", "America/New_York", "Europe/Moscow", "UTC"]
    );
    assert_eq!(
        config.schedules[1].job,
        ScheduleJob::Weekly {
            team: "ny".into(),
            deliver: Delivery::Email
        }
    );
    assert_eq!(config.schedules[1].grace, chrono::Duration::hours(24));
    assert_eq!(
        config.schedules[2].job,
        ScheduleJob::Pull {
            source: "pbx".into()
        }
    );
}

#[test]
fn every_schedule_problem_is_named_with_its_key() {
    let found = match with_env(&format!(
        r#"{TWO_TEAMS}
[[schedules]]
name = "a"
cron = "0 9 * * 1-8"
job = "digest"
deliver = "email"
[[schedules]]
name = "a"
cron = "0 0 9 * * 1-5"
job = "weekly"
team = "paris"
deliver = "file"
grace_hours = 0
[[schedules]]
name = "c"
cron = "0 9 * * *"
job = "pull"
source = "crm"
team = "moscow"
timezone = "Paris"
[[schedules]]
job = "report"
[[schedules]]
name = "e"
cron = "0 9 * * *"
job = "digest"
team = "ny"
deliver = "telegram"
"#
    )) {
        Err(ConfigError::Invalid { issues, .. }) => {
            issues.iter().map(|i| i.to_string()).collect::<Vec<_>>()
        }
        other => panic!("expected issues, got {other:?}"),
    };
    let joined = found.join("\n");
    for expected in [
        "schedules[0].cron: \"0 9 * * 1-8\": day of week 8 is out of 0-7",
        "schedules[0].team: is missing (there are several teams: moscow, ny;",
        "schedules[0].deliver: \"email\" is not a delivery of job = \"digest\" (expected \"telegram\" or \"file\")",
        "schedules[1].name: \"a\" is used by an earlier schedule",
        "schedules[1].cron: \"0 0 9 * * 1-5\": has 6 fields; we take standard 5-field cron",
        "schedules[1].team: \"paris\" is not a team id (expected one of: moscow, ny)",
        "schedules[1].grace_hours: 0 is not a number of hours from 1 to 720",
        "schedules[2].source: \"crm\" is not a source name (expected one of: pbx)",
        "schedules[2].team: is for digest and weekly",
        "schedules[2].timezone: \"Paris\" is not an IANA timezone (try \"Europe/Paris\")",
        "schedules[3].name: is missing",
        "schedules[3].job: \"report\" is not a job (expected \"digest\", \"weekly\", \"cards\" or \"pull\")",
        "schedules[3].cron: is missing",
        "schedules[4].deliver: nobody of team ny gets the digest in Telegram",
    ] {
        assert!(
            found.iter().any(|i| i.starts_with(expected)),
            "{expected}\n{joined}"
        );
    }
    assert_eq!(found.len(), 14, "{joined}");
}

#[test]
fn a_schedule_that_sends_needs_its_channel() {
    let found = issues(
        "[[teams]]\nid = \"m\"\ntimezone = \"UTC\"\n\
         [[schedules]]\nname = \"d\"\ncron = \"0 9 * * 1-5\"\njob = \"digest\"\ndeliver = \"telegram\"\n\
         [[schedules]]\nname = \"w\"\ncron = \"0 8 * * 1\"\njob = \"weekly\"\ndeliver = \"email\"\n\
         [[schedules]]\nname = \"p\"\ncron = \"0 * * * *\"\njob = \"pull\"\n",
    );
    assert_eq!(
        found,
        [
            "schedules[0].deliver: \"telegram\" needs a [telegram] section (token_env), or deliver = \"file\"",
            "schedules[1].deliver: \"email\" needs an [email] section (smtp_host, from), or deliver = \"file\"",
            "schedules[2].source: is missing (the source to pull; none is configured: add a [[sources]] entry)",
        ]
    );
    let typo = parse(
        "[[teams]]\nid = \"m\"\ntimezone = \"UTC\"\n\
         [[schedules]]\nname = \"d\"\ncron = \"0 9 * * *\"\njob = \"digest\"\ndeliver = \"file\"\ngrace = 6\n",
    )
    .unwrap_err()
    .to_string();
    assert!(typo.contains("unknown field `grace`"), "{typo}");
}
