//! Reading a config file: every section's values, defaults and the problems
//! named with their keys.

use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("test.toml"), &|_| None)
}

fn issues(text: &str) -> Vec<String> {
    match parse(text) {
        Err(ConfigError::Invalid { issues, .. }) => issues.iter().map(|i| i.to_string()).collect(),
        other => panic!("expected validation issues, got {other:?}"),
    }
}

#[test]
fn the_example_is_valid() {
    let config = parse(EXAMPLE).expect("example validates");
    assert_eq!(config.teams[0].timezone, chrono_tz::Europe::Moscow);
    assert_eq!(config.thresholds.success_talk_secs, 40);
    assert_eq!(
        config.employee_index("pbx").get("202").map(String::as_str),
        Some("sidorov")
    );
    assert_eq!(
        config.stage_index().get("C1:NEW").map(String::as_str),
        Some("new")
    );
    assert_eq!(config.stages[2].stuck_after_days, 7);
    assert_eq!(config.stages[4].kind, crate::domain::StageKind::Won);
}

#[test]
fn a_wrong_timezone_names_the_key_and_a_fix() {
    let found = issues("[[teams]]\nid = \"m\"\ntimezone = \"Moscow\"\n");
    assert_eq!(
        found,
        vec!["teams[0].timezone: \"Moscow\" is not an IANA timezone (try \"Europe/Moscow\")"]
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let found = issues(
        r#"
database_url = "mysql://x"
[thresholds]
idle_gap_mins = -5
[[teams]]
id = "m"
timezone = "Europe/Moscow"
work_hours = "18:00-09:00"
weekends = ["sat", "funday"]
[[employees]]
id = "a"
team = "nowhere"
role = "boss"
ids = { pbx = "101" }
[[plans]]
role = "manager"
daily = { cold_cals = 30 }
"#,
    );
    let joined = found.join("\n");
    for key in [
        "database_url:",
        "thresholds.idle_gap_mins: -5 is not a positive whole number",
        "teams[0].work_hours:",
        "teams[0].weekends[1]: \"funday\"",
        "employees[0].team: \"nowhere\" is not a team id (expected one of: m)",
        "employees[0].role: unknown role \"boss\"",
        "employees[0].ids.pbx: \"pbx\" is not a source name",
        "plans[0].daily.cold_cals: is not a figure",
    ] {
        assert!(joined.contains(key), "missing {key:?} in:\n{joined}");
    }
    assert_eq!(found.len(), 8, "{joined}");
}

#[test]
fn unknown_keys_are_refused() {
    let err = parse("[[teams]]\nid = \"m\"\ntimezone = \"UTC\"\ntimezon = \"x\"\n").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("unknown field `timezon`"), "{text}");
}

#[test]
fn secrets_come_from_env_and_never_print() {
    let text = "[[teams]]\nid = \"m\"\ntimezone = \"UTC\"\n[telegram]\ntoken_env = \"TOKEN_VAR\"\n";
    let config = Config::parse(text, Path::new("t.toml"), &|name| {
        (name == "TOKEN_VAR").then(|| "123456:SECRET-TOKEN".to_owned())
    })
    .expect("valid");
    let token = &config.telegram.as_ref().expect("telegram").token;
    assert_eq!(token.expose(), "123456:SECRET-TOKEN");
    assert!(!format!("{config:?}").contains("SECRET-TOKEN"));

    let missing = issues(text);
    assert_eq!(
        missing,
        vec![
            "telegram.token_env: names the env var TOKEN_VAR, which is not set (export it before starting)"
        ]
    );
}

#[test]
fn one_extension_cannot_belong_to_two_people() {
    let found = issues(
        r#"
[[teams]]
id = "m"
timezone = "UTC"
[[sources]]
name = "pbx"
kind = "asterisk"
timezone = "UTC"
[[employees]]
id = "a"
team = "m"
ids = { pbx = "101" }
[[employees]]
id = "b"
team = "m"
ids = { pbx = ["102", "101"] }
"#,
    );
    assert_eq!(
        found,
        vec![
            "employees[1].ids.pbx: \"101\" is already the id of employee \"a\" in source pbx (an id maps to one person)"
        ]
    );
}

