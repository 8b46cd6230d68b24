//! The owner's workbook: managers by day, stuck deals, overdue tasks, and
//! the bonus by indicator with its working.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::report::figures::FiguresReport;
use crate::report::kpi::KpiReport;
use crate::words::Words;

#[derive(Debug, thiserror::Error)]
#[error("writing the spreadsheet failed: {0}")]
pub struct SpreadsheetError(#[from] XlsxError);

/// The bold of a sheet's header row.
fn bold() -> Format {
    Format::new().set_bold()
}

/// Writes a header row in bold: each column's title from the catalog
/// (`column-<id>`).
fn header(sheet: &mut Worksheet, words: Words, columns: &[&str]) -> Result<(), XlsxError> {
    let bold = bold();
    for (c, id) in columns.iter().enumerate() {
        let title = words.text(&format!("column-{id}"), &[]);
        sheet.write_string_with_format(0, c as u16, title, &bold)?;
    }
    Ok(())
}

/// A new sheet named from the catalog (`sheet-<id>`).
fn sheet<'b>(
    book: &'b mut Workbook,
    words: Words,
    id: &str,
) -> Result<&'b mut Worksheet, XlsxError> {
    let sheet = book.add_worksheet();
    sheet.set_name(words.text(&format!("sheet-{id}"), &[]))?;
    Ok(sheet)
}

/// One sheet row per manager per day, from the team's figures of each day;
/// stuck deals and overdue tasks as of the week's end.
pub fn weekly_workbook(
    days: &[FiguresReport],
    week: &FiguresReport,
    kpi: Option<&KpiReport>,
    words: Words,
) -> Result<Vec<u8>, SpreadsheetError> {
    let mut book = Workbook::new();
    managers_by_day(&mut book, days, words)?;
    recordings(&mut book, days, words)?;
    stuck_deals(&mut book, week, words)?;
    overdue_tasks(&mut book, week, words)?;
    if let Some(kpi) = kpi {
        kpi_sheet(&mut book, kpi, words)?;
    }
    Ok(book.save_to_buffer()?)
}

/// Each manager's figures of each day.
fn managers_by_day(
    book: &mut Workbook,
    days: &[FiguresReport],
    words: Words,
) -> Result<(), XlsxError> {
    let sheet = sheet(book, words, "managers-by-day")?;
    let columns = [
        "date",
        "manager",
        "calls-out",
        "calls-in",
        "missed",
        "connected",
        "successful",
        "talk-min",
        "cold",
        "warm",
        "proposals",
        "meetings",
        "plan-pct",
        "idle-min",
        "longest-idle-min",
        "without-trace",
        "overdue-tasks",
    ];
    header(sheet, words, &columns)?;
    let mut row = 1u32;
    for day in days {
        for e in &day.employees {
            let t = &e.telephony;
            let pulse = e.pulse.iter().find(|p| p.day == day.period.first_day);
            let activity = |key: &str| {
                e.activities
                    .iter()
                    .find(|f| f.key == key)
                    .map(|f| f.value)
                    .unwrap_or(0.0)
            };
            sheet.write_string(row, 0, day.period.first_day.to_string())?;
            sheet.write_string(row, 1, &e.name)?;
            let numbers = [
                t.calls_out.value,
                t.calls_in.value,
                t.missed.value,
                t.connected.value,
                t.successful_contacts.value,
                (t.talk_time.value / 60.0).round(),
                t.cold_calls.value,
                t.warm_calls.value,
                activity("proposals"),
                activity("meetings"),
                e.plan
                    .completion
                    .map(|c| (c * 100.0).round())
                    .unwrap_or(0.0),
                pulse
                    .map(|p| (p.idle_total_secs / 60) as f64)
                    .unwrap_or(0.0),
                pulse
                    .and_then(|p| p.longest_idle)
                    .map(|g| (g.seconds() / 60) as f64)
                    .unwrap_or(0.0),
                e.hygiene.calls_without_trace.value,
                e.hygiene.overdue_tasks.value,
            ];
            for (c, v) in numbers.iter().enumerate() {
                sheet.write_number(row, (c + 2) as u16, *v)?;
            }
            row += 1;
        }
    }
    sheet.autofit();

    Ok(())
}

/// The calls with a recording, to listen to: the same people and days.
fn recordings(book: &mut Workbook, days: &[FiguresReport], words: Words) -> Result<(), XlsxError> {
    let recorded: Vec<_> = days
        .iter()
        .flat_map(|day| {
            day.employees.iter().flat_map(move |e| {
                e.pulse
                    .iter()
                    .filter(move |p| p.day == day.period.first_day)
                    .flat_map(move |p| p.recordings.iter().map(move |r| (p.day, &e.name, r)))
            })
        })
        .collect();
    if !recorded.is_empty() {
        let sheet = sheet(book, words, "recordings")?;
        header(
            sheet,
            words,
            &[
                "date",
                "manager",
                "time",
                "talk-s",
                "successful",
                "recording",
            ],
        )?;
        for (i, (day, name, r)) in recorded.iter().enumerate() {
            let row = i as u32 + 1;
            sheet.write_string(row, 0, day.to_string())?;
            sheet.write_string(row, 1, name.as_str())?;
            sheet.write_string(row, 2, &r.local_time)?;
            sheet.write_number(row, 3, r.talk_seconds as f64)?;
            sheet.write_boolean(row, 4, r.successful)?;
            sheet.write_url(row, 5, r.url.as_str())?;
        }
        sheet.autofit();
    }

    Ok(())
}

