//! amoCRM's rows as our records: leads as deals, `lead_status_changed`
//! events as stage changes, `call_in`/`call_out` notes as calls, `common`
//! notes as comments, tasks (a completed meeting task is also a meeting
//! held), users. Times are Unix seconds.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use crate::connectors::mapping::{CrmMapping, int, text, values};
use crate::domain::{
    Activity, ActivityKind, Call, CallFields, CallKind, Comment, CrmUser, Deal, Direction,
    Disposition, ExternalId, StageChange, Task,
};

/// amoCRM's status ids for won and lost, the same in every pipeline.
pub const WON: &str = "142";
pub const LOST: &str = "143";

fn at(row: &Value, key: &str) -> Result<DateTime<Utc>, String> {
    let raw = int(row.get(key)).ok_or_else(|| format!("{key} is missing"))?;
    Utc.timestamp_opt(raw, 0)
        .single()
        .ok_or_else(|| format!("{key} {raw} is not a Unix time"))
}

fn opt_at(row: &Value, key: &str) -> Result<Option<DateTime<Utc>>, String> {
    match int(row.get(key)) {
        None | Some(0) => Ok(None),
        Some(_) => at(row, key).map(Some),
    }
}

fn id(row: &Value, key: &str) -> Result<ExternalId, String> {
    let raw = text(row.get(key)).ok_or_else(|| format!("{key} is missing"))?;
    ExternalId::parse(&raw, "id").map_err(|e| e.to_string())
}

/// The values of a custom field named by id, name or code.
fn custom(row: &Value, field: Option<&str>) -> Vec<String> {
    let Some(field) = field else {
        return Vec::new();
    };
    let wanted = field.trim().to_lowercase();
    row.get("custom_fields_values")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|f| {
            ["field_id", "field_name", "field_code"]
                .iter()
                .any(|k| text(f.get(*k)).is_some_and(|v| v.to_lowercase() == wanted))
        })
        .map(|f| values(f.get("values")))
        .unwrap_or_default()
}

/// A lead, and the client kind its field says.
pub fn deal(m: &mut CrmMapping, row: &Value) -> Result<(Deal, Option<CallKind>), String> {
    let owner = text(row.get("responsible_user_id"));
    let status = text(row.get("status_id")).ok_or("status_id is missing")?;
    let price = int(row.get("price")).unwrap_or(0);
    let channel = custom(row, m.api.channel_field.as_deref())
        .into_iter()
        .next();
    let client = row
        .get("_embedded")
        .and_then(|e| e.get("contacts"))
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .and_then(|c| text(c.get("id")));
    let deal = Deal {
        source: m.source().to_owned(),
        external_id: id(row, "id")?,
        title: text(row.get("name")).unwrap_or_default(),
        employee_id: m.employee(owner.as_deref()),
        owner_ext: owner,
        stage: m.stage(&status)?,
        amount_minor: price
            .checked_mul(100)
            .filter(|a| *a >= 0)
            .ok_or_else(|| format!("price {price} is not a non-negative amount"))?,
        currency: "RUB".to_owned(),
        channel: m.channel(channel.as_deref()),
        temperature: m.temperature(&custom(row, m.api.temperature_field.as_deref())),
        client_ext: client,
        phone: None,
        created_at: at(row, "created_at")?,
        stage_since: None,
        closed_at: opt_at(row, "closed_at")?,
    };
    let kind = m.client_kind(&custom(row, m.api.client_kind_field.as_deref()));
    Ok((deal.validate().map_err(|e| e.to_string())?, kind))
}

fn status_of(list: Option<&Value>) -> Option<String> {
    list?
        .as_array()?
        .iter()
        .find_map(|v| text(v.get("lead_status")?.get("id")))
}

/// A `lead_status_changed` event.
pub fn stage_change(m: &mut CrmMapping, row: &Value) -> Result<StageChange, String> {
    let to = status_of(row.get("value_after")).ok_or("value_after has no lead_status")?;
    let from = status_of(row.get("value_before"));
    let author = text(row.get("created_by")).filter(|a| a != "0");
    Ok(StageChange {
        source: m.source().to_owned(),
        external_id: id(row, "id")?,
        deal_ext: id(row, "entity_id")?,
        from_stage: from.map(|f| m.stage(&f)).transpose()?,
        to_stage: m.stage(&to)?,
        changed_at: at(row, "created_at")?,
        employee_id: m.employee(author.as_deref()),
        author_ext: author,
    })
}

/// What a note is to us.
pub enum NoteRow {
    Call(Call),
    Comment(Comment),
}

