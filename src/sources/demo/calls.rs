//! The telephony half of the generator: a manager's calls as CDR rows, with
//! ring-group legs for inbound calls.

use std::fmt::Write as _;
use std::io;

use chrono::{DateTime, Duration, Utc};

use super::Generator;

impl Generator<'_, '_> {
    /// Writes one CDR row with all 21 columns.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn cdr_row(
        &mut self,
        src: &str,
        dst: &str,
        context: &str,
        channel: &str,
        dstchannel: &str,
        start: DateTime<Utc>,
        ring: i64,
        talk: i64,
        linkedid: &str,
        sequence: u64,
    ) -> io::Result<()> {
        let tz = self.opts.timezone;
        let fmt = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string();
        let answered = talk > 0;
        let answer = if answered {
            fmt(start + Duration::seconds(ring))
        } else {
            String::new()
        };
        let end = start + Duration::seconds(ring + talk);
        let disposition = if answered {
            "ANSWERED"
        } else if self.rng.chance(0.1) {
            "BUSY"
        } else {
            "NO ANSWER"
        };
        self.uniqueid += 1;
        self.line.clear();
        let _ = write!(
            self.line,
            "\"\",\"{src}\",\"{dst}\",\"{context}\",\"\"\"{src}\"\" <{src}>\",\"{channel}\",\"{dstchannel}\",\"Dial\",\"{dstchannel},60\",\"{}\",\"{answer}\",\"{}\",{},{talk},\"{disposition}\",\"DOCUMENTATION\",\"{}.{}\",\"\",\"\",\"{linkedid}\",{sequence}",
            fmt(start),
            fmt(end),
            ring + talk,
            start.timestamp(),
            self.uniqueid,
        );
        self.line.push('\n');
        self.sink.master_csv.write_all(self.line.as_bytes())?;
        self.stats.cdr_rows += 1;
        Ok(())
    }

    /// Returns the call's length in seconds and whether it was a successful contact.
    pub(super) fn outbound_call(
        &mut self,
        m: usize,
        ext: &str,
        start: DateTime<Utc>,
        drive: f64,
    ) -> io::Result<(i64, bool)> {
        let warm = !self.clients[m].is_empty() && self.rng.chance(0.26 * drive.min(1.1));
        let (number, deal) = if warm {
            let (n, d) = self.rng.pick(&self.clients[m]).clone();
            (n, d)
        } else {
            (self.client_number(), None)
        };
        let answered = self.rng.chance(if warm { 0.72 } else { 0.45 });
        let ring = self.rng.range(6, if answered { 22 } else { 35 });
        let talk = if !answered {
            0
        } else if self.rng.chance(if warm { 0.7 } else { 0.5 }) {
            (self.rng.lognormal(150.0, 0.7) as i64).clamp(40, 1800)
        } else {
            self.rng.range(4, 39)
        };
        self.uniqueid += 1;
        let linkedid = format!("{}.{}", start.timestamp(), self.uniqueid);
        let channel = format!("SIP/{ext}-{:08x}", self.uniqueid);
        let dstchannel = format!("SIP/trunk-{:08x}", self.uniqueid + 7);
        self.cdr_row(
            ext,
            &number,
            "from-internal",
            &channel,
            &dstchannel,
            start,
            ring,
            talk,
            &linkedid,
            1,
        )?;
        self.stats.calls += 1;
        let successful = talk >= super::SUCCESS_TALK_SECS;
        if successful {
            self.after_successful(
                m,
                number,
                deal,
                start + Duration::seconds(ring + talk),
                !warm,
            )?;
        }
        Ok((ring + talk, successful))
    }

    pub(super) fn inbound_call(
        &mut self,
        m: usize,
        ext: &str,
        start: DateTime<Utc>,
    ) -> io::Result<(i64, bool)> {
        let number = self.client_number();
        let missed = self.rng.chance(0.1);
        let ring = self.rng.range(4, if missed { 40 } else { 18 });
        let talk = if missed {
            0
        } else {
            (self.rng.lognormal(120.0, 0.8) as i64).clamp(8, 1500)
        };
        self.uniqueid += 1;
        let linkedid = format!("{}.{}", start.timestamp(), self.uniqueid);
        let trunk = format!("SIP/trunk-{:08x}", self.uniqueid);
        // Ring-group fan-out: a colleague's phone rang too and was not picked up.
        let colleague =
            (m + 1 + (self.rng.next_u64() as usize % self.team.len().max(2).saturating_sub(1)))
                % self.team.len();
        if colleague != m {
            let other = self.team[colleague].extension.clone();
            let other_channel = format!("SIP/{other}-{:08x}", self.uniqueid + 3);
            self.cdr_row(
                &number,
                "600",
                "from-trunk",
                &trunk,
                &other_channel,
                start,
                ring,
                0,
                &linkedid,
                2,
            )?;
        }
        let own_channel = format!("SIP/{ext}-{:08x}", self.uniqueid + 5);
        self.cdr_row(
            &number,
            "600",
            "from-trunk",
            &trunk,
            &own_channel,
            start,
            ring,
            talk,
            &linkedid,
            3,
        )?;
        self.stats.calls += 1;
        let successful = talk >= super::SUCCESS_TALK_SECS;
        if successful {
            self.after_successful(
                m,
                number,
                None,
                start + Duration::seconds(ring + talk),
                false,
            )?;
        }
        Ok((ring + talk, successful))
    }

    /// A successful contact: maybe a new deal, and (usually) a CRM trace.
    pub(super) fn after_successful(
        &mut self,
        m: usize,
        number: String,
        deal: Option<usize>,
        ended: DateTime<Utc>,
        cold: bool,
    ) -> io::Result<()> {
        if self.sink.crm.is_none() {
            return Ok(());
        }
        let deal = match deal {
            Some(d) => Some(d),
            None if self.rng.chance(if cold { 0.22 } else { 0.45 }) => {
                let (channel, temperature) = if cold {
                    (
                        "Холодный обзвон",
                        if self.rng.chance(0.8) { "cold" } else { "warm" },
                    )
                } else {
                    (
                        "Входящий звонок",
                        if self.rng.chance(0.5) { "hot" } else { "warm" },
                    )
                };
                // The careless manager opens the deal the next morning, not right away.
                let at = if self.team[m].skips_crm {
                    ended + Duration::hours(20)
                } else {
                    ended + Duration::minutes(2)
                };
                Some(self.new_deal(m, number.clone(), at, channel, temperature))
            }
            None => None,
        };
        if !self.clients[m].iter().any(|(n, _)| *n == number) {
            self.clients[m].push((number, deal));
        }
        if let Some(d) = deal
            && self.deals[d].closed.is_none()
        {
            let logs = if self.team[m].skips_crm { 0.2 } else { 0.92 };
            if self.rng.chance(logs) {
                let at = ended + Duration::seconds(self.rng.range(40, 900));
                let weak = self.rng.chance(0.15);
                let deal_id = self.deals[d].id;
                self.comment(m, deal_id, at, weak)?;
            }
        }
        Ok(())
    }
}
