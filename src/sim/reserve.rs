//! The platform's side of bookings during a run: a driver books, the
//! platform locks at once or holds the booking in its inventory until the
//! lock, the garage answers, and changes and cancellations meet the 6.3
//! b/c windows. The types and the inventory are in
//! [`booking`](super::booking); this is the run loop's handling of them.

use super::booking::{Resv, ResvState};
use super::kernel::SimTime;
use super::run::{Ev, Sim, hour};

impl Sim<'_> {
    /// A driver books: the platform locks at once (at booking) or takes it
    /// into its inventory and locks later.
    pub(super) fn book(&mut self, t: SimTime, i: usize) {
        let counted = u64::from(self.resvs[i].counted);
        self.counts.booking_attempts += counted;
        self.hourly.booking_attempts[hour(self.resvs[i].booked)] += counted;
        if !self.policy.holds_bookings() {
            self.send_book(t, i, 1);
            return;
        }
        let w = self.policy.window(t, self.resvs[i].booked);
        self.inventory.advance(t);
        let r = &mut self.resvs[i];
        if self.inventory.fits(w) {
            self.inventory.add(w);
            r.window = Some(w);
            r.state = ResvState::Held;
            self.counts.reserved_booked += counted;
            self.counts.reserved_no_show += counted * u64::from(r.plan.no_show);
            self.q.schedule(w.from, Ev::Lock(i, r.lock_gen));
        } else {
            r.state = ResvState::Refused;
            self.counts.reserved_refused += counted;
            self.counts.platform_refusals += counted;
            self.hourly.booking_refusals[hour(r.booked)] += counted;
        }
    }

    /// The garage answered a booking's 6001 (`change`: operateType 2).
    pub(super) fn booking_answer(&mut self, t: SimTime, code: &str, result: i64, change: bool) {
        let Some(i) = Resv::index_of(code).filter(|&i| i < self.resvs.len()) else {
            return;
        };
        let counted = u64::from(self.resvs[i].counted);
        let held = self.policy.holds_bookings();
        let r = &mut self.resvs[i];
        if change {
            // Accepted: the booking now holds for the new time (refused:
            // the driver still comes then, on the old booking).
            if let (0, Some(moved)) = (result, r.pending.take()) {
                r.booked = moved;
            }
            return;
        }
        if r.state != ResvState::Planned && r.state != ResvState::Held {
            return; // a late answer to an early driver's second ask
        }
        if result == 0 {
            if !held {
                self.counts.reserved_booked += counted;
                self.counts.reserved_no_show += counted * u64::from(r.plan.no_show);
            }
            r.state = ResvState::Locked;
            // The platform confirms the booking a moment later (6002).
            self.q.schedule(SimTime(t.0 + 1000), Ev::Confirm(i));
        } else if held {
            r.state = ResvState::LateRefused;
            self.counts.late_refusals += counted;
            self.hourly.booking_refusals[hour(r.booked)] += counted;
            if let Some(w) = r.window.take() {
                self.inventory.remove(w);
            }
        } else {
            r.state = ResvState::Refused;
            self.counts.reserved_refused += counted;
            self.hourly.booking_refusals[hour(r.booked)] += counted;
        }
    }

    /// The driver moves the booked time. Inside the 6.3 b window the
    /// platform refuses and the driver keeps the old time; otherwise the
    /// driver comes at the new time whatever the garage answers.
    pub(super) fn change(&mut self, t: SimTime, i: usize) {
        let r = &self.resvs[i];
        let (Some((_, shift)), ResvState::Held | ResvState::Locked, false) =
            (r.plan.change, r.state, r.arrived)
        else {
            return; // an early driver is already here: nothing to move
        };
        let counted = u64::from(r.counted);
        if !self.policy.may_change(t, r.booked) {
            self.counts.changes_refused += counted;
            return;
        }
        let moved = SimTime((r.booked.0 + shift).max(t.0 + 60_000));
        if self.policy.holds_bookings() {
            let old = r.window;
            let mut w = self.policy.window(t, moved);
            if r.state == ResvState::Locked
                && let Some(o) = old
            {
                w.from = o.from; // the stall is locked already
            }
            self.inventory.advance(t);
            if let Some(o) = old {
                self.inventory.remove(o);
            }
            if !self.inventory.fits(w) {
                if let Some(o) = old {
                    self.inventory.add(o);
                }
                self.counts.changes_refused += counted;
                return;
            }
            self.inventory.add(w);
            self.resvs[i].window = Some(w);
        }
        self.counts.reserved_changed += counted;
        let r = &mut self.resvs[i];
        if !r.plan.no_show {
            r.arrival_gen += 1;
            let at = SimTime(moved.0 + r.plan.offset_ms).max(SimTime(t.0 + 1000));
            self.q.schedule(at, Ev::ReservedArrival(i, r.arrival_gen));
        }
        if r.state == ResvState::Held {
            r.booked = moved;
            r.lock_gen += 1;
            let from = r.window.map_or(t, |w| w.from);
            self.q.schedule(from, Ev::Lock(i, r.lock_gen));
        } else {
            r.pending = Some(moved);
            self.send_book(t, i, 2);
        }
    }

    /// The driver cancels. Inside the 6.3 c window the platform refuses
    /// and the driver stays away (a no-show).
    pub(super) fn cancel(&mut self, t: SimTime, i: usize) {
        let r = &self.resvs[i];
        if !matches!(r.state, ResvState::Held | ResvState::Locked) {
            return;
        }
        let counted = u64::from(r.counted);
        if !self.policy.may_cancel(t, r.booked) {
            self.counts.cancels_refused += counted;
            self.counts.reserved_no_show += counted;
            return;
        }
        if r.state == ResvState::Held {
            self.cancelled(t, i);
        } else {
            self.send_confirm(t, i, 0);
        }
    }

    /// A booking is cancelled (by the platform alone, or the garage
    /// accepted the 6002).
    pub(super) fn cancelled(&mut self, t: SimTime, i: usize) {
        let r = &mut self.resvs[i];
        r.state = ResvState::Cancelled;
        self.counts.reserved_cancelled += u64::from(r.counted);
        if let Some(w) = r.window {
            self.inventory.advance(t);
            r.window = Some(self.inventory.end_at(w, t));
        }
    }
}
