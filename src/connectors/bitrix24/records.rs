//! Bitrix24's rows as our records: `voximplant.statistic.get` calls,
//! `crm.deal.list` deals, `crm.stagehistory.list` moves, `crm.activity.list`
//! activities and tasks, `crm.timeline.comment.list` comments, `user.get`
//! users. A row that makes no sense comes back as the reason why.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::connectors::mapping::{CrmMapping, int, text, values};
use crate::domain::{
    Activity, ActivityKind, Call, CallFields, CallKind, Comment, CrmUser, Deal, Direction,
    Disposition, ExternalId, StageChange, Task,
};
use crate::sources::fields::amount_minor;

fn field<'v>(row: &'v Value, key: &str) -> Option<&'v Value> {
    row.get(key)
}

fn required(row: &Value, key: &str) -> Result<String, String> {
    text(field(row, key)).ok_or_else(|| format!("{key} is missing"))
}

fn time(m: &CrmMapping, row: &Value, key: &str) -> Result<DateTime<Utc>, String> {
    let raw = required(row, key)?;
    crate::sources::fields::instant(&raw, m.timezone())
        .ok_or_else(|| format!("{key} {raw:?} is not a time (expected ISO 8601)"))
}

fn opt_time(m: &CrmMapping, row: &Value, key: &str) -> Result<Option<DateTime<Utc>>, String> {
    match text(field(row, key)) {
        None => Ok(None),
        Some(_) => time(m, row, key).map(Some),
    }
}

fn id(row: &Value, key: &str) -> Result<ExternalId, String> {
    ExternalId::parse(&required(row, key)?, "id").map_err(|e| e.to_string())
}

/// A call from `voximplant.statistic.get`.
pub fn call(
    m: &mut CrmMapping,
    row: &Value,
    deal_kind: &(dyn Fn(&str) -> Option<CallKind> + Sync),
) -> Result<Call, String> {
    let call_type = int(field(row, "CALL_TYPE")).unwrap_or(0);
    let direction = match call_type {
        1 | 4 => Direction::Outbound,
        2 | 3 => Direction::Inbound,
        other => {
            return Err(format!(
                "CALL_TYPE {other} is not a call type (expected 1 outgoing, 2 incoming, 3 incoming redirected, 4 callback)"
            ));
        }
    };
    let started_at = time(m, row, "CALL_START_DATE")?;
    let duration = int(field(row, "CALL_DURATION")).unwrap_or(0);
    if duration < 0 {
        return Err(format!("CALL_DURATION {duration} is negative"));
    }
    let code = text(field(row, "CALL_FAILED_CODE")).unwrap_or_default();
    let disposition = match code.as_str() {
        "200" => Disposition::Answered,
        "486" => Disposition::Busy,
        "304" | "480" | "603" | "603-S" | "487" | "" => Disposition::NoAnswer,
        _ => Disposition::Failed,
    };
    let talk = if disposition == Disposition::Answered {
        duration
    } else {
        0
    };
    let agent = text(field(row, "PORTAL_USER_ID"));
    let deal_ext = match text(field(row, "CRM_ENTITY_TYPE")).as_deref() {
        Some(t) if t.eq_ignore_ascii_case("DEAL") => text(field(row, "CRM_ENTITY_ID")),
        _ => None,
    };
    let external_id = text(field(row, "CALL_ID")).or_else(|| text(field(row, "ID")));
    Call::new(CallFields {
        source: m.source().to_owned(),
        external_id: external_id.clone().unwrap_or_default(),
        employee_id: m.employee(agent.as_deref()),
        agent,
        direction,
        number: text(field(row, "PHONE_NUMBER")).unwrap_or_default(),
        started_at,
        answered_at: (talk > 0).then_some(started_at),
        ended_at: started_at + chrono::Duration::seconds(duration),
        talk_seconds: talk,
        disposition,
        kind: deal_ext.as_deref().and_then(deal_kind),
        deal_ext,
        leg_key: external_id.unwrap_or_default(),
    })
    .map_err(|e| e.to_string())
}

