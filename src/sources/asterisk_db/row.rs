//! A CDR row read through the table's columns: its key and id, the
//! `Master.csv` line it stands for, its recording's link.

use super::{CSV_POSITIONS, Param, Schema};

/// A page's row, read through the table's columns.
pub struct CdrRow<'a> {
    pub schema: &'a Schema,
    pub values: &'a [Option<String>],
}

impl CdrRow<'_> {
    /// A column's value, empty when NULL or absent.
    pub fn get(&self, column: &str) -> &str {
        self.schema
            .index(column)
            .and_then(|i| self.values.get(i))
            .and_then(|v| v.as_deref())
            .unwrap_or_default()
    }

    /// The keyset values of this row, to ask for the rows after it.
    pub fn key(&self) -> Vec<Param> {
        self.schema
            .key_columns()
            .iter()
            .map(|k| match *k {
                "sequence" => Param::Int(self.get(k).trim().parse().unwrap_or(0)),
                _ => Param::Text(self.get(k).to_owned()),
            })
            .collect()
    }

    /// Names the row in a reject and in the cursor: `uniqueid/sequence`,
    /// or without a sequence `uniqueid/channel/dstchannel`.
    pub fn id(&self) -> String {
        if self.schema.has("sequence") {
            format!("{}/{}", self.get("uniqueid"), self.get("sequence"))
        } else {
            format!(
                "{}/{}/{}",
                self.get("uniqueid"),
                self.get("channel"),
                self.get("dstchannel")
            )
        }
    }

    /// The row as the 21 columns of a Master.csv line: answer and end
    /// worked out from calldate, duration and billsec (the table has
    /// neither). Fields that do not parse are passed on as they are, for
    /// the line's parser to reject with its reason.
    pub fn as_master_csv(&self) -> csv::ByteRecord {
        let mut fields: Vec<String> = vec![String::new(); 21];
        for (column, at) in CSV_POSITIONS {
            fields[*at] = self.get(column).to_owned();
        }
        fields[9] = whole_seconds(self.get("calldate")).to_owned();
        let start = crate::sources::fields::iso_local(&fields[9]);
        let duration = self.get("duration").trim().parse::<i64>().ok();
        let billsec = self.get("billsec").trim().parse::<i64>().ok();
        if let (Some(start), Some(duration), Some(billsec)) = (start, duration, billsec)
            && (0..=crate::domain::MAX_CALL_SECONDS).contains(&duration)
            && (0..=duration).contains(&billsec)
        {
            let fmt = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
            if billsec > 0 {
                fields[10] = fmt(start + chrono::Duration::seconds(duration - billsec));
            }
            fields[11] = fmt(start + chrono::Duration::seconds(duration));
        } else {
            // The parser names what is wrong (start, duration or billsec).
            fields[11] = fields[9].clone();
        }
        let mut record = csv::ByteRecord::new();
        for f in &fields {
            record.push_field(f.as_bytes());
        }
        record
    }

    /// The raw row for a reject: `column=value` pairs.
    pub fn raw(&self) -> String {
        self.schema
            .columns
            .iter()
            .zip(self.values)
            .map(|(c, v)| format!("{c}={}", v.as_deref().unwrap_or("NULL")))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The link to the row's recording: the template filled from
    /// `recordingfile` and the call's local day.
    pub fn recording_url(&self, template: Option<&str>) -> Option<String> {
        let template = template?;
        let file = self.get("recordingfile").trim();
        if file.is_empty() {
            return None;
        }
        let day = crate::sources::fields::iso_local(whole_seconds(self.get("calldate")))?;
        Some(fill_recording_url(template, day.date(), file))
    }
}

/// A `calldate` without its fraction of a second (`datetime(6)`, and the
/// microseconds Postgres is asked for so that pages stay exact).
pub fn whole_seconds(calldate: &str) -> &str {
    let t = calldate.trim();
    match t.as_bytes().get(19) {
        Some(b'.') => &t[..19],
        _ => t,
    }
}

/// `{yyyy}`, `{mm}`, `{dd}` and `{file}` of a `recording_url` filled in;
/// the file name is percent-encoded, its folders kept.
pub fn fill_recording_url(template: &str, day: chrono::NaiveDate, file: &str) -> String {
    let encoded: String = file
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    template
        .replace("{yyyy}", &day.format("%Y").to_string())
        .replace("{mm}", &day.format("%m").to_string())
        .replace("{dd}", &day.format("%d").to_string())
        .replace("{file}", encoded.trim_start_matches('/'))
}