#[test]
fn heads_choose_what_managers_see_of_their_own_figures() {
    let text = "[[teams]]\nid = \"m\"\ntimezone = \"UTC\"\n[visibility]\nhide_from_managers = [\"pulse\"]\n";
    let config = parse(text).expect("valid");
    assert!(!config.visible(
        crate::domain::Role::Manager,
        crate::domain::FigureGroup::Pulse
    ));
    assert!(config.visible(
        crate::domain::Role::Manager,
        crate::domain::FigureGroup::Plan
    ));
    assert!(config.visible(crate::domain::Role::Head, crate::domain::FigureGroup::Pulse));
    let bad = issues(
        "[[teams]]\nid = \"m\"\ntimezone = \"UTC\"\n[visibility]\nhide_from_managers = [\"pulses\"]\n",
    );
    assert_eq!(
        bad,
        vec![
            "visibility.hide_from_managers[0]: \"pulses\" is not a figure group (expected one of: telephony, pulse, plan, funnel, hygiene)"
        ]
    );
}

#[test]
fn the_email_section_names_each_bad_key() {
    let found = issues(
        "[email]\nsmtp_host = \"smtp.example.com\"\nsecurity = \"ssl\"\nsmtp_port = 70000\n\
         username = \"reports\"\nfrom = \"not an address\"\nto = [\"owner@example.com\", \"nobody\"]\n\
         timeout_secs = 0\nca_file = \"/nonexistent/ca.pem\"\n",
    );
    let keys: Vec<&str> = found
        .iter()
        .map(|i| i.split(':').next().unwrap_or_default())
        .collect();
    for key in [
        "email.security",
        "email.smtp_port",
        "email.from",
        "email.to[1]",
        "email.password_env",
        "email.timeout_secs",
        "email.ca_file",
    ] {
        assert!(keys.contains(&key), "{key} in {found:#?}");
    }
    assert!(
        found
            .iter()
            .any(|i| i.contains("\"starttls\" (port 587), \"tls\" (port 465)")),
        "{found:#?}"
    );
}

#[test]
fn the_smtp_port_follows_the_security_unless_given() {
    let config = parse(
        "[[teams]]\nid = \"m\"\ntimezone = \"UTC\"\n\
         [email]\nsmtp_host = \"smtp.example.com\"\nsecurity = \"tls\"\nfrom = \"r@example.com\"\n",
    )
    .unwrap();
    let email = config.email.unwrap();
    assert_eq!((email.security, email.smtp_port), (SmtpSecurity::Tls, 465));
    assert_eq!(email.attempts, 4);
}

#[test]
fn kpi_schemes_name_each_bad_key() {
    let found = issues(
        "[[teams]]\nid = \"m\"\ntimezone = \"UTC\"\n\
         [kpi]\nleaderboard = \"all\"\n\
         [[kpi.schemes]]\nposition = \"closer\"\nfrom = \"November\"\n\
         [[kpi.schemes.indicators]]\nfigure = \"meetingz\"\nrule = \"per_unit\"\n\
         [[kpi.schemes.indicators]]\nid = \"rev\"\nfigure = \"revenue\"\nrule = \"linear\"\ntarget = 100\n\
         [[kpi.schemes.indicators]]\nid = \"won\"\nfigure = \"deals_won\"\nrule = \"steps\"\nsteps = [{ at = 5, amount = 1 }, { at = 3, amount = 2 }]\n\
         [[kpi.schemes.indicators]]\nid = \"g\"\nfigure = \"plan_completion\"\nrule = \"gate\"\ntarget = 80\napplies_to = [\"nope\"]\n\
         [[kpi.schemes.indicators]]\nid = \"q\"\nfigure = \"meetings\"\nperiod = \"quarter\"\nrule = \"bonus\"\n",
    );
    for expected in [
        "kpi.leaderboard: \"all\" is not a choice",
        "kpi.schemes[0].from: \"November\" is not a month (expected \"YYYY-MM\"",
        "kpi.schemes[0].indicators[0].figure: \"meetingz\" is not a figure",
        "kpi.schemes[0].indicators[0].amount: is missing",
        "kpi.schemes[0].indicators[1].pay: is missing",
        "kpi.schemes[0].indicators[2].steps: are not in rising order",
        "kpi.schemes[0].indicators[3].applies_to: \"nope\" is not another indicator",
        "kpi.schemes[0].indicators[4].period: \"quarter\" is not supported",
        "kpi.schemes[0].indicators[4].rule: \"bonus\" is not a rule",
    ] {
        assert!(
            found.iter().any(|i| i.starts_with(expected)),
            "{expected}\n{found:#?}"
        );
    }
}

