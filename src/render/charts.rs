//! PNG charts drawn with plotters on a bitmap, with an embedded font that has
//! Cyrillic (DejaVu Sans), so a fresh machine without system fonts renders
//! them. Sized and lettered to read on a phone in a Telegram preview.

use std::sync::Once;

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Tz;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::domain::Call;
use crate::metrics::funnel::{Bottleneck, Funnel};
use crate::metrics::pulse::{DayPulse, HeatRow};
use crate::metrics::telephony::is_successful;

const FONT: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

static REGISTER: Once = Once::new();

fn register_font() {
    REGISTER.call_once(|| {
        // The embedded font is known to parse; a failure would show as
        // missing text, never as a crash.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    #[error("encoding the PNG failed: {0}")]
    Png(String),
}

pub(super) fn draw_err<E: std::fmt::Display>(e: E) -> ChartError {
    ChartError::Draw(e.to_string())
}

pub(super) const GREEN: RGBColor = RGBColor(46, 160, 67);
pub(super) const ORANGE: RGBColor = RGBColor(240, 140, 0);
pub(super) const GREY: RGBColor = RGBColor(160, 160, 160);
pub(super) const IDLE: RGBColor = RGBColor(255, 220, 220);
pub(super) const INK: RGBColor = RGBColor(40, 40, 40);
pub(super) const FAINT: RGBColor = RGBColor(225, 225, 225);
pub(super) const RED: RGBColor = RGBColor(210, 50, 50);
pub(super) const BLUE: RGBColor = RGBColor(52, 120, 200);

/// Draws into an RGB buffer and encodes it as PNG.
pub(super) fn png(
    width: u32,
    height: u32,
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Result<(), ChartError>,
) -> Result<Vec<u8>, ChartError> {
    register_font();
    let mut buffer = vec![255u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .map_err(|e| ChartError::Png(e.to_string()))?;
        writer
            .write_image_data(&buffer)
            .map_err(|e| ChartError::Png(e.to_string()))?;
    }
    Ok(out)
}

/// A call's bar colour: not answered, short, successful.
pub(super) fn call_color(c: &Call, success_secs: i64) -> RGBColor {
    if !c.is_connected() {
        GREY
    } else if is_successful(c, success_secs) {
        GREEN
    } else {
        ORANGE
    }
}

pub(super) fn text<'a>(size: u32, color: &'a RGBColor) -> TextStyle<'a> {
    (FAMILY, size).into_font().color(color)
}

