//! The end of a run: conservation, reconciliation, and the summary and
//! hour-of-day table from the counts and integrals gathered on the way.

use super::*;

impl Sim<'_> {
    pub(super) fn finish(mut self) -> RunResult {
        self.drain_link();
        let total = self.totals();
        let warm = self.at_warm.unwrap_or(total);
        let c = &self.counts;
        let snap = self.engine.snapshot();
        let queued_now = self.present.iter().flatten().count() as u64 - snap.used as u64;
        let conservation_ok = c.all_arrivals == c.all_entered + c.all_turned + queued_now
            && c.all_entered == c.all_exited + snap.used as u64
            && snap.entered == c.all_entered;
        let problems = if self.frames() {
            self.reconcile()
        } else {
            Vec::new()
        };
        let c = &self.counts;
        let ig = &self.integrals;
        let stalls = self.scn.garage.stalls as f64;
        let measured = ig.measured_ms.max(1) as f64;
        let full_share = ratio(c.level_samples[2], c.samples);
        let summary = Summary {
            scenario: self.scn.name.clone(),
            seed: self.scn.seed,
            days: self.scn.days,
            stalls: self.scn.garage.stalls,
            saturated_at: self.scn.garage.saturated_at,
            full_at: self.scn.garage.full_at,
            vehicles_arrived: c.vehicles_arrived,
            walkin_arrived: c.walkin_arrived,
            walkin_entered: c.walkin_entered,
            walkin_turned_away: c.walkin_turned_away,
            walkin_blocking_rate: rate(c.walkin_turned_away, c.walkin_arrived),
            refused_arrived: c.refused_arrived,
            general_arrived: c.general_arrived,
            general_entered: c.general_entered,
            general_turned_away: c.general_turned_away,
            blocking_rate: rate(c.general_turned_away, c.general_arrived),
            booking_attempts: c.booking_attempts,
            reserved_booked: c.reserved_booked,
            reserved_refused: c.reserved_refused,
            platform_refusals: c.platform_refusals,
            late_refusals: c.late_refusals,
            reserved_cancelled: c.reserved_cancelled,
            cancels_refused: c.cancels_refused,
            reserved_changed: c.reserved_changed,
            changes_refused: c.changes_refused,
            reserved_no_show: c.reserved_no_show,
            reserved_arrived: c.reserved_arrived,
            reserved_lapsed: c.reserved_lapsed,
            reserved_fulfilled: c.reserved_fulfilled,
            fulfilment_rate: rate(c.reserved_fulfilled, c.reserved_arrived),
            booking_success_rate: rate(
                c.reserved_booked.saturating_sub(c.late_refusals),
                c.booking_attempts,
            ),
            mean_wait_s: self.waits.mean(),
            p95_wait_s: self.waits.p95(),
            reserved_mean_wait_s: self.reserved_waits.mean(),
            walkin_mean_wait_s: self.walkin_waits.mean(),
            walkin_p95_wait_s: self.walkin_waits.p95(),
            max_queue: c.max_queue,
            mean_queue: ratio(c.queue_total_samples, c.samples),
            entrances: self
                .gates
                .iter()
                .zip(&self.scn.garage.entrances)
                .map(|(g, spec)| EntranceSummary {
                    name: spec.name.clone(),
                    mean_queue: ratio(g.queue_samples, c.samples),
                    max_queue: g.max_queue,
                    entered: g.entered,
                })
                .collect(),
            mean_occupancy: ig.inside_ms as f64 / measured / stalls,
            max_inside: ig.max_inside,
            peak_occupancy: ig.peak_minute_inside / stalls,
            hours_full: full_share * ig.measured_ms as f64 / 3_600_000.0,
            held_empty_stall_hours: ig.holds_ms as f64 / 3_600_000.0,
            control_held: c.control_held,
            time_share: TimeShare {
                unsaturated: ratio(c.level_samples[0], c.samples),
                saturated: ratio(c.level_samples[1], c.samples),
                full: full_share,
            },
            revenue: c.revenue.round_dp(2).to_string().parse().unwrap_or(0.0),
            frames_sent: total.frames_sent - warm.frames_sent,
            frames_sent_total: total.frames_sent,
            frames_verified: total.verified - warm.verified,
            frames_verified_total: total.verified,
            frames_rejected: total.rejected - warm.rejected,
            frames_rejected_total: total.rejected,
            uplink_within_3s_rate: rate(
                total.reports_within_3s - warm.reports_within_3s,
                total.reports - warm.reports,
            ),
            duplicates_ignored: total.duplicates - warm.duplicates,
            duplicates_ignored_total: total.duplicates,
            reconciled: problems.is_empty(),
            reconcile_problems: problems,
            conservation_ok,
            events: total.events - warm.events,
            events_total: total.events,
            vehicles_inside_at_end: snap.used as u64,
        };
        let mut hourly = self.hourly.clone();
        let (mean, max) = ig.by_hour(self.scn.garage.stalls);
        hourly.mean_occupancy = mean;
        hourly.max_occupancy = max;
        for (h, waits) in self.hour_waits.iter_mut().enumerate() {
            if waits.is_empty() {
                continue;
            }
            waits.sort_by(f64::total_cmp);
            let n = waits.len();
            hourly.mean_wait_s[h] = Some(waits.iter().sum::<f64>() / n as f64);
            let k = ((n as f64 * 0.95).ceil() as usize).clamp(1, n) - 1;
            hourly.p95_wait_s[h] = Some(waits[k]);
        }
        RunResult {
            summary,
            hourly,
            series: self.opts.series.then_some(self.series),
            audit: self.audit,
        }
    }
}