#[test]
fn kpi_money_and_targets_beyond_plausible_are_refused() {
    let found = issues(
        "[[teams]]\nid = \"m\"\ntimezone = \"UTC\"\n\
         [[kpi.schemes]]\nposition = \"closer\"\nfrom = \"2026-11\"\n\
         [[kpi.schemes.indicators]]\nid = \"a\"\nfigure = \"meetings\"\nrule = \"per_unit\"\namount = 18446744073709551615.0\n\
         [[kpi.schemes.indicators]]\nid = \"b\"\nfigure = \"revenue\"\nrule = \"linear\"\ntarget = 1e13\npay = 9223372036854775807\n\
         [[kpi.schemes.indicators]]\nid = \"c\"\nfigure = \"deals_won\"\nrule = \"steps\"\nsteps = [{ at = 5, amount = 1e10 }]\n\
         [[kpi.schemes.indicators]]\nid = \"d\"\nfigure = \"calls_out\"\nrule = \"per_unit\"\namount = 10\nmax = 1e15\n\
         [[kpi.schemes.indicators]]\nid = \"e\"\nfigure = \"plan_completion\"\nrule = \"gate\"\ntarget = 1e300\n",
    );
    for expected in [
        "kpi.schemes[0].indicators[0].amount: 18446744073709552000 is above 1e9",
        "kpi.schemes[0].indicators[1].target: 10000000000000 is above 1e12",
        "kpi.schemes[0].indicators[1].pay: 9223372036854776000 is above 1e9",
        "kpi.schemes[0].indicators[2].steps: has an amount below 0 or above 1e9",
        "kpi.schemes[0].indicators[3].max: 1000000000000000 is above 1e9",
        "kpi.schemes[0].indicators[4].target: 1e300 is not between 0 and 1e12",
    ] {
        assert!(
            found.iter().any(|i| i.starts_with(expected)),
            "{expected}\n{found:#?}"
        );
    }
}

#[test]
fn a_position_taken_mid_month_pays_from_the_next_month() {
    let config = parse(
        "[[teams]]\nid = \"m\"\ntimezone = \"UTC\"\n\
         [[employees]]\nid = \"a\"\nname = \"A\"\nteam = \"m\"\nposition = \"closer\"\n\
         position_since = \"2026-11-16\"\nprevious_position = \"farmer\"\n\
         [[employees]]\nid = \"b\"\nname = \"B\"\nteam = \"m\"\nposition = \"closer\"\n\
         position_since = \"2026-11-01\"\nprevious_position = \"farmer\"\n",
    )
    .unwrap();
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    let a = &config.employees[0];
    assert_eq!(a.position_for_month(day(11, 20)), Some("farmer"));
    assert_eq!(a.position_for_month(day(12, 1)), Some("closer"));
    // Taken on the month's first day: that month already.
    assert_eq!(
        config.employees[1].position_for_month(day(11, 5)),
        Some("closer")
    );
    let missing = issues(
        "[[teams]]\nid = \"m\"\ntimezone = \"UTC\"\n\
         [[employees]]\nid = \"a\"\nname = \"A\"\nteam = \"m\"\nposition_since = \"2026-11-16\"\n",
    );
    assert!(
        missing[0].starts_with("employees[0].previous_position: goes with position_since"),
        "{missing:?}"
    );
}