/// One manager's day: each call a bar from start to end, coloured by outcome
/// (not answered, short, successful), idle gaps shaded and labelled, working
/// hours marked.
pub fn pulse_chart(
    title: &str,
    day: &DayPulse,
    calls: &[Call],
    tz: Tz,
    success_secs: i64,
    legend: &[String; 4],
) -> Result<Vec<u8>, ChartError> {
    let (w, h) = (1200u32, 420u32);
    let work_start = day.working_hours.start;
    let work_end = day.working_hours.end;
    let first = calls
        .iter()
        .map(|c| c.started_at)
        .min()
        .unwrap_or(work_start)
        .min(work_start);
    let last = calls
        .iter()
        .map(|c| c.ended_at)
        .max()
        .unwrap_or(work_end)
        .max(work_end);
    // Whole hours around the day.
    let span_start =
        first - chrono::Duration::minutes(i64::from(first.with_timezone(&tz).minute()));
    let span_end =
        last + chrono::Duration::minutes(60 - i64::from(last.with_timezone(&tz).minute()));
    let (left, right, top, bottom) = (40i32, w as i32 - 40, 90i32, h as i32 - 70);
    let total = (span_end - span_start).num_seconds().max(1) as f64;
    let x = |t: DateTime<Utc>| {
        left + (((t - span_start).num_seconds() as f64 / total) * f64::from(right - left)) as i32
    };
    png(w, h, |root| {
        root.draw(&Text::new(title.to_owned(), (left, 20), text(30, &INK)))
            .map_err(draw_err)?;
        // Idle gaps, shaded and labelled.
        for g in &day.idle_gaps {
            root.draw(&Rectangle::new(
                [(x(g.start), top), (x(g.end), bottom)],
                IDLE.filled(),
            ))
            .map_err(draw_err)?;
            let minutes = g.seconds() / 60;
            let label = if minutes >= 60 {
                format!("{}:{:02}", minutes / 60, minutes % 60)
            } else {
                format!("{minutes}'")
            };
            let mid = (x(g.start) + x(g.end)) / 2 - 18;
            if x(g.end) - x(g.start) > 40 {
                root.draw(&Text::new(label, (mid, top + 8), text(22, &RED)))
                    .map_err(draw_err)?;
            }
        }
        // Working hours.
        for t in [work_start, work_end] {
            root.draw(&PathElement::new(
                vec![(x(t), top - 10), (x(t), bottom + 10)],
                BLUE.stroke_width(3),
            ))
            .map_err(draw_err)?;
        }
        // The calls.
        let (bar_top, bar_bottom) = (top + 60, bottom - 20);
        for c in calls {
            let color = call_color(c, success_secs);
            let (x0, x1) = (x(c.started_at), x(c.ended_at).max(x(c.started_at) + 2));
            root.draw(&Rectangle::new(
                [(x0, bar_top), (x1, bar_bottom)],
                color.filled(),
            ))
            .map_err(draw_err)?;
        }
        // Hour ticks.
        let mut t = span_start;
        while t <= span_end {
            let px = x(t);
            root.draw(&PathElement::new(
                vec![(px, bottom), (px, bottom + 8)],
                INK.stroke_width(2),
            ))
            .map_err(draw_err)?;
            root.draw(&Text::new(
                format!("{:02}", t.with_timezone(&tz).hour()),
                (px - 12, bottom + 14),
                text(22, &INK),
            ))
            .map_err(draw_err)?;
            t += chrono::Duration::hours(1);
        }
        // Legend.
        let mut lx = left;
        for (color, label) in [GREEN, ORANGE, GREY, IDLE].into_iter().zip(legend) {
            root.draw(&Rectangle::new([(lx, 62), (lx + 18, 80)], color.filled()))
                .map_err(draw_err)?;
            root.draw(&Text::new(label.as_str(), (lx + 24, 60), text(20, &INK)))
                .map_err(draw_err)?;
            lx += 190;
        }
        Ok(())
    })
}

/// Team pulse: managers down, clock hours across, calls per cell.
pub fn heat_map_chart(
    title: &str,
    rows: &[(String, HeatRow)],
    first_hour: u32,
    last_hour: u32,
) -> Result<Vec<u8>, ChartError> {
    let hours: Vec<u32> = (first_hour..=last_hour).collect();
    let label_w = 190i32;
    let cell_w = 64i32;
    let cell_h = 34i32;
    let top = 80i32;
    let w = (label_w + cell_w * hours.len() as i32 + 20) as u32;
    let h = (top + cell_h * rows.len() as i32 + 50) as u32;
    let max = rows
        .iter()
        .flat_map(|(_, r)| hours.iter().map(|h| r.calls[*h as usize]))
        .max()
        .unwrap_or(0)
        .max(1);
    png(w, h, |root| {
        root.draw(&Text::new(title.to_owned(), (10, 14), text(28, &INK)))
            .map_err(draw_err)?;
        for (i, hour) in hours.iter().enumerate() {
            let x = label_w + cell_w * i as i32;
            root.draw(&Text::new(
                format!("{hour:02}"),
                (x + 20, top - 30),
                text(22, &INK),
            ))
            .map_err(draw_err)?;
        }
        for (j, (name, row)) in rows.iter().enumerate() {
            let y = top + cell_h * j as i32;
            root.draw(&Text::new(name.clone(), (10, y + 6), text(22, &INK)))
                .map_err(draw_err)?;
            for (i, hour) in hours.iter().enumerate() {
                let n = row.calls[*hour as usize];
                let share = f64::from(n) / f64::from(max);
                // White through green: more calls, deeper colour.
                let color = RGBColor(
                    (255.0 - share * 209.0) as u8,
                    (255.0 - share * 95.0) as u8,
                    (255.0 - share * 188.0) as u8,
                );
                let x = label_w + cell_w * i as i32;
                root.draw(&Rectangle::new(
                    [(x, y), (x + cell_w - 2, y + cell_h - 2)],
                    color.filled(),
                ))
                .map_err(draw_err)?;
                if n > 0 {
                    let ink = if share > 0.6 { WHITE } else { INK };
                    root.draw(&Text::new(n.to_string(), (x + 20, y + 6), text(20, &ink)))
                        .map_err(draw_err)?;
                }
            }
        }
        Ok(())
    })
}

