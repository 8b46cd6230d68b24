//! `salespulse alerts`: the intraday alerts each team's `[[alerts]]` owe at
//! "now", worded as their readers get them. The same evaluation runs after
//! each pull and scheduler tick under `serve`.

use chrono::{DateTime, Duration, Utc};

use crate::calendar::{day_range, local_day};
use crate::config::{AlertRule, Config, TeamConfig};
use crate::domain::Call;
use crate::report::alerts::{self, Alert, Inputs};
use crate::report::figures::{self, Scope};
use crate::storage::Store;
use crate::words::Catalog;

/// A team's alerts at "now", each with its text as the team's heads read it.
pub struct TeamAlerts {
    pub team: String,
    pub alerts: Vec<(Alert, String)>,
}

/// The start of the last working day before the one holding `now`: a call
/// missed after it closed is due today.
fn since_last_working_day(team: &TeamConfig, now: DateTime<Utc>) -> DateTime<Utc> {
    let today = local_day(team.timezone, now);
    let mut day = today;
    for _ in 0..31 {
        let Some(before) = day.pred_opt() else { break };
        day = before;
        if team.is_working_day(day) {
            break;
        }
    }
    day_range(team.timezone, day).0
}

/// The calls an evaluation of `team` reads: its people's, and those no
/// employee took (a ring group nobody answered), since the last working
/// day began.
pub async fn team_calls(
    store: &Store,
    config: &Config,
    team: &TeamConfig,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Call>> {
    let calls = store
        .calls_between(
            since_last_working_day(team, now),
            now + Duration::seconds(1),
            &[],
        )
        .await?;
    let members: std::collections::HashSet<&str> = config
        .employees
        .iter()
        .filter(|e| e.team == team.id)
        .map(|e| e.id.as_str())
        .collect();
    Ok(calls
        .into_iter()
        .filter(|c| c.employee_id.as_deref().is_none_or(|e| members.contains(e)))
        .collect())
}

/// What `team`'s rules read at `now`: its calls; the owners of the deals
/// of missed numbers no extension rang; today's records when a rule
/// counts calls without a CRM trace; today's plan so far when a rule
/// judges its pace (from the rule's hour on a working day).
pub async fn inputs(
    store: &Store,
    config: &Config,
    team: &TeamConfig,
    now: DateTime<Utc>,
) -> anyhow::Result<Inputs> {
    let rules: Vec<&AlertRule> = config
        .alerts
        .iter()
        .filter(|a| a.team == team.id)
        .map(|a| &a.rule)
        .collect();
    let calls = team_calls(store, config, team, now).await?;
    let mut inputs = Inputs::default();
    if rules
        .iter()
        .any(|r| matches!(r, AlertRule::MissedCallback { .. }))
    {
        let nobody_rang: std::collections::BTreeSet<&str> = calls
            .iter()
            .filter(|c| c.employee_id.is_none() && !c.number.is_empty())
            .map(|c| c.number.as_str())
            .collect();
        let numbers: Vec<&str> = nobody_rang.into_iter().collect();
        inputs.deal_owners = store.deal_owners(&numbers).await?;
    }
    let local = now.with_timezone(&team.timezone).naive_local();
    let today = local.date();
    let managers: Vec<String> = alerts::managers(config, team)
        .into_iter()
        .map(str::to_owned)
        .collect();
    if rules
        .iter()
        .any(|r| matches!(r, AlertRule::TraceBacklog { .. }))
    {
        let (from, _) = day_range(team.timezone, today);
        let query = figures::scope_query(config, managers, from, now + Duration::seconds(1), now);
        inputs.today = Some(store.load_scope(&query).await?);
    }
    let pace_due = rules.iter().any(|r| match r {
        AlertRule::PlanPace { at, .. } => {
            team.is_working_day(today) && local.time() >= *at && local.time() < team.work_end
        }
        _ => false,
    });
    if pace_due {
        let scope = Scope::Team(team.id.clone());
        let report = figures::summary(store, config, &scope, today, today, now).await?;
        inputs.plans = report
            .employees
            .into_iter()
            .map(|e| (e.employee_id, e.plan))
            .collect();
    }
    inputs.calls = calls;
    Ok(inputs)
}

/// The alerts of each team (or `only` that one) at `now`: missed calls only
/// when their call back fell due today.
pub async fn check(
    store: &Store,
    config: &Config,
    catalog: &Catalog,
    only: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<TeamAlerts>> {
    let mut out = Vec::new();
    for team in config
        .teams
        .iter()
        .filter(|t| only.is_none_or(|o| o == t.id))
        .filter(|t| config.alerts.iter().any(|a| a.team == t.id))
    {
        let inputs = inputs(store, config, team, now).await?;
        let today = local_day(team.timezone, now);
        let words = catalog.words(team.locale);
        let found = alerts::evaluate(config, team, &inputs, now)
            .into_iter()
            .filter(|a| match &a.what {
                alerts::AlertWhat::MissedCallback { due_at, .. } => {
                    local_day(team.timezone, *due_at) == today
                }
                _ => true,
            })
            .map(|a| {
                let text = alerts::worded(config, words, team, &a, &str::to_owned);
                (a, text)
            })
            .collect();
        out.push(TeamAlerts {
            team: team.id.clone(),
            alerts: found,
        });
    }
    Ok(out)
}