/// The deals stuck at the week's end, with their owners.
fn stuck_deals(book: &mut Workbook, week: &FiguresReport, words: Words) -> Result<(), XlsxError> {
    let names: std::collections::HashMap<&str, &str> = week
        .employees
        .iter()
        .map(|e| (e.employee_id.as_str(), e.name.as_str()))
        .collect();
    let stage_names: std::collections::HashMap<&str, &str> = week
        .team_funnel
        .stages
        .iter()
        .map(|s| (s.stage.as_str(), s.name.as_str()))
        .collect();
    let stuck = sheet(book, words, "stuck-deals")?;
    header(
        stuck,
        words,
        &[
            "deal",
            "title",
            "manager",
            "stage",
            "days-in-stage",
            "threshold-days",
            "amount",
        ],
    )?;
    for (i, d) in week.team_funnel.stuck.iter().enumerate() {
        let r = i as u32 + 1;
        stuck.write_string(r, 0, &d.deal)?;
        stuck.write_string(r, 1, &d.title)?;
        let owner = d
            .employee_id
            .as_deref()
            .map(|id| names.get(id).copied().unwrap_or(id))
            .unwrap_or("");
        stuck.write_string(r, 2, owner)?;
        let stage = stage_names.get(d.stage.as_str()).copied();
        stuck.write_string(r, 3, stage.unwrap_or(&d.stage))?;
        stuck.write_number(r, 4, d.days_in_stage as f64)?;
        stuck.write_number(r, 5, d.threshold_days as f64)?;
        stuck.write_number(r, 6, d.amount_minor as f64 / 100.0)?;
    }
    stuck.autofit();

    Ok(())
}

/// Each manager's overdue tasks at the week's end.
fn overdue_tasks(book: &mut Workbook, week: &FiguresReport, words: Words) -> Result<(), XlsxError> {
    let overdue = sheet(book, words, "overdue-tasks")?;
    header(
        overdue,
        words,
        &["manager", "overdue-tasks", "oldest-days-late", "why"],
    )?;
    for (i, e) in week.employees.iter().enumerate() {
        let r = i as u32 + 1;
        overdue.write_string(r, 0, &e.name)?;
        overdue.write_number(r, 1, e.hygiene.overdue_tasks.value)?;
        overdue.write_number(r, 2, e.hygiene.oldest_overdue_days.value)?;
        overdue.write_string(r, 3, &words.rule(&e.hygiene.overdue_tasks.rule))?;
    }
    overdue.autofit();

    Ok(())
}

/// The bonus by indicator, with how each was counted.
fn kpi_sheet(book: &mut Workbook, kpi: &KpiReport, words: Words) -> Result<(), XlsxError> {
    let bold = bold();
    let sheet = sheet(book, words, "kpi")?;
    let columns = [
        "manager",
        "position",
        "scheme-from",
        "indicator",
        "figure",
        "value",
        "amount",
        "how-counted",
        "the-figure",
        "records",
    ];
    header(sheet, words, &columns)?;
    let mut r = 1u32;
    for row in &kpi.rows {
        let Some(result) = &row.result else { continue };
        for ind in &result.indicators {
            sheet.write_string(r, 0, &row.name)?;
            sheet.write_string(r, 1, row.position.as_deref().unwrap_or_default())?;
            sheet.write_string(r, 2, row.scheme_from.as_deref().unwrap_or_default())?;
            sheet.write_string(r, 3, &ind.name)?;
            sheet.write_string(r, 4, words.figure(&ind.figure))?;
            sheet.write_number(r, 5, ind.actual)?;
            sheet.write_number(r, 6, ind.amount)?;
            sheet.write_string(r, 7, &words.rule(&ind.rule))?;
            sheet.write_string(r, 8, &words.rule(&ind.figure_rule))?;
            sheet.write_number(r, 9, ind.records.len() as f64)?;
            r += 1;
        }
        sheet.write_string_with_format(r, 0, &row.name, &bold)?;
        let bonus = words.text(
            "column-bonus",
            &[("currency", crate::words::Arg::from(kpi.currency.as_str()))],
        );
        sheet.write_string_with_format(r, 3, bonus, &bold)?;
        sheet.write_number_with_format(r, 6, result.bonus, &bold)?;
        if let Some(f) = &row.forecast {
            let forecast = words.text(
                "column-forecast",
                &[(
                    "bonus",
                    crate::words::Arg::Text(words.money(f.bonus, &kpi.currency)),
                )],
            );
            sheet.write_string(r, 7, forecast)?;
        }
        r += 1;
    }
    sheet.set_column_width(7, 70)?;
    sheet.set_column_width(8, 60)?;
    Ok(())
}