/// The funnel: open deals per stage, conversion between stages, the
/// bottleneck in red.
pub fn funnel_chart(
    title: &str,
    funnel: &Funnel,
    bottleneck: Option<&Bottleneck>,
) -> Result<Vec<u8>, ChartError> {
    let rows = &funnel.stages;
    let (w, row_h, top) = (1000u32, 70i32, 80i32);
    let h = (top + row_h * rows.len() as i32 + 30) as u32;
    let max = rows.iter().map(|r| r.open_deals).max().unwrap_or(0).max(1) as f64;
    png(w, h, |root| {
        root.draw(&Text::new(title.to_owned(), (20, 18), text(30, &INK)))
            .map_err(draw_err)?;
        let (label_w, bar_max) = (300i32, 560f64);
        for (i, r) in rows.iter().enumerate() {
            let y = top + row_h * i as i32;
            let is_neck = bottleneck.is_some_and(|b| b.stage == r.stage);
            let color = if is_neck { RED } else { BLUE };
            let len = ((r.open_deals as f64 / max) * bar_max) as i32;
            let x0 = label_w + (bar_max as i32 - len) / 2;
            root.draw(&Rectangle::new(
                [(x0, y), (x0 + len.max(2), y + row_h - 16)],
                color.filled(),
            ))
            .map_err(draw_err)?;
            root.draw(&Text::new(r.name.clone(), (20, y + 14), text(24, &INK)))
                .map_err(draw_err)?;
            let conv = r
                .conversion
                .map(|c| format!(" → {:.0} %", c * 100.0))
                .unwrap_or_default();
            root.draw(&Text::new(
                format!("{}{conv}", r.open_deals),
                (label_w + bar_max as i32 + 20, y + 14),
                text(24, &INK),
            ))
            .map_err(draw_err)?;
        }
        Ok(())
    })
}

