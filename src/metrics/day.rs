//! One person's day as the daily roll-up keeps it: the counts and sums
//! every figure of a period is made of (`CallTally`, `HygieneTally`,
//! `FunnelTally`, activities, the heat map's hours). A period is the sum
//! of its days; the figures are made from the sum, so a month read from
//! the roll-up equals the month computed from its records. What cannot be
//! added is kept so that it combines exactly: the talk seconds of each
//! connected call (the median), the deals touched (distinct), each task
//! due with when it was done (unfinished at the period's end), each stage
//! entry with when the deal went on (conversion by the period's end).

use serde::{Deserialize, Serialize};

use super::funnel::FunnelTally;
use super::hygiene::HygieneTally;
use super::pulse::HeatCounts;
use super::telephony::CallTally;

/// Proposals, meetings and emails logged in the CRM.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityCounts {
    pub proposals: usize,
    pub meetings: usize,
    pub emails: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayTally {
    pub calls: CallTally,
    pub activities: ActivityCounts,
    pub hygiene: HygieneTally,
    /// Stored apart from the rest (the digest's funnel window reads it alone).
    #[serde(skip)]
    pub funnel: FunnelTally,
    pub heat: HeatCounts,
}

impl DayTally {
    /// Adds another day to these counts.
    pub fn add(&mut self, o: &DayTally) {
        self.calls.add(&o.calls);
        self.activities.proposals += o.activities.proposals;
        self.activities.meetings += o.activities.meetings;
        self.activities.emails += o.activities.emails;
        self.hygiene.add(&o.hygiene);
        self.funnel.add(&o.funnel);
        self.heat.add(&o.heat);
    }
}