/// A deal from `crm.deal.list`, and the client kind its field says.
pub fn deal(m: &mut CrmMapping, row: &Value) -> Result<(Deal, Option<CallKind>), String> {
    let owner = text(field(row, "ASSIGNED_BY_ID"));
    let stage_id = required(row, "STAGE_ID")?;
    let amount_raw = text(field(row, "OPPORTUNITY")).unwrap_or_else(|| "0".to_owned());
    let field_values = |name: &Option<String>| {
        name.as_deref()
            .map(|f| values(field(row, f)))
            .unwrap_or_default()
    };
    let temperature = m.temperature(&field_values(&m.api.temperature_field));
    let client_kind = m.client_kind(&field_values(&m.api.client_kind_field));
    let channel_raw = field_values(&m.api.channel_field).into_iter().next();
    let closed = text(field(row, "CLOSED")).is_some_and(|c| c.eq_ignore_ascii_case("Y"));
    let created_at = time(m, row, "DATE_CREATE")?;
    let moved = opt_time(m, row, "MOVED_TIME")?;
    let deal = Deal {
        source: m.source().to_owned(),
        external_id: id(row, "ID")?,
        title: text(field(row, "TITLE")).unwrap_or_default(),
        employee_id: m.employee(owner.as_deref()),
        owner_ext: owner,
        stage: m.stage(&stage_id)?,
        amount_minor: amount_minor(&amount_raw)
            .ok_or_else(|| format!("OPPORTUNITY {amount_raw:?} is not a non-negative amount"))?,
        currency: text(field(row, "CURRENCY_ID")).unwrap_or_else(|| "RUB".to_owned()),
        channel: m.channel(channel_raw.as_deref()),
        temperature,
        client_ext: text(field(row, "CONTACT_ID"))
            .filter(|c| c != "0")
            .or_else(|| text(field(row, "COMPANY_ID")).filter(|c| c != "0")),
        phone: None,
        created_at,
        stage_since: moved,
        closed_at: if closed {
            closed_at(m, row, created_at, moved)?
        } else {
            None
        },
    };
    Ok((deal.validate().map_err(|e| e.to_string())?, client_kind))
}

/// When a closed deal was closed: the move into its final stage
/// (`MOVED_TIME`, the time of the deal's last stage move), else the day of
/// `CLOSEDATE`. `CLOSEDATE` is a date (`data-types.md`: `date`, sent as
/// `2024-09-09T02:00:00+02:00`): only its day counts, taken at the start of
/// that day in the source's timezone and never before the deal's creation.
fn closed_at(
    m: &CrmMapping,
    row: &Value,
    created_at: DateTime<Utc>,
    moved: Option<DateTime<Utc>>,
) -> Result<Option<DateTime<Utc>>, String> {
    if let Some(moved) = moved {
        return Ok(Some(moved.max(created_at)));
    }
    let Some(raw) = text(field(row, "CLOSEDATE")) else {
        return Ok(None);
    };
    let day = raw
        .get(..10)
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| format!("CLOSEDATE {raw:?} is not a date (expected YYYY-MM-DD...)"))?;
    let start = crate::sources::fields::instant(&day.format("%Y-%m-%d").to_string(), m.timezone())
        .ok_or_else(|| format!("CLOSEDATE {raw:?} is not a date"))?;
    Ok(Some(start.max(created_at)))
}

/// A move from `crm.stagehistory.list`; `from` is the deal's stage before
/// it, when this pull saw it.
pub fn stage_change(
    m: &mut CrmMapping,
    row: &Value,
    from: Option<String>,
) -> Result<StageChange, String> {
    Ok(StageChange {
        source: m.source().to_owned(),
        external_id: id(row, "ID")?,
        deal_ext: id(row, "OWNER_ID")?,
        from_stage: from,
        to_stage: m.stage(&required(row, "STAGE_ID")?)?,
        changed_at: time(m, row, "CREATED_TIME")?,
        // The history does not say who moved the deal.
        employee_id: None,
        author_ext: None,
    })
}

/// What a `crm.activity.list` row is to us.
pub enum ActivityRow {
    Task(Task),
    Activity(Activity),
    /// A meeting: a task of its owner while planned (due at its end), and
    /// once completed (`true`) also a meeting held, at its start.
    Meeting(Task, Activity, bool),
    /// A call the telephony logged itself (the call is counted from the
    /// call statistics), a client's incoming email, or another kind we do
    /// not count.
    Skip,
}

