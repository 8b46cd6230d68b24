//! `kind = "asterisk_db"`: the URL's env var, the table, the recordings'
//! address and every problem named.

use super::*;

const DB: &str = "[[teams]]\nid = \"m\"\ntimezone = \"UTC\"\n[[sources]]\nname = \"pbxdb\"\nkind = \"asterisk_db\"\ntimezone = \"Europe/Moscow\"\n";

#[test]
fn a_cdr_table_source_takes_its_url_from_the_env_and_keeps_it_secret() {
    let text = format!(
        "{DB}url_env = \"PBX_DB\"\ntrunks = [\"SIP/trunk-*\"]\n\
         recording_url = \"https://pbx.example.com/rec/{{yyyy}}/{{mm}}/{{dd}}/{{file}}\"\n"
    );
    let config = parse_with_env(
        &text,
        &[("PBX_DB", "mysql://cdr:hunter2@pbx:3306/asteriskcdrdb")],
    )
    .expect("valid");
    let source = config.source("pbxdb").expect("source");
    let SourceKind::AsteriskDb(db) = &source.kind else {
        panic!("{:?}", source.kind);
    };
    assert_eq!(db.table, "cdr");
    assert_eq!(db.overlap, chrono::Duration::minutes(120));
    assert_eq!(db.page_rows, 1000);
    assert_eq!(db.rules.trunks, vec!["SIP/trunk-*".to_owned()]);
    assert_eq!(db.rules.extension_max_digits, 4);
    assert_eq!(db.host(), "pbx");
    assert!(!format!("{config:?}").contains("hunter2"));
}

#[test]
fn a_cdr_table_source_names_each_problem() {
    let text = format!(
        "{DB}url_env = \"PBX_DB\"\ntable = \"cdr; drop\"\npage_rows = 0\n\
         recording_url = \"https://pbx/{{year}}/{{file}}\"\n"
    );
    let found = env_issues(&text, &[("PBX_DB", "https://pbx/cdr")]);
    assert_eq!(
        found,
        vec![
            "sources[0].page_rows: 0 is not a positive whole number",
            "sources[0].table: \"cdr; drop\" is not a table name (expected letters, digits and _, e.g. \"cdr\" or \"asteriskcdrdb.cdr\")",
            "sources[0].recording_url: \"https://pbx/{year}/{file}\" has the placeholder {year} (expected {yyyy}, {mm}, {dd}, {file})",
            "sources[0].url_env: the env var PBX_DB does not hold a mysql://USER:PASSWORD@HOST/DB or postgres://USER:PASSWORD@HOST/DB URL",
        ]
    );
    let found = env_issues(DB, &[]);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].starts_with("sources[0].url_env: is missing"),
        "{found:?}"
    );
    let found = env_issues(&format!("{DB}url_env = \"PBX_DB\"\n"), &[]);
    assert_eq!(
        found,
        vec![
            "sources[0].url_env: names the env var PBX_DB, which is not set (export it before starting)"
        ]
    );
}

#[test]
fn table_keys_belong_to_cdr_table_sources() {
    let text = "[[teams]]\nid = \"m\"\ntimezone = \"UTC\"\n[[sources]]\nname = \"pbx\"\nkind = \"asterisk\"\ntimezone = \"UTC\"\ntable = \"cdr\"\nrecording_url = \"https://x/{file}\"\n";
    let found = env_issues(text, &[]);
    assert_eq!(
        found,
        vec![
            "sources[0].table: is for asterisk_db sources, not asterisk",
            "sources[0].recording_url: is for asterisk_db sources, not asterisk",
        ]
    );
}
