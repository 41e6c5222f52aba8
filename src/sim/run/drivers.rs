//! A driver's way through the garage: booked arrivals, arrival at an
//! entrance, turn-aways, admission, the stay, the exit and the control
//! list's hold at the exit.

use super::*;

impl Sim<'_> {
    pub(super) fn reserved_arrival(&mut self, t: SimTime, i: usize, generation: u32) {
        let r = &self.resvs[i];
        if generation != r.arrival_gen {
            return; // moved by a change
        }
        let d = r.driver;
        if r.state != ResvState::Held {
            // Here (or not coming): a change asked for later is moot.
            self.resvs[i].arrived = true;
        }
        let r = &self.resvs[i];
        match r.state {
            ResvState::Locked => self.arrive(t, d, None, Some(i)),
            // Refused: a general driver, if they come at all.
            ResvState::Refused | ResvState::LateRefused if r.plan.come_anyway => {
                self.arrive(t, d, None, None)
            }
            // Early, before the platform's lock: the driver's app asks for
            // it now, and they drive in a minute later.
            ResvState::Held => {
                self.send_book(t, i, 1);
                self.q
                    .schedule(SimTime(t.0 + 60_000), Ev::ReservedArrival(i, generation));
            }
            _ => {}
        }
    }

    /// Driver `d` reaches an entrance: `entrance` is set when they come
    /// round after a U-turn; `resv` when they hold a locked booking.
    pub(super) fn arrive(
        &mut self,
        t: SimTime,
        d: DriverId,
        entrance: Option<usize>,
        resv: Option<usize>,
    ) {
        let counted = t >= self.warm;
        let first = entrance.is_none();
        let live = resv.is_some_and(|i| {
            self.engine
                .booking(&self.resvs[i].code)
                .is_some_and(|b| b.is_live())
        });
        let pop = match (first, resv) {
            (false, _) => self.present[d.0 as usize].map_or(Pop::Walkin, |p| p.pop),
            (true, Some(_)) if live => Pop::Reserved,
            (true, Some(_)) => Pop::Lapsed,
            (true, None) if matches!(self.drivers[d.0 as usize].visit, Visit::Booker(_)) => {
                Pop::Refused
            }
            (true, None) => Pop::Walkin,
        };
        if first {
            self.counts.all_arrivals += 1;
            if counted {
                let c = &mut self.counts;
                c.vehicles_arrived += 1;
                self.hourly.arrivals[hour(t)] += 1;
                match pop {
                    Pop::Walkin => c.walkin_arrived += 1,
                    Pop::Refused => c.refused_arrived += 1,
                    Pop::Reserved => c.reserved_arrived += 1,
                    Pop::Lapsed => {
                        c.reserved_arrived += 1;
                        c.reserved_lapsed += 1;
                    }
                }
                if pop != Pop::Reserved {
                    c.general_arrived += 1;
                }
            }
        }
        let n = self.gates.len();
        let e = entrance.unwrap_or_else(|| choose_entrance(&self.engine, n, resv.is_some()));
        let queued = self.engine.queue_len(EntranceId(e));
        let fc = &self.scn.flow_control;
        if !live {
            let no_room = fc.when_full == WhenFull::Leave && {
                let s = self.engine.snapshot();
                s.general_room <= s.waiting_general
            };
            if queued as u32 >= fc.max_queue || no_room {
                self.turn_away(t, pop, counted);
                self.present[d.0 as usize] = None;
                return;
            }
        }
        let plate = d.plate().to_string();
        self.present[d.0 as usize] = Some(Presence {
            pop,
            arrived: t,
            counted,
            resv,
            queued: false,
        });
        let reply = self.engine.handle(
            t2dt(t),
            Cmd::Arrive {
                entrance: EntranceId(e),
                car: ParkCarInfo {
                    plate_no: plate,
                    ..Default::default()
                },
            },
        );
        match reply {
            Ok(ERe::Queued { .. }) => {
                if let Some(p) = &mut self.present[d.0 as usize] {
                    p.queued = true;
                }
                if counted {
                    let q = queued as u32 + 1;
                    self.gates.saw_queue(e, q);
                    self.counts.max_queue = self.counts.max_queue.max(q);
                }
                self.drain_effects(t);
            }
            Ok(ERe::TurnedAway(engine::UTurnReason::GeneralAtReservedLane)) => {
                self.drain_effects(t);
                // Drive round to an entrance that takes general vehicles.
                match other_entrance(&self.engine, n, e) {
                    Some(x) => self.q.schedule(SimTime(t.0 + 60_000), Ev::ComeRound(d, x)),
                    None => {
                        self.present[d.0 as usize] = None;
                        self.turn_away(t, pop, counted);
                    }
                }
            }
            // The control list keeps it out, or the engine refused it.
            _ => {
                self.drain_effects(t);
                self.present[d.0 as usize] = None;
                self.turn_away(t, pop, counted);
            }
        }
    }

    /// A queued vehicle the engine sent round (its lane became
    /// reservation-only, or its booking lapsed at one) drives to an
    /// entrance that takes it, under its own plate.
    pub(in crate::sim) fn came_round(&mut self, t: SimTime, plate: &str, from: usize) {
        let Some(d) = DriverId::of_plate(plate) else {
            return;
        };
        let Some(p) = self.present.get_mut(d.0 as usize).and_then(|p| p.as_mut()) else {
            return;
        };
        if !p.queued {
            return; // turned round on arrival: `arrive` handles it
        }
        p.queued = false;
        let (counted, pop) = (p.counted, p.pop);
        match other_entrance(&self.engine, self.gates.len(), from) {
            Some(x) => self.q.schedule(SimTime(t.0 + 60_000), Ev::ComeRound(d, x)),
            None => {
                self.present[d.0 as usize] = None;
                self.turn_away(t, pop, counted);
            }
        }
    }

    pub(in crate::sim) fn drivers_plate(&self, d: DriverId) -> String {
        d.plate().to_string()
    }

    /// A driver drives away without entering.
    fn turn_away(&mut self, t: SimTime, pop: Pop, counted: bool) {
        self.counts.all_turned += 1;
        if counted && t >= self.warm {
            self.hourly.turned_away[hour(t)] += 1;
        }
        if counted && pop != Pop::Reserved {
            self.counts.general_turned_away += 1;
            if pop == Pop::Walkin {
                self.counts.walkin_turned_away += 1;
            }
        }
    }

    /// Gate `e` admits its next vehicle if the engine lets one in.
    pub(super) fn try_admit(&mut self, t: SimTime, e: usize) -> bool {
        let Ok(ERe::Admitted {
            plate,
            class,
            manual,
            record_id,
        }) = self.engine.handle(
            t2dt(t),
            Cmd::Admit {
                entrance: EntranceId(e),
            },
        )
        else {
            return false;
        };
        let d = DriverId::of_plate(&plate);
        if let Some(Some(p)) = d.map(|d| &mut self.present[d.0 as usize]) {
            p.queued = false;
        }
        let p = d.and_then(|d| self.present[d.0 as usize]);
        // The platform owes a reserved driver's entry a coupon once it
        // holds the 5004 (see `platform_follow_up`).
        if self.scn.fees.reserved_coupon.is_some() && class == VehicleClass::Reserved {
            self.coupon_due.insert(record_id, plate);
        }
        self.counts.all_entered += 1;
        let counted_now = t >= self.warm;
        if counted_now {
            self.hourly.entries[hour(t)] += 1;
        }
        if let Some(p) = p {
            if p.counted {
                let wait_ms = t.0 - p.arrived.0;
                let wait = wait_ms as f64 / 1000.0;
                self.waits.add(wait);
                self.hour_waits[hour(t)].push(wait);
                match (class, p.pop) {
                    (VehicleClass::Reserved, Pop::Reserved) => {
                        self.reserved_waits.add(wait);
                        if wait_ms <= self.fulfilment_wait_ms {
                            self.counts.reserved_fulfilled += 1;
                        }
                    }
                    (_, Pop::Reserved) => {}
                    (_, pop) => {
                        self.counts.general_entered += 1;
                        if pop == Pop::Walkin {
                            self.counts.walkin_entered += 1;
                            self.walkin_waits.add(wait);
                        }
                    }
                }
            }
            // The booking is used: the platform's slot frees from now.
            if let (VehicleClass::Reserved, Some(i)) = (class, p.resv)
                && let Some(w) = self.resvs[i].window
            {
                self.resvs[i].window = Some(self.inventory.end_at(w, t));
            }
        }
        let s = self
            .gates
            .start(e, manual, counted_now, &mut self.service_rng);
        self.q.schedule(t.plus_secs(s), Ev::GateDone(e));
        let stay = self.stay.sample_nonneg(&mut self.service_rng);
        if let Some(d) = d {
            self.q
                .schedule(t.plus_secs(s + stay * 60.0), Ev::StayEnd(d));
        }
        self.drain_effects(t);
        true
    }

    /// A stay ends: pay at the pay station, then queue at an exit.
    pub(super) fn stay_end(&mut self, t: SimTime, d: DriverId) {
        let plate = d.plate();
        let r = self
            .engine
            .pay_plate(t2dt(t), &plate, PayType::WeChat, "微信公众号".into());
        if let Ok(ERe::Paid { received, .. }) = r
            && t >= self.warm
        {
            self.counts.revenue += received.0;
        }
        self.drain_effects(t);
        let x = self.exits.join(d);
        self.try_exit(t, x);
    }

    pub(super) fn try_exit(&mut self, t: SimTime, x: usize) {
        if let Some(s) = self.exits.start(x, &mut self.service_rng) {
            self.q.schedule(t.plus_secs(s), Ev::ExitDone(x));
        }
    }

    /// The barrier opens for driver `d` (`staff`: an attendant releases a
    /// car the control list held); an overstay is paid there first.
    pub(super) fn leave(&mut self, t: SimTime, d: DriverId, staff: bool) {
        let plate = d.plate();
        let now = t2dt(t);
        let mut r = self.engine.exit_plate(now, &plate, staff);
        if let Ok(ERe::PaymentDue { .. }) = r {
            if let Ok(ERe::Paid { received, .. }) =
                self.engine
                    .pay_plate(now, &plate, PayType::Cash, "线下缴费".into())
                && t >= self.warm
            {
                self.counts.revenue += received.0;
            }
            r = self.engine.exit_plate(now, &plate, staff);
        }
        match r {
            Ok(ERe::Exited { .. }) => {
                self.counts.all_exited += 1;
                self.present[d.0 as usize] = None;
            }
            // The control list holds it: staff deal with it, then let it out.
            Ok(ERe::ExitRefused { .. }) => {
                self.counts.control_held += u64::from(t >= self.warm);
                self.q
                    .schedule(SimTime(t.0 + self.control_hold_ms), Ev::ControlRelease(d));
            }
            _ => {}
        }
        self.drain_effects(t);
    }

    pub(super) fn control_push(&mut self, t: SimTime, d: DriverId) {
        use crate::proto::messages::{BlackWhiteGraySheet, ControlListDownlink};
        let Visit::Listed { strategy, .. } = self.drivers[d.0 as usize].visit else {
            return;
        };
        self.control_pushes += 1;
        let sheet = BlackWhiteGraySheet {
            begin_date: None,
            car_info: car(&d.plate()),
            end_date: t2dt(SimTime(t.0 + 7 * SimTime::MS_PER_DAY)),
            id: format!("{:032x}", 0xC0000 + self.control_pushes),
            park_code: PARK_CODE.into(),
            strategy_from: "预约平台".into(),
            strategy_type: strategy as i64,
        };
        self.platform_send(
            t,
            Request::ControlList(vec![ControlListDownlink {
                black_white_gray_sheet: sheet,
                status: 1,
            }]),
        );
    }

    // ---- samples and the end --------------------------------------------
}