/// Plan vs actual: per manager, a bar per plan line at its completion, with
/// the 100 % line.
pub fn plan_chart(
    title: &str,
    people: &[(String, Vec<(String, f64)>)],
) -> Result<Vec<u8>, ChartError> {
    let lines: Vec<String> = {
        let mut v: Vec<String> = people
            .iter()
            .flat_map(|(_, l)| l.iter().map(|(n, _)| n.clone()))
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let colors = [BLUE, GREEN, ORANGE, RED, GREY];
    let (label_w, row_h, top) = (190i32, 20i32 * lines.len().max(1) as i32 + 14, 90i32);
    let (w, scale_max) = (1100u32, 1.5f64);
    let h = (top + row_h * people.len() as i32 + 50) as u32;
    let bar_w = w as i32 - label_w - 40;
    let x = |share: f64| label_w + ((share.min(scale_max) / scale_max) * f64::from(bar_w)) as i32;
    png(w, h, |root| {
        root.draw(&Text::new(title.to_owned(), (20, 14), text(28, &INK)))
            .map_err(draw_err)?;
        let mut lx = label_w;
        for (i, line) in lines.iter().enumerate() {
            let c = colors[i % colors.len()];
            root.draw(&Rectangle::new([(lx, 56), (lx + 18, 74)], c.filled()))
                .map_err(draw_err)?;
            root.draw(&Text::new(line.clone(), (lx + 24, 54), text(20, &INK)))
                .map_err(draw_err)?;
            lx += 220;
        }
        for (j, (name, values)) in people.iter().enumerate() {
            let y = top + row_h * j as i32;
            root.draw(&Rectangle::new(
                [(label_w, y), (label_w + bar_w, y + row_h - 6)],
                FAINT.filled(),
            ))
            .map_err(draw_err)?;
            root.draw(&Text::new(
                name.clone(),
                (10, y + row_h / 2 - 12),
                text(22, &INK),
            ))
            .map_err(draw_err)?;
            for (i, line) in lines.iter().enumerate() {
                if let Some((_, share)) = values.iter().find(|(n, _)| n == line) {
                    let c = colors[i % colors.len()];
                    let y0 = y + 4 + 20 * i as i32;
                    root.draw(&Rectangle::new(
                        [(label_w, y0), (x(*share).max(label_w + 2), y0 + 14)],
                        c.filled(),
                    ))
                    .map_err(draw_err)?;
                }
            }
        }
        let hundred = x(1.0);
        root.draw(&PathElement::new(
            vec![(hundred, top - 8), (hundred, h as i32 - 36)],
            INK.stroke_width(3),
        ))
        .map_err(draw_err)?;
        root.draw(&Text::new(
            "100 %",
            (hundred - 30, h as i32 - 32),
            text(22, &INK),
        ))
        .map_err(draw_err)?;
        Ok(())
    })
}

/// Weekly trends: a value per day, this week's bars beside last week's.
pub fn trend_chart(
    title: &str,
    days: &[String],
    this_week: &[f64],
    last_week: &[f64],
    legend: [&str; 2],
) -> Result<Vec<u8>, ChartError> {
    let (w, h) = (1000u32, 460u32);
    let (left, right, top, bottom) = (70i32, w as i32 - 30, 100i32, h as i32 - 60);
    let max = this_week
        .iter()
        .chain(last_week)
        .copied()
        .fold(0.0, f64::max)
        .max(1.0);
    let slot = f64::from(right - left) / days.len().max(1) as f64;
    let y = |v: f64| bottom - ((v / max) * f64::from(bottom - top)) as i32;
    png(w, h, |root| {
        root.draw(&Text::new(title.to_owned(), (20, 16), text(28, &INK)))
            .map_err(draw_err)?;
        for (i, (color, label)) in [(BLUE, legend[0]), (GREY, legend[1])]
            .into_iter()
            .enumerate()
        {
            let lx = left + 260 * i as i32;
            root.draw(&Rectangle::new([(lx, 64), (lx + 18, 82)], color.filled()))
                .map_err(draw_err)?;
            root.draw(&Text::new(label, (lx + 24, 62), text(20, &INK)))
                .map_err(draw_err)?;
        }
        root.draw(&PathElement::new(
            vec![(left, bottom), (right, bottom)],
            INK.stroke_width(2),
        ))
        .map_err(draw_err)?;
        for (i, day) in days.iter().enumerate() {
            let x0 = left + (slot * i as f64) as i32 + 10;
            let bar = ((slot - 30.0) / 2.0) as i32;
            for (k, (values, color)) in [(this_week, BLUE), (last_week, GREY)]
                .into_iter()
                .enumerate()
            {
                let v = values.get(i).copied().unwrap_or(0.0);
                let bx = x0 + k as i32 * (bar + 4);
                root.draw(&Rectangle::new(
                    [(bx, y(v)), (bx + bar, bottom)],
                    color.filled(),
                ))
                .map_err(draw_err)?;
                if k == 0 {
                    root.draw(&Text::new(
                        format!("{v:.0}"),
                        (bx, y(v) - 24),
                        text(20, &INK),
                    ))
                    .map_err(draw_err)?;
                }
            }
            root.draw(&Text::new(day.clone(), (x0, bottom + 12), text(22, &INK)))
                .map_err(draw_err)?;
        }
        Ok(())
    })
}
