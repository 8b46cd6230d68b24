//! One department's CRM data and calls, generated, and written three ways:
//! as a Bitrix24 portal, as an amoCRM account, and as the exchange files
//! (`crm_files` plus a calls CSV) the same data would be exported to.

use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Europe::Moscow;
use serde_json::{Value, json};

use super::{fake_amo::Account, fake_bitrix::Portal};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Crm {
    Bitrix24,
    AmoCrm,
}

pub struct Deal {
    pub id: i64,
    pub owner: &'static str,
    pub stage: &'static str,
    pub amount: i64,
    pub created: DateTime<Utc>,
    pub temperature: usize,
    pub web: bool,
}
pub struct Move {
    pub deal: i64,
    pub from: &'static str,
    pub to: &'static str,
    pub at: DateTime<Utc>,
}
pub struct Task {
    pub id: i64,
    pub deal: i64,
    pub owner: &'static str,
    pub created: DateTime<Utc>,
    pub due: DateTime<Utc>,
    pub done: Option<DateTime<Utc>>,
}
pub struct Meeting {
    pub id: i64,
    pub deal: i64,
    pub owner: &'static str,
    pub at: DateTime<Utc>,
    /// Held (completed); a planned one is not a meeting held.
    pub held: bool,
}
/// A Bitrix24 email activity; only an outgoing one is an email sent.
pub struct Email {
    pub id: i64,
    pub deal: i64,
    pub owner: &'static str,
    pub at: DateTime<Utc>,
    pub outgoing: bool,
}
pub struct Comment {
    pub id: i64,
    pub deal: i64,
    pub author: &'static str,
    pub at: DateTime<Utc>,
    pub text: &'static str,
}
pub struct Call {
    pub id: i64,
    pub user: &'static str,
    pub inbound: bool,
    pub number: String,
    pub start: DateTime<Utc>,
    pub talk: i64,
    pub deal: Option<i64>,
}

pub struct Dept {
    pub deals: Vec<Deal>,
    pub moves: Vec<Move>,
    pub tasks: Vec<Task>,
    pub meetings: Vec<Meeting>,
    pub emails: Vec<Email>,
    pub comments: Vec<Comment>,
    pub calls: Vec<Call>,
}

/// Deal 7 sits in a stage the config does not know; user 3 is in no
/// employee's ids.
pub const UNKNOWN_STAGE_DEAL: i64 = 7;
pub const UNMAPPED_USER: &str = "3";
const TEMPERATURES: [&str; 3] = ["hot", "warm", "cold"];
const TEMPERATURE_NAMES: [&str; 3] = ["Горячий", "Тёплый", "Холодный"];