/// An activity or a task from `crm.activity.list`
/// (`api-reference/crm/timeline/activities/activity-base/crm-activity-list.md`:
/// `TYPE_ID` 1 meeting, 2 call, 3 task, 4 email; `DIRECTION` 1 incoming,
/// 2 outgoing; `COMPLETED` Y or N).
pub fn activity(m: &mut CrmMapping, row: &Value) -> Result<ActivityRow, String> {
    let type_id = int(field(row, "TYPE_ID")).unwrap_or(0);
    let provider = text(field(row, "PROVIDER_ID"))
        .unwrap_or_default()
        .to_ascii_uppercase();
    let owner = text(field(row, "RESPONSIBLE_ID"));
    let deal_ext = match int(field(row, "OWNER_TYPE_ID")) {
        Some(2) => text(field(row, "OWNER_ID")),
        _ => None,
    };
    let completed = text(field(row, "COMPLETED")).is_some_and(|c| c.eq_ignore_ascii_case("Y"));
    let incoming = int(field(row, "DIRECTION")) == Some(1);
    let is_task = type_id == 3 || matches!(provider.as_str(), "CRM_TODO" | "TASKS_TASK" | "TASKS");
    let is_meeting = type_id == 1 || provider == "CRM_MEETING";
    let task = |m: &mut CrmMapping| -> Result<Task, String> {
        let created_at = time(m, row, "CREATED")?;
        let due_at = opt_time(m, row, "DEADLINE")?
            .or(opt_time(m, row, "END_TIME")?)
            .unwrap_or(created_at);
        Ok(Task {
            source: m.source().to_owned(),
            external_id: id(row, "ID")?,
            deal_ext: deal_ext.clone(),
            employee_id: m.employee(owner.as_deref()),
            owner_ext: owner.clone(),
            title: text(field(row, "SUBJECT")).unwrap_or_default(),
            created_at,
            due_at,
            // The list gives no completion time: the last update is the best we have.
            completed_at: if completed {
                opt_time(m, row, "LAST_UPDATED")?.or(Some(created_at))
            } else {
                None
            },
        })
    };
    if is_task {
        return Ok(ActivityRow::Task(task(m)?));
    }
    let kind = match (type_id, provider.as_str()) {
        (2, "VOXIMPLANT_CALL") => return Ok(ActivityRow::Skip),
        _ if is_meeting => ActivityKind::Meeting,
        (2, _) | (_, "CRM_CALL") => ActivityKind::Call,
        // An email is the manager's when it goes out; a client's coming in
        // is not.
        (4, _) | (_, "CRM_EMAIL") if incoming => return Ok(ActivityRow::Skip),
        (4, _) | (_, "CRM_EMAIL") => ActivityKind::Email,
        (_, "IMOPENLINES_SESSION" | "CRM_SMS" | "REST_APP") => ActivityKind::Message,
        (_, p) if p.contains("PROPOSAL") || p.contains("QUOTE") => ActivityKind::Proposal,
        _ => ActivityKind::Other,
    };
    let at = opt_time(m, row, "START_TIME")?
        .map(Ok)
        .unwrap_or_else(|| time(m, row, "CREATED"))?;
    let activity = Activity {
        source: m.source().to_owned(),
        external_id: id(row, "ID")?,
        deal_ext: deal_ext.clone(),
        employee_id: m.employee(owner.as_deref()),
        owner_ext: owner.clone(),
        kind,
        at,
    };
    if is_meeting {
        // A meeting is held once it is completed; a planned one is not
        // counted (amoCRM and the files count the same way).
        return Ok(ActivityRow::Meeting(task(m)?, activity, completed));
    }
    Ok(ActivityRow::Activity(activity))
}

/// A comment from `crm.timeline.comment.list` on a deal.
pub fn comment(m: &mut CrmMapping, row: &Value, deal: &str) -> Result<Comment, String> {
    let author = text(field(row, "AUTHOR_ID"));
    Ok(Comment {
        source: m.source().to_owned(),
        external_id: id(row, "ID")?,
        deal_ext: Some(deal.to_owned()),
        employee_id: m.employee(author.as_deref()),
        author_ext: author,
        at: time(m, row, "CREATED")?,
        text: field(row, "COMMENT")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    })
}

/// A user from `user.get`.
pub fn user(m: &CrmMapping, row: &Value) -> Result<CrmUser, String> {
    let external_id = id(row, "ID")?;
    let name = [text(field(row, "NAME")), text(field(row, "LAST_NAME"))]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    Ok(CrmUser {
        source: m.source().to_owned(),
        employee_id: m.base.employees.get(external_id.as_str()).cloned(),
        name: if name.is_empty() {
            external_id.to_string()
        } else {
            name
        },
        email: text(field(row, "EMAIL")),
        external_id,
    })
}
