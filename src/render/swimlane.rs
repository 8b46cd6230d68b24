//! One picture of a team's day: a swimlane per manager, their calls as bars
//! coloured by outcome (successful, short, not answered), idle gaps shaded,
//! working hours marked; the hours across, shared by every lane.

use chrono::{DateTime, Duration, Timelike, Utc};
use chrono_tz::Tz;
use plotters::prelude::*;

use super::charts::{
    BLUE, ChartError, FAINT, GREEN, GREY, IDLE, INK, ORANGE, call_color, draw_err, png, text,
};
use crate::domain::Call;
use crate::metrics::pulse::DayPulse;

/// One lane: a name, the day's pulse (working hours, idle gaps) and calls.
pub struct Lane<'a> {
    pub name: String,
    pub pulse: &'a DayPulse,
    pub calls: Vec<&'a Call>,
}

const LANE_H: i32 = 34;
const LABEL_W: i32 = 200;
const TOP: i32 = 100;

/// The swimlane chart of `lanes`; `note` (how many it leaves out) under
/// the title when there is one.
pub fn swimlane_chart(
    title: &str,
    note: Option<&str>,
    lanes: &[Lane<'_>],
    tz: Tz,
    success_secs: i64,
    legend: &[String; 4],
) -> Result<Vec<u8>, ChartError> {
    let w = 1400u32;
    let h = (TOP + LANE_H * lanes.len().max(1) as i32 + 60) as u32;
    let starts = lanes.iter().map(|l| l.pulse.working_hours.start);
    let ends = lanes.iter().map(|l| l.pulse.working_hours.end);
    let call_starts = lanes
        .iter()
        .flat_map(|l| l.calls.iter().map(|c| c.started_at));
    let call_ends = lanes
        .iter()
        .flat_map(|l| l.calls.iter().map(|c| c.ended_at));
    let (Some(first), Some(last)) = (starts.chain(call_starts).min(), ends.chain(call_ends).max())
    else {
        return png(w, h, |root| {
            root.draw(&Text::new(title.to_owned(), (20, 20), text(30, &INK)))
                .map_err(draw_err)
                .map(|_| ())
        });
    };
    // Whole hours around the day.
    let span_start = first - Duration::minutes(i64::from(first.with_timezone(&tz).minute()));
    let past_hour = i64::from(last.with_timezone(&tz).minute());
    let span_end = match past_hour {
        0 => last,
        m => last + Duration::minutes(60 - m),
    };
    let (left, right) = (LABEL_W, w as i32 - 30);
    let total = (span_end - span_start).num_seconds().max(1) as f64;
    let x = |t: DateTime<Utc>| {
        left + (((t - span_start).num_seconds() as f64 / total) * f64::from(right - left)) as i32
    };
    let bottom = TOP + LANE_H * lanes.len() as i32;
    png(w, h, |root| {
        root.draw(&Text::new(title.to_owned(), (20, 14), text(30, &INK)))
            .map_err(draw_err)?;
        if let Some(note) = note {
            root.draw(&Text::new(note.to_owned(), (20, 50), text(20, &INK)))
                .map_err(draw_err)?;
        }
        // Legend, top right.
        let mut lx = right - 4 * 190;
        for (color, label) in [GREEN, ORANGE, GREY, IDLE].into_iter().zip(legend) {
            // 18 × 18 pixels, as in the pulse chart.
            root.draw(&Rectangle::new([(lx, 73), (lx + 18, 91)], color.filled()))
                .map_err(draw_err)?;
            root.draw(&Text::new(label.as_str(), (lx + 22, 72), text(18, &INK)))
                .map_err(draw_err)?;
            lx += 190;
        }
        // Hour lines behind the lanes.
        let mut t = span_start;
        while t <= span_end {
            let px = x(t);
            root.draw(&PathElement::new(
                vec![(px, TOP), (px, bottom + 6)],
                FAINT.stroke_width(1),
            ))
            .map_err(draw_err)?;
            t += Duration::hours(1);
        }
        for (i, lane) in lanes.iter().enumerate() {
            draw_lane(root, lane, i, &x, success_secs)?;
        }
        // The hours under the lanes.
        let mut t = span_start;
        while t <= span_end {
            let px = x(t);
            root.draw(&Text::new(
                format!("{:02}", t.with_timezone(&tz).hour()),
                (px - 11, bottom + 12),
                text(20, &INK),
            ))
            .map_err(draw_err)?;
            t += Duration::hours(1);
        }
        Ok(())
    })
}

/// One manager's lane, the `i`-th: name, idle gaps, working hours, calls.
fn draw_lane(
    root: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    lane: &Lane<'_>,
    i: usize,
    x: &dyn Fn(DateTime<Utc>) -> i32,
    success_secs: i64,
) -> Result<(), ChartError> {
    let y0 = TOP + LANE_H * i as i32;
    let y1 = y0 + LANE_H - 4;
    if i % 2 == 1 {
        let band = [(0, y0), (LABEL_W, y0 + LANE_H)];
        root.draw(&Rectangle::new(band, FAINT.filled()))
            .map_err(draw_err)?;
    }
    root.draw(&Text::new(lane.name.clone(), (10, y0 + 6), text(20, &INK)))
        .map_err(draw_err)?;
    for g in &lane.pulse.idle_gaps {
        root.draw(&Rectangle::new(
            [(x(g.start), y0 + 2), (x(g.end), y1)],
            IDLE.filled(),
        ))
        .map_err(draw_err)?;
    }
    for t in [lane.pulse.working_hours.start, lane.pulse.working_hours.end] {
        root.draw(&PathElement::new(
            vec![(x(t), y0), (x(t), y0 + LANE_H)],
            BLUE.stroke_width(2),
        ))
        .map_err(draw_err)?;
    }
    for c in &lane.calls {
        let color = call_color(c, success_secs);
        let (x0, x1) = (x(c.started_at), x(c.ended_at).max(x(c.started_at) + 2));
        root.draw(&Rectangle::new(
            [(x0, y0 + 7), (x1, y1 - 5)],
            color.filled(),
        ))
        .map_err(draw_err)?;
    }
    Ok(())
}
