//! The catalog's plural forms, numbers, durations, overrides and the same
//! messages in both locales.

use super::*;

#[test]
fn russian_counts_take_the_form_their_number_asks_for() {
    let c = Catalog::built_in();
    let form = |n: i64| c.count(Locale::Ru, "calls", n);
    for n in 0..=125i64 {
        let (tens, units) = (n % 100, n % 10);
        let want = if (11..=14).contains(&tens) {
            "звонков"
        } else {
            match units {
                1 => "звонок",
                2..=4 => "звонка",
                _ => "звонков",
            }
        };
        assert_eq!(form(n), format!("{n} {want}"), "n = {n}");
    }
    assert_eq!(c.count(Locale::En, "calls", 1), "1 call");
    assert_eq!(c.count(Locale::En, "calls", 21), "21 calls");
}

#[test]
fn numbers_and_money_read_with_the_locales_separators() {
    let c = Catalog::built_in();
    assert_eq!(number(Locale::Ru, 1234567.25, 2), "1\u{a0}234\u{a0}567,25");
    assert_eq!(number(Locale::En, 1234567.25, 2), "1,234,567.25");
    assert_eq!(number(Locale::En, -0.04, 1), "0");
    assert_eq!(number(Locale::Ru, -1500.0, 0), "-1\u{a0}500");
    assert_eq!(c.money(Locale::Ru, 7000.0, "RUB"), "7\u{a0}000 ₽");
    assert_eq!(c.money(Locale::En, 7000.0, "RUB"), "RUB 7,000");
    assert_eq!(c.percent(Locale::Ru, 0.3861), "38,6 %");
    assert_eq!(c.percent(Locale::En, 0.3861), "38.6 %");
    assert_eq!(c.percent(Locale::En, 0.8), "80 %");
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 2).expect("a day");
    assert_eq!(c.day(Locale::Ru, day), "ср 02.12");
    assert_eq!(c.day(Locale::En, day), "Wed 02.12");
}

#[test]
fn both_locales_have_the_same_messages() {
    let (ru, en) = (Catalog::ids(Locale::Ru), Catalog::ids(Locale::En));
    let only = |a: &[String], b: &[String]| -> Vec<String> {
        a.iter().filter(|id| !b.contains(id)).cloned().collect()
    };
    assert!(
        only(&ru, &en).is_empty(),
        "only in ru: {:?}",
        only(&ru, &en)
    );
    assert!(
        only(&en, &ru).is_empty(),
        "only in en: {:?}",
        only(&en, &ru)
    );
}

#[test]
fn durations_keep_their_seconds() {
    let c = Catalog::built_in();
    assert_eq!(c.duration(Locale::Ru, 535), "8 мин 55 с");
    assert_eq!(c.duration(Locale::En, 535), "8 min 55 s");
    assert_eq!(c.duration(Locale::Ru, 40), "40 с");
    assert_eq!(c.duration(Locale::En, 3600 + 120), "1 h 2 min");
}

#[test]
fn an_admins_file_overrides_single_messages_and_a_broken_one_names_its_line() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::create_dir_all(dir.path().join("ru")).expect("ru/");
    let file = dir.path().join("ru/messages.ftl");
    std::fs::write(&file, "calls = { $n } вызовов\n").expect("written");
    let c = Catalog::new(Some(dir.path())).expect("parses");
    assert_eq!(c.count(Locale::Ru, "calls", 3), "3 вызовов");
    assert_eq!(c.duration(Locale::Ru, 61), "1 мин 1 с");
    std::fs::write(&file, "ok = fine\nbroken = { $n\nlast = x\n").expect("written");
    let err = Catalog::new(Some(dir.path())).err().expect("refused");
    assert!(err.to_string().contains("messages.ftl:2"), "{err}");
}