pub fn monday() -> DateTime<Utc> {
    Moscow
        .with_ymd_and_hms(2026, 11, 16, 0, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

impl Dept {
    pub fn generate(deals: i64, calls: i64) -> Dept {
        let base = monday();
        let mut d = Dept {
            deals: Vec::new(),
            moves: Vec::new(),
            tasks: Vec::new(),
            meetings: Vec::new(),
            emails: Vec::new(),
            comments: Vec::new(),
            calls: Vec::new(),
        };
        for i in 1..=deals {
            let owner = if i % 10 == 0 {
                UNMAPPED_USER
            } else {
                ["1", "2"][(i % 2) as usize]
            };
            let created =
                base + Duration::days(i % 5) + Duration::hours(9) + Duration::minutes(i % 480);
            let stage = if i == UNKNOWN_STAGE_DEAL {
                "unknown"
            } else {
                ["new", "meeting", "won", "lost", "meeting"][(i % 5) as usize]
            };
            let mv = |from, to, after: Duration| Move {
                deal: i,
                from,
                to,
                at: created + after,
            };
            match stage {
                "meeting" => d.moves.push(mv("new", "meeting", Duration::hours(1))),
                // Every other won deal is created and won the same day.
                "won" if i % 10 == 2 => {
                    d.moves.push(mv("new", "meeting", Duration::hours(1)));
                    d.moves.push(mv("meeting", "won", Duration::hours(4)));
                }
                "won" => {
                    d.moves.push(mv("new", "meeting", Duration::hours(1)));
                    d.moves.push(mv("meeting", "won", Duration::hours(26)));
                }
                "lost" => d.moves.push(mv("new", "lost", Duration::hours(2))),
                _ => {}
            }
            if matches!(stage, "meeting" | "won") {
                d.meetings.push(Meeting {
                    id: i * 10 + 2,
                    deal: i,
                    owner,
                    at: created + Duration::hours(3),
                    held: true,
                });
            }
            // A new deal's meeting is planned, two days on, not held yet.
            if stage == "new" {
                d.meetings.push(Meeting {
                    id: i * 10 + 2,
                    deal: i,
                    owner,
                    at: created + Duration::hours(48),
                    held: false,
                });
            }
            // Emails: the manager's out, the client's in (every 4th deal).
            if i % 4 == 1 {
                for (k, outgoing) in [(4, true), (5, false)] {
                    d.emails.push(Email {
                        id: i * 10 + k,
                        deal: i,
                        owner,
                        at: created + Duration::minutes(30 + k),
                        outgoing,
                    });
                }
            }
            if i % 2 == 0 {
                d.tasks.push(Task {
                    id: i * 10 + 1,
                    deal: i,
                    owner,
                    created: created + Duration::minutes(5),
                    due: created + Duration::hours(24),
                    done: (i % 4 == 0).then(|| created + Duration::hours(20)),
                });
            }
            if i % 3 == 0 {
                d.comments.push(Comment {
                    id: i * 10 + 3,
                    deal: i,
                    author: owner,
                    at: created + Duration::minutes(10),
                    text: if i % 2 == 0 {
                        "Обсудили объём, ждут КП до пятницы"
                    } else {
                        "позвонил"
                    },
                });
            }
            d.deals.push(Deal {
                id: i,
                owner,
                stage,
                amount: 1000 * i,
                created,
                temperature: (i % 3) as usize,
                web: i % 2 == 0,
            });
        }
        for j in 1..=calls {
            let user = if j % 17 == 0 {
                UNMAPPED_USER
            } else {
                ["1", "2"][(j % 2) as usize]
            };
            let start = base
                + Duration::days(j % 5)
                + Duration::hours(9)
                + Duration::seconds((j * 37) % (9 * 3600 - 600));
            d.calls.push(Call {
                id: j,
                user,
                inbound: j % 3 == 0,
                number: format!("7916{:07}", j % 50),
                start,
                talk: if j % 4 == 0 { 0 } else { 30 + (j * 13) % 300 },
                deal: (j % 5 == 0 && deals > 0).then(|| (j / 5) % deals + 1),
            });
        }
        d
    }

    fn deal(&self, id: i64) -> &Deal {
        &self.deals[(id - 1) as usize]
    }

    /// When a deal reached its stage, and when it closed.
    pub fn stage_since(&self, deal: &Deal) -> DateTime<Utc> {
        self.moves
            .iter()
            .filter(|m| m.deal == deal.id)
            .map(|m| m.at)
            .max()
            .unwrap_or(deal.created)
    }
    pub fn closed(&self, deal: &Deal) -> Option<DateTime<Utc>> {
        matches!(deal.stage, "won" | "lost").then(|| self.stage_since(deal))
    }
}

fn iso(t: DateTime<Utc>) -> String {
    t.with_timezone(&Moscow).to_rfc3339()
}

/// A Bitrix24 `date` field as the portal sends it (`data-types.md`: a date,
/// `2024-09-09T02:00:00+02:00`): the day, at midnight UTC, in the portal's
/// offset.
fn b24_date(t: DateTime<Utc>) -> String {
    let day = t.with_timezone(&Moscow).date_naive();
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
        .with_timezone(&Moscow)
        .to_rfc3339()
}

fn b24_stage(ours: &str) -> &'static str {
    match ours {
        "new" => "NEW",
        "meeting" => "PREPARATION",
        "won" => "WON",
        "lost" => "LOSE",
        _ => "EXECUTING",
    }
}

fn amo_stage(ours: &str) -> i64 {
    match ours {
        "new" => 1001,
        "meeting" => 1002,
        "won" => 142,
        "lost" => 143,
        _ => 1003,
    }
}

fn amo_user(user: &str) -> i64 {
    5000 + user.parse::<i64>().unwrap()
}

pub fn portal(d: &Dept) -> Portal {
    let mut p = Portal {
        users: ["Иванов Иван", "Сидоров Пётр", "Уволенный Сотрудник"]
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let (first, last) = n.split_once(' ').unwrap();
                json!({"ID": (i + 1).to_string(), "ACTIVE": true, "NAME": last, "LAST_NAME": first, "EMAIL": format!("u{}@example.com", i + 1)})
            })
            .collect(),
        categories: vec![json!({"id": 0, "name": "Общая", "isDefault": "Y"})],
        ..Portal::default()
    };
    p.statuses.insert(
        "DEAL_STAGE".into(),
        [("NEW", "Новая", "P"), ("PREPARATION", "Встреча", "P"), ("EXECUTING", "В работе", "P"), ("WON", "Успешно", "S"), ("LOSE", "Провал", "F")]
            .iter()
            .map(|(id, name, sem)| json!({"ENTITY_ID": "DEAL_STAGE", "STATUS_ID": id, "NAME": name, "SEMANTICS": if *sem == "P" { Value::Null } else { json!(sem) }, "EXTRA": {"SEMANTICS": match *sem { "S" => "success", "F" => "failure", _ => "process" }}}))
            .collect(),
    );
    for deal in &d.deals {
        let closed = d.closed(deal);
        p.deals.push(json!({
            "ID": deal.id.to_string(), "TITLE": format!("Сделка {}", deal.id), "STAGE_ID": b24_stage(deal.stage),
            "CATEGORY_ID": "0", "OPPORTUNITY": format!("{}.00", deal.amount), "CURRENCY_ID": "RUB",
            "ASSIGNED_BY_ID": deal.owner, "SOURCE_ID": if deal.web { "WEB" } else { "CALL" },
            "CONTACT_ID": null, "COMPANY_ID": "0",
            "DATE_CREATE": iso(deal.created), "DATE_MODIFY": iso(d.stage_since(deal)),
            "MOVED_TIME": iso(d.stage_since(deal)), "CLOSED": if closed.is_some() { "Y" } else { "N" },
            "CLOSEDATE": b24_date(closed.unwrap_or(deal.created + Duration::days(30))),
            "UF_CRM_TEMP": (45 + deal.temperature).to_string(),
        }));
    }
    // The history: each deal's creation, then its moves, in time order.
    let mut history: Vec<(DateTime<Utc>, i64, i64, &str)> = d
        .deals
        .iter()
        .map(|deal| {
            (
                deal.created,
                deal.id,
                1,
                if deal.stage == "unknown" {
                    "unknown"
                } else {
                    "new"
                },
            )
        })
        .chain(d.moves.iter().map(|m| {
            (
                m.at,
                m.deal,
                if matches!(m.to, "won" | "lost") { 3 } else { 2 },
                m.to,
            )
        }))
        .collect();
    history.sort_by_key(|h| (h.0, h.1));
    for (n, (at, deal, type_id, stage)) in history.into_iter().enumerate() {
        p.history.push(
            json!({"ID": n + 1, "TYPE_ID": type_id, "OWNER_ID": deal, "CREATED_TIME": iso(at),
            "CATEGORY_ID": 0, "STAGE_SEMANTIC_ID": "P", "STAGE_ID": b24_stage(stage)}),
        );
    }
    let mut acts: Vec<Value> = Vec::new();
    for t in &d.tasks {
        acts.push(json!({"ID": t.id.to_string(), "TYPE_ID": "6", "PROVIDER_ID": "CRM_TODO", "OWNER_ID": t.deal.to_string(), "OWNER_TYPE_ID": "2",
            "SUBJECT": "Перезвонить", "CREATED": iso(t.created), "DEADLINE": iso(t.due), "START_TIME": iso(t.created), "END_TIME": iso(t.due),
            "COMPLETED": if t.done.is_some() { "Y" } else { "N" }, "LAST_UPDATED": iso(t.done.unwrap_or(t.created)), "RESPONSIBLE_ID": t.owner}));
    }
    for m in &d.meetings {
        acts.push(json!({"ID": m.id.to_string(), "TYPE_ID": "1", "PROVIDER_ID": "CRM_MEETING", "OWNER_ID": m.deal.to_string(), "OWNER_TYPE_ID": "2",
            "SUBJECT": "Встреча", "CREATED": iso(m.at - Duration::hours(1)), "START_TIME": iso(m.at), "END_TIME": iso(m.at + Duration::hours(1)),
            "COMPLETED": if m.held { "Y" } else { "N" }, "DIRECTION": "0", "LAST_UPDATED": iso(if m.held { m.at + Duration::hours(1) } else { m.at - Duration::hours(1) }), "RESPONSIBLE_ID": m.owner}));
    }
    for e in &d.emails {
        acts.push(json!({"ID": e.id.to_string(), "TYPE_ID": "4", "PROVIDER_ID": "CRM_EMAIL", "OWNER_ID": e.deal.to_string(), "OWNER_TYPE_ID": "2",
            "SUBJECT": "КП", "CREATED": iso(e.at), "START_TIME": iso(e.at), "END_TIME": iso(e.at),
            "COMPLETED": "Y", "DIRECTION": if e.outgoing { "2" } else { "1" }, "LAST_UPDATED": iso(e.at), "RESPONSIBLE_ID": e.owner}));
    }
    acts.sort_by_key(|a| a["ID"].as_str().unwrap().parse::<i64>().unwrap());
    p.activities = acts;
    for c in &d.comments {
        p.comments.push(
            json!({"ID": c.id.to_string(), "ENTITY_ID": c.deal.to_string(), "ENTITY_TYPE": "deal",
            "CREATED": iso(c.at), "AUTHOR_ID": c.author, "COMMENT": c.text, "FILES": null}),
        );
    }
    for c in &d.calls {
        p.calls.push(json!({"ID": c.id.to_string(), "CALL_ID": format!("externalCall.{}", c.id), "PORTAL_USER_ID": c.user,
            "PORTAL_NUMBER": "reg123", "PHONE_NUMBER": c.number, "CALL_TYPE": if c.inbound { "2" } else { "1" },
            "CALL_DURATION": c.talk.to_string(), "CALL_START_DATE": iso(c.start), "CALL_FAILED_CODE": if c.talk > 0 { "200" } else { "304" },
            "CALL_FAILED_REASON": if c.talk > 0 { "Success call" } else { "Missed call" },
            "CRM_ENTITY_TYPE": if c.deal.is_some() { "DEAL" } else { "CONTACT" }, "CRM_ENTITY_ID": c.deal.unwrap_or(900).to_string(), "COST": "0.0000"}));
    }
    p
}