fn parse_with_env(text: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::parse(text, Path::new("test.toml"), &move |name| {
        vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
}

fn env_issues(text: &str, vars: &[(&str, &str)]) -> Vec<String> {
    match parse_with_env(text, vars) {
        Err(ConfigError::Invalid { issues, .. }) => issues.iter().map(|i| i.to_string()).collect(),
        other => panic!("expected validation issues, got {other:?}"),
    }
}

const B24: &str = "[[teams]]\nid = \"m\"\ntimezone = \"UTC\"\n[[sources]]\nname = \"b24\"\nkind = \"bitrix24\"\ntimezone = \"Europe/Moscow\"\n";
const AMO: &str = "[[teams]]\nid = \"m\"\ntimezone = \"UTC\"\n[[sources]]\nname = \"amo\"\nkind = \"amocrm\"\ntimezone = \"Europe/Moscow\"\n";

#[test]
fn a_bitrix24_source_takes_its_webhook_from_the_env_and_keeps_it_secret() {
    let text = format!(
        "{B24}webhook_url_env = \"B24_URL\"\noverlap_minutes = 30\nchannels = {{ WEB = \"Сайт\" }}\n\
         temperature_field = \"UF_CRM_TEMP\"\ntemperature_values = {{ hot = [\"45\", 46] }}\n"
    );
    let config = parse_with_env(
        &text,
        &[("B24_URL", "https://acme.bitrix24.ru/rest/1/s3cr3t")],
    )
    .unwrap();
    let SourceKind::Bitrix24(api) = &config.sources[0].kind else {
        panic!("{:?}", config.sources[0].kind)
    };
    assert_eq!(
        api.base_url.expose(),
        "https://acme.bitrix24.ru/rest/1/s3cr3t/"
    );
    assert!(!format!("{config:?}").contains("s3cr3t"));
    assert_eq!(api.overlap, chrono::Duration::minutes(30));
    assert_eq!(api.requests_per_second, 2.0);
    assert_eq!(api.channel_field.as_deref(), Some("SOURCE_ID"));
    assert_eq!(api.channels.get("web").map(String::as_str), Some("Сайт"));
    assert_eq!(
        api.temperature_values.get("46"),
        Some(&crate::domain::Temperature::Hot)
    );

    // portal + user_id + webhook_secret_env make the same URL.
    let parts = format!(
        "{B24}portal = \"acme.bitrix24.ru\"\nuser_id = 1\nwebhook_secret_env = \"B24_SECRET\"\n"
    );
    let config = parse_with_env(&parts, &[("B24_SECRET", "s3cr3t")]).unwrap();
    let SourceKind::Bitrix24(api) = &config.sources[0].kind else {
        panic!()
    };
    assert_eq!(
        api.base_url.expose(),
        "https://acme.bitrix24.ru/rest/1/s3cr3t/"
    );
}

#[test]
fn crm_api_sources_name_every_bad_key() {
    let found = env_issues(
        &format!(
            "{B24}webhook_url_env = \"B24_URL\"\ntoken_env = \"X\"\nrequests_per_second = 0\n\
             temperature_values = {{ boiling = [\"1\"] }}\n"
        ),
        &[("B24_URL", "https://acme.bitrix24.ru/crm/")],
    );
    let expected = [
        "sources[0].token_env: is for amocrm sources",
        "sources[0].webhook_url_env: the env var B24_URL does not end in /rest/USER_ID/SECRET/",
    ];
    for e in expected {
        assert!(
            found.iter().any(|f| f.starts_with(e)),
            "{e} not in {found:?}"
        );
    }
    assert!(!found.iter().any(|f| f.contains("acme")), "{found:?}");

    let found = env_issues(B24, &[]);
    assert!(
        found[0].starts_with(
            "sources[0].webhook_url_env: is missing (expected the name of the env var"
        ),
        "{found:?}"
    );
    let found = env_issues(
        &format!(
            "{AMO}base_url = \"mycompany\"\ntoken_env = \"AMO_TOKEN\"\nrequests_per_second = -1\ntemperature_values = {{ boiling = [1] }}\n"
        ),
        &[],
    );
    let expected = [
        "sources[0].base_url: \"mycompany\" is not a URL",
        "sources[0].token_env: names the env var AMO_TOKEN, which is not set",
    ];
    for e in expected {
        assert!(
            found.iter().any(|f| f.starts_with(e)),
            "{e} not in {found:?}"
        );
    }
    let found = env_issues(
        &format!(
            "{AMO}base_url = \"https://acme.amocrm.ru\"\ntoken_env = \"T\"\nrequests_per_second = -1\ntemperature_values = {{ boiling = [1] }}\n"
        ),
        &[("T", "token")],
    );
    assert_eq!(
        found,
        vec![
            "sources[0].requests_per_second: -1 is out of range (expected more than 0; Bitrix24 allows 2, amoCRM 7)",
            "sources[0].temperature_values.boiling: is not one of ours (expected hot, warm or cold)",
        ]
    );
    let found = issues(
        "[[teams]]\nid = \"m\"\ntimezone = \"UTC\"\n[[sources]]\nname = \"pbx\"\nkind = \"asterisk\"\ntimezone = \"UTC\"\ntoken_env = \"T\"\n",
    );
    assert_eq!(
        found,
        vec!["sources[0].token_env: is for bitrix24 and amocrm sources, not asterisk"]
    );
}

#[test]
fn webhook_mode_needs_an_https_url_an_address_and_a_secret() {
    let env = |var: &str| match var {
        "TOKEN" => Some("123:abc".to_owned()),
        "HOOK_SECRET" => Some("has spaces".to_owned()),
        "GOOD_SECRET" => Some("s3cret-Token_1".to_owned()),
        _ => None,
    };
    let bad = "[telegram]\ntoken_env = \"TOKEN\"\nwebhook_url = \"http://bot.example.com/hook\"\n\
               webhook_listen = \"everywhere\"\nwebhook_secret_env = \"HOOK_SECRET\"\n";
    let found = match Config::parse(bad, Path::new("t.toml"), &env) {
        Err(ConfigError::Invalid { issues, .. }) => {
            issues.iter().map(|i| i.to_string()).collect::<Vec<_>>()
        }
        other => panic!("expected issues, got {other:?}"),
    };
    for key in [
        "telegram.webhook_url",
        "telegram.webhook_listen",
        "telegram.webhook_secret_env",
    ] {
        assert!(
            found.iter().any(|i| i.starts_with(key)),
            "{key} in {found:#?}"
        );
    }
    assert!(
        !found.iter().any(|i| i.contains("has spaces")),
        "the secret is never printed: {found:#?}"
    );
    let missing_secret =
        "[telegram]\ntoken_env = \"TOKEN\"\nwebhook_url = \"https://bot.example.com/hook\"\n";
    assert!(matches!(
        Config::parse(missing_secret, Path::new("t.toml"), &env),
        Err(ConfigError::Invalid { .. })
    ));
    let good = "[[teams]]\nid = \"m\"\ntimezone = \"UTC\"\n[telegram]\ntoken_env = \"TOKEN\"\nwebhook_url = \"https://bot.example.com/hook\"\n\
                webhook_secret_env = \"GOOD_SECRET\"\n";
    let config = Config::parse(good, Path::new("t.toml"), &env).unwrap();
    let hook = config.telegram.unwrap().webhook.unwrap();
    assert_eq!(hook.listen.to_string(), "0.0.0.0:8443");
    assert_eq!(hook.secret.expose(), "s3cret-Token_1");
    let polling = Config::parse(
        "[[teams]]\nid = \"m\"\ntimezone = \"UTC\"\n[telegram]\ntoken_env = \"TOKEN\"\n",
        Path::new("t.toml"),
        &env,
    )
    .unwrap();
    assert!(polling.telegram.unwrap().webhook.is_none());
}

const TEAM: &str = "[[teams]]\nid = \"m\"\ntimezone = \"Europe/Moscow\"\n";

#[test]
fn pull_paths_are_relative_to_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("drop")).unwrap();
    let text = format!(
        "{TEAM}[[sources]]\nname = \"pbx\"\nkind = \"asterisk\"\ntimezone = \"Europe/Moscow\"\n\
         drop_folder = \"drop\"\nfollow = \"Master.csv\"\n"
    );
    let config = Config::parse(&text, &dir.path().join("salespulse.toml"), &|_| None)
        .expect("valid: the folder exists, Master.csv may come later");
    let pbx = config.source("pbx").unwrap();
    assert_eq!(
        pbx.drop_folder.as_deref(),
        Some(dir.path().join("drop").as_path())
    );
    assert_eq!(
        pbx.follow.as_deref(),
        Some(dir.path().join("Master.csv").as_path())
    );
}