/// A note of a lead (`deal` is its id) or of a contact.
pub fn note(
    m: &mut CrmMapping,
    row: &Value,
    on_lead: bool,
    deal_kind: &(dyn Fn(&str) -> Option<CallKind> + Sync),
) -> Result<NoteRow, String> {
    let deal_ext = on_lead.then(|| text(row.get("entity_id"))).flatten();
    let who = text(row.get("responsible_user_id"))
        .or_else(|| text(row.get("created_by")))
        .filter(|u| u != "0");
    let params = row.get("params").cloned().unwrap_or(Value::Null);
    let note_type = text(row.get("note_type")).unwrap_or_default();
    let direction = match note_type.as_str() {
        "call_in" => Direction::Inbound,
        "call_out" => Direction::Outbound,
        "common" => {
            return Ok(NoteRow::Comment(Comment {
                source: m.source().to_owned(),
                external_id: id(row, "id")?,
                deal_ext,
                employee_id: m.employee(who.as_deref()),
                author_ext: who,
                at: at(row, "created_at")?,
                text: text(params.get("text")).unwrap_or_default(),
            }));
        }
        other => return Err(format!("note_type {other:?} is not a call or a comment")),
    };
    let duration = int(params.get("duration")).unwrap_or(0);
    if duration < 0 {
        return Err(format!("params.duration {duration} is negative"));
    }
    // call_status: 1 left a message, 2 call back later, 3 not available,
    // 4 talked, 5 wrong number, 6 no answer, 7 busy.
    let disposition = match int(params.get("call_status")) {
        Some(4) => Disposition::Answered,
        Some(7) => Disposition::Busy,
        Some(5) => Disposition::Failed,
        Some(_) => Disposition::NoAnswer,
        None if duration > 0 => Disposition::Answered,
        None => Disposition::NoAnswer,
    };
    let talk = if disposition == Disposition::Answered {
        duration
    } else {
        0
    };
    let started_at = at(row, "created_at")?;
    let note_id = id(row, "id")?;
    // The telephony's call id, so one call noted on a contact and on its
    // lead is one call.
    let external_id = text(params.get("uniq")).unwrap_or_else(|| note_id.to_string());
    Call::new(CallFields {
        source: m.source().to_owned(),
        external_id: external_id.clone(),
        employee_id: m.employee(who.as_deref()),
        agent: who,
        direction,
        number: text(params.get("phone")).unwrap_or_default(),
        started_at,
        answered_at: (talk > 0).then_some(started_at),
        ended_at: started_at + chrono::Duration::seconds(duration),
        talk_seconds: talk,
        disposition,
        kind: deal_ext.as_deref().and_then(deal_kind),
        deal_ext,
        leg_key: external_id,
    })
    .map(NoteRow::Call)
    .map_err(|e| e.to_string())
}

/// A task; a completed meeting task is also a meeting held.
pub fn task(m: &mut CrmMapping, row: &Value) -> Result<(Task, Option<Activity>), String> {
    let owner = text(row.get("responsible_user_id"));
    let deal_ext = match text(row.get("entity_type")).as_deref() {
        Some("leads") => text(row.get("entity_id")),
        _ => None,
    };
    let created_at = at(row, "created_at")?;
    let completed = row
        .get("is_completed")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    // The API gives no completion time: the last update is the best we have.
    let completed_at = if completed {
        Some(opt_at(row, "updated_at")?.unwrap_or(created_at))
    } else {
        None
    };
    let task = Task {
        source: m.source().to_owned(),
        external_id: id(row, "id")?,
        deal_ext: deal_ext.clone(),
        employee_id: m.employee(owner.as_deref()),
        owner_ext: owner.clone(),
        title: text(row.get("text")).unwrap_or_default(),
        created_at,
        due_at: opt_at(row, "complete_till")?.unwrap_or(created_at),
        completed_at,
    };
    let meeting = match (int(row.get("task_type_id")), completed_at) {
        (Some(2), Some(done)) => Some(Activity {
            source: m.source().to_owned(),
            external_id: ExternalId::parse(&format!("task-{}", task.external_id), "id")
                .map_err(|e| e.to_string())?,
            deal_ext,
            employee_id: task.employee_id.clone(),
            owner_ext: owner,
            kind: ActivityKind::Meeting,
            at: done,
        }),
        _ => None,
    };
    Ok((task, meeting))
}

/// A user from `/api/v4/users`.
pub fn user(m: &CrmMapping, row: &Value) -> Result<CrmUser, String> {
    let external_id = id(row, "id")?;
    Ok(CrmUser {
        source: m.source().to_owned(),
        employee_id: m.base.employees.get(external_id.as_str()).cloned(),
        name: text(row.get("name")).unwrap_or_else(|| external_id.to_string()),
        email: text(row.get("email")),
        external_id,
    })
}