pub fn account(d: &Dept) -> Account {
    let ts = |t: DateTime<Utc>| t.timestamp();
    let mut a = Account {
        users: ["Иванов Иван", "Сидоров Пётр", "Уволенный Сотрудник"]
            .iter()
            .enumerate()
            .map(|(i, n)| json!({"id": 5001 + i as i64, "name": n, "email": format!("u{}@example.com", i + 1), "lang": "ru", "rights": {}}))
            .collect(),
        pipelines: vec![json!({"id": 777, "name": "Воронка", "sort": 1, "is_main": true, "_embedded": {"statuses": [
            {"id": 1001, "name": "Новая", "pipeline_id": 777, "type": 0}, {"id": 1002, "name": "Встреча", "pipeline_id": 777, "type": 0},
            {"id": 1003, "name": "В работе", "pipeline_id": 777, "type": 0},
            {"id": 142, "name": "Успешно реализовано", "pipeline_id": 777, "type": 0}, {"id": 143, "name": "Закрыто и не реализовано", "pipeline_id": 777, "type": 0}]}})],
        ..Account::default()
    };
    for deal in &d.deals {
        a.leads.push(json!({"id": deal.id, "name": format!("Сделка {}", deal.id), "price": deal.amount,
            "responsible_user_id": amo_user(deal.owner), "status_id": amo_stage(deal.stage), "pipeline_id": 777,
            "created_at": ts(deal.created), "updated_at": ts(d.stage_since(deal)), "closed_at": d.closed(deal).map(ts),
            "is_deleted": false, "account_id": 1,
            "custom_fields_values": [
                {"field_id": 9001, "field_name": "Температура", "field_type": "select", "values": [{"value": TEMPERATURE_NAMES[deal.temperature], "enum_id": 45 + deal.temperature}]},
                {"field_id": 9002, "field_name": "Источник", "field_type": "text", "values": [{"value": if deal.web { "WEB" } else { "CALL" }}]}],
            "_embedded": {"tags": [], "contacts": []}}));
    }
    for (n, m) in d.moves.iter().enumerate() {
        a.events.push(json!({"id": format!("01ev{n:06}"), "type": "lead_status_changed", "entity_id": m.deal, "entity_type": "lead",
            "created_by": amo_user(d.deal(m.deal).owner), "created_at": ts(m.at),
            "value_before": [{"lead_status": {"id": amo_stage(m.from), "pipeline_id": 777}}],
            "value_after": [{"lead_status": {"id": amo_stage(m.to), "pipeline_id": 777}}], "account_id": 1}));
    }
    a.events.sort_by_key(|e| e["created_at"].as_i64());
    for t in &d.tasks {
        a.tasks.push(json!({"id": t.id, "created_by": amo_user(t.owner), "responsible_user_id": amo_user(t.owner), "entity_id": t.deal, "entity_type": "leads",
            "created_at": ts(t.created), "updated_at": ts(t.done.unwrap_or(t.created)), "complete_till": ts(t.due), "is_completed": t.done.is_some(),
            "task_type_id": 1, "text": "Перезвонить", "duration": 0, "result": null, "account_id": 1}));
    }
    for m in &d.meetings {
        a.tasks.push(json!({"id": m.id, "created_by": amo_user(m.owner), "responsible_user_id": amo_user(m.owner), "entity_id": m.deal, "entity_type": "leads",
            "created_at": ts(m.at - Duration::hours(1)), "updated_at": ts(if m.held { m.at } else { m.at - Duration::hours(1) }), "complete_till": ts(m.at), "is_completed": m.held,
            "task_type_id": 2, "text": "Встреча", "duration": 3600, "result": if m.held { json!({"text": "Провели"}) } else { Value::Null }, "account_id": 1}));
    }
    a.tasks.sort_by_key(|t| t["id"].as_i64());
    for c in &d.comments {
        a.lead_notes.push(json!({"id": c.id, "entity_id": c.deal, "created_by": amo_user(c.author), "responsible_user_id": amo_user(c.author),
            "created_at": ts(c.at), "updated_at": ts(c.at), "note_type": "common", "params": {"text": c.text}, "account_id": 1}));
    }
    for c in &d.calls {
        let note = json!({"id": 100_000 + c.id, "entity_id": c.deal.unwrap_or(900), "created_by": amo_user(c.user), "responsible_user_id": amo_user(c.user),
            "created_at": ts(c.start), "updated_at": ts(c.start), "note_type": if c.inbound { "call_in" } else { "call_out" },
            "params": {"uniq": format!("call-{}", c.id), "duration": c.talk, "source": "telephony", "link": "", "phone": c.number,
                       "call_status": if c.talk > 0 { 4 } else { 6 }, "call_result": ""}, "account_id": 1});
        if c.deal.is_some() {
            a.lead_notes.push(note)
        } else {
            a.contact_notes.push(note)
        }
    }
    a.lead_notes.sort_by_key(|n| n["id"].as_i64());
    a
}