#[test]
fn pull_paths_name_the_key_and_what_is_expected() {
    let found = issues(&format!(
        "{TEAM}[[sources]]\nname = \"crm\"\nkind = \"crm_files\"\ntimezone = \"Europe/Moscow\"\n\
         drop_folder = \"/nonexistent/drop\"\nfollow = \"/tmp/deals.jsonl\"\n\
         [[sources]]\nname = \"pbx\"\nkind = \"asterisk\"\ntimezone = \"Europe/Moscow\"\n\
         follow = \"/nonexistent/cdr-csv/Master.csv\"\n"
    ));
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(
        found[0].starts_with("sources[0].drop_folder: \"/nonexistent/drop\" is not a folder"),
        "{found:?}"
    );
    assert!(
        found[1].starts_with("sources[0].follow: only asterisk and calls_csv sources"),
        "{found:?}"
    );
    assert!(
        found[2].starts_with(
            "sources[1].follow: \"/nonexistent/cdr-csv/Master.csv\" is not in an existing folder"
        ),
        "{found:?}"
    );
}

#[test]
fn a_crm_api_source_takes_no_pull_paths() {
    let found = env_issues(
        &format!(
            "{B24}webhook_url_env = \"B24_URL\"\ndrop_folder = \"/tmp\"\nfollow = \"/tmp/Master.csv\"\n"
        ),
        &[("B24_URL", "https://acme.bitrix24.ru/rest/1/s3cr3t/")],
    );
    assert_eq!(
        found,
        vec![
            "sources[0].drop_folder: is for file sources (asterisk, calls_csv, crm_files), not bitrix24: its pull reads the CRM's API (for exported files add a crm_files source)",
            "sources[0].follow: is for file sources (asterisk, calls_csv, crm_files), not bitrix24: its pull reads the CRM's API (for exported files add a crm_files source)",
        ]
    );
}