/// Writes the same data as exchange files: `crm/*.jsonl` and `calls.csv`.
pub fn files(d: &Dept, crm: Crm, dir: &Path) {
    let crm_dir = dir.join("crm");
    std::fs::create_dir_all(&crm_dir).unwrap();
    let write = |name: &str, rows: Vec<Value>| {
        let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
        std::fs::write(crm_dir.join(name), text).unwrap();
    };
    let stage = |s: &str| -> String {
        match (s, crm) {
            ("unknown", Crm::Bitrix24) => "EXECUTING".into(),
            ("unknown", Crm::AmoCrm) => "1003".into(),
            (s, _) => s.into(),
        }
    };
    write("employees.jsonl", ["Иван Иванов", "Пётр Сидоров", "Сотрудник Уволенный"].iter().enumerate()
        .map(|(i, n)| json!({"id": (i + 1).to_string(), "name": if crm == Crm::AmoCrm { n.split(' ').rev().collect::<Vec<_>>().join(" ") } else { n.to_string() }, "email": format!("u{}@example.com", i + 1)}))
        .collect());
    write("deals.jsonl", d.deals.iter().map(|deal| {
        let mut row = json!({"id": deal.id.to_string(), "title": format!("Сделка {}", deal.id), "owner": deal.owner,
            "stage": stage(deal.stage), "amount": deal.amount, "currency": "RUB",
            "channel": if deal.web { "Сайт" } else { "CALL" }, "temperature": TEMPERATURES[deal.temperature],
            "created_at": iso(deal.created)});
        if crm == Crm::Bitrix24 {
            row["stage_since"] = json!(iso(d.stage_since(deal)));
        }
        if let Some(closed) = d.closed(deal) {
            row["closed_at"] = json!(iso(closed));
        }
        row
    }).collect());
    write("stage_changes.jsonl", d.moves.iter().enumerate().map(|(n, m)| {
        let mut row = json!({"id": format!("S{n}"), "deal": m.deal.to_string(), "from": m.from, "to": m.to, "at": iso(m.at)});
        if crm == Crm::AmoCrm {
            row["by"] = json!(d.deal(m.deal).owner);
        }
        row
    }).collect());
    let mut tasks: Vec<Value> = d.tasks.iter().map(|t| json!({"id": t.id.to_string(), "deal": t.deal.to_string(), "owner": t.owner,
        "title": "Перезвонить", "created_at": iso(t.created), "due_at": iso(t.due), "completed_at": t.done.map(iso)})).collect();
    let mut activities: Vec<Value> = Vec::new();
    // The files hold what was done: a meeting held, an email sent.
    // A meeting is its owner's task; once held, also a meeting held.
    for m in &d.meetings {
        let (due, done, id) = match crm {
            Crm::Bitrix24 => (
                m.at + Duration::hours(1),
                m.at + Duration::hours(1),
                m.id.to_string(),
            ),
            Crm::AmoCrm => (m.at, m.at, format!("task-{}", m.id)),
        };
        tasks.push(json!({"id": m.id.to_string(), "deal": m.deal.to_string(), "owner": m.owner, "title": "Встреча",
            "created_at": iso(m.at - Duration::hours(1)), "due_at": iso(due), "completed_at": m.held.then(|| iso(done))}));
        if m.held {
            activities.push(json!({"id": id, "deal": m.deal.to_string(), "owner": m.owner, "kind": "meeting", "at": iso(m.at)}));
        }
    }
    if crm == Crm::Bitrix24 {
        for e in d.emails.iter().filter(|e| e.outgoing) {
            activities.push(json!({"id": e.id.to_string(), "deal": e.deal.to_string(), "owner": e.owner, "kind": "email", "at": iso(e.at)}));
        }
    }
    write("tasks.jsonl", tasks);
    write("activities.jsonl", activities);
    write(
        "comments.jsonl",
        d.comments
            .iter()
            .map(|c| {
                json!({"id": c.id.to_string(), "deal": c.deal.to_string(), "author": c.author,
        "at": iso(c.at), "text": c.text})
            })
            .collect(),
    );
    let mut csv =
        String::from("ID;Дата;Тип;Сотрудник;Клиент;Разговор;Длительность;Статус;Сделка\n");
    for c in &d.calls {
        let local = c.start.with_timezone(&Moscow).format("%Y-%m-%d %H:%M:%S");
        let _ = writeln!(
            csv,
            "call-{};{local};{};{};{};{};{};{};{}",
            c.id,
            if c.inbound { "in" } else { "out" },
            c.user,
            c.number,
            c.talk,
            c.talk,
            if c.talk > 0 { "ok" } else { "missed" },
            c.deal.map(|d| d.to_string()).unwrap_or_default()
        );
    }
    std::fs::write(dir.join("calls.csv"), csv).unwrap();
}