mod alerts;
mod asterisk_db;
mod schedules;

#[test]
fn a_bad_email_an_unknown_position_and_a_shared_crm_stage_are_named() {
    let text = EXAMPLE
        .replacen(
            "email = \"petrova@example.com\"",
            "email = \"not-an-email\"",
            1,
        )
        .replacen(
            "crm_ids = [\"NEW\", \"C1:NEW\"]",
            "crm_ids = [\"NEW\", \"C1:NEW\", \"C1:WON\"]",
            1,
        )
        .replacen(
            "[[stages]]\nid = \"won\"",
            "[[stages]]\nid = \"won\"\ncrm_ids = [\"C1:WON\"]",
            1,
        );
    let found = issues(&text);
    assert!(
        found
            .iter()
            .any(|i| i.starts_with("employees[0].email: \"not-an-email\" is not an email address")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|i| i.contains("\"C1:WON\" is already a crm_id of stage \"new\"")),
        "{found:?}"
    );
    if EXAMPLE.contains("[[kpi.schemes]]") {
        let typo = EXAMPLE.replacen("position = \"", "position = \"x", 1);
        let found = issues(&typo);
        assert!(
            found
                .iter()
                .any(|i| i.contains("is not a position of any [[kpi.schemes]]")),
            "{found:?}"
        );
    }
}
