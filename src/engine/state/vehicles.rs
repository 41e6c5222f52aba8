//! The engine's vehicle commands: arrivals, admission, entry, payment, exit,
//! record corrections and lane switches (6.6–6.8 of the standard).

use super::*;

impl Engine {
    fn lane_ix(&self, entrance: EntranceId) -> Result<usize, EngineError> {
        if entrance.0 < self.lanes.len() {
            Ok(entrance.0)
        } else {
            Err(EngineError::UnknownEntrance(entrance))
        }
    }

    fn controls(&self, plate: &str, now: DateTime) -> Controls {
        let mut c = Controls::default();
        if self.control_by_plate.is_empty() {
            return c;
        }
        let Some(ids) = self.control_by_plate.get(plate) else {
            return c;
        };
        for id in ids {
            let Some(s) = self.control.get(id) else {
                continue;
            };
            let active = s.begin_date.is_none_or(|b| b <= now) && now <= s.end_date;
            if !active {
                continue;
            }
            match ControlStrategy::from_code(s.strategy_type) {
                Some(k @ (ControlStrategy::NoEntry | ControlStrategy::NoEntryNoExit)) => {
                    c.no_entry.get_or_insert((id.clone(), k));
                    if k == ControlStrategy::NoEntryNoExit {
                        c.no_exit.get_or_insert(id.clone());
                    }
                }
                Some(ControlStrategy::NoExit) => {
                    c.no_exit.get_or_insert(id.clone());
                }
                Some(ControlStrategy::Warn) => {
                    c.warn.get_or_insert(id.clone());
                }
                Some(ControlStrategy::Free) => {
                    c.free.get_or_insert(id.clone());
                }
                None => {}
            }
        }
        c
    }

    fn warn(&mut self, t: DateTime, list_id: String, car: &ParkCarInfo, at: Gate) {
        self.log
            .push(t, Some(&car.plate_no), None, || EventKind::ControlWarning {
                list_id: list_id.clone(),
            });
        self.effects.push_back(Effect::Warning {
            time: t,
            list_id,
            car: car.clone(),
            at,
        });
    }

    pub(super) fn arrive(
        &mut self,
        now: DateTime,
        entrance: EntranceId,
        car: ParkCarInfo,
    ) -> Result<Reply, EngineError> {
        let ix = self.lane_ix(entrance)?;
        let plate = car.plate_no.as_str();
        if plate.trim().is_empty() {
            return Err(EngineError::EmptyPlate);
        }
        if self.waiting.contains_key(plate) || self.inside.contains_key(plate) {
            return Err(EngineError::AlreadyPresent {
                plate: plate.to_owned(),
            });
        }
        let ctl = self.controls(plate, now);
        if let Some(id) = ctl.warn {
            self.warn(now, id, &car, Gate::Entrance(entrance));
        }
        if let Some((list_id, strategy)) = ctl.no_entry {
            let reason = UTurnReason::ControlList { list_id, strategy };
            self.turn_away(now, entrance, car, reason.clone());
            return Ok(Reply::TurnedAway(reason));
        }
        let book_code = self.live_by_plate.get(&car.plate_no).cloned();
        let class = if book_code.is_some() {
            VehicleClass::Reserved
        } else {
            VehicleClass::General
        };
        let lane = &mut self.lanes[ix];
        if class == VehicleClass::General && lane.kind == LaneKind::ReservedOnly {
            let reason = UTurnReason::GeneralAtReservedLane;
            self.turn_away(now, entrance, car, reason.clone());
            return Ok(Reply::TurnedAway(reason));
        }
        let seq = self.arrival_seq;
        self.arrival_seq += 1;
        let plate = car.plate_no.clone();
        let w = Waiting {
            seq,
            car,
            book_code: book_code.clone(),
        };
        match class {
            VehicleClass::Reserved => {
                lane.reserved.push_back(w);
                self.waiting_reserved += 1;
            }
            VehicleClass::General => {
                lane.general.push_back(w);
                self.waiting_general += 1;
            }
        }
        self.log.push(now, Some(&plate), book_code.as_deref(), || {
            EventKind::Arrived { entrance, class }
        });
        self.waiting.insert(plate, (ix, class));
        Ok(Reply::Queued { class, book_code })
    }

    pub(super) fn admit(
        &mut self,
        now: DateTime,
        entrance: EntranceId,
    ) -> Result<Reply, EngineError> {
        let ix = self.lane_ix(entrance)?;
        let Some(input) = self.admission_input(entrance) else {
            return Err(EngineError::UnknownEntrance(entrance));
        };
        let (class, manual) = match next_admission(&input) {
            Admission::Wait(r) => return Ok(Reply::Wait(r)),
            Admission::Admit { class, manual } => (class, manual),
        };
        // Defensive: a reserved head always has a live booking (lapsed ones
        // are demoted at once); without one it would need a free stall.
        let head_live = self.lanes[ix]
            .reserved
            .front()
            .and_then(|w| w.book_code.as_ref())
            .and_then(|c| self.bookings.get(c))
            .is_some_and(Booking::is_live);
        let needs_room = class == VehicleClass::General || !head_live;
        if needs_room && self.general_room() == 0 {
            return Ok(Reply::Wait(WaitReason::NoFreeStall));
        }
        let lane = &mut self.lanes[ix];
        let w = match class {
            VehicleClass::Reserved => lane.reserved.pop_front(),
            VehicleClass::General => lane.general.pop_front(),
        };
        let Some(w) = w else {
            return Ok(Reply::Wait(WaitReason::Empty));
        };
        match class {
            VehicleClass::Reserved => {
                self.waiting_reserved = self.waiting_reserved.saturating_sub(1)
            }
            VehicleClass::General => self.waiting_general = self.waiting_general.saturating_sub(1),
        }
        // The waiting map's copy of the plate becomes the key inside.
        let key = self.waiting.remove_entry(&w.car.plate_no).map(|(k, _)| k);
        let f = flow_after(&input, class);
        self.flow.exit_credits = f.exit_credits;
        match self.cfg.flow.ratio_scope {
            RatioScope::Barrier => self.lanes[ix].cycle = f.cycle,
            RatioScope::Garage => self.flow.cycle = f.cycle,
        }
        let key = key.unwrap_or_else(|| w.car.plate_no.clone());
        Ok(self.enter(now, ix, w, key, class, manual))
    }

    /// `plate`: the vehicle's plate, owned (the key of `inside`).
    fn enter(
        &mut self,
        now: DateTime,
        ix: usize,
        w: Waiting,
        plate: String,
        class: VehicleClass,
        manual: bool,
    ) -> Reply {
        let record_id = self.fresh_id();
        let mut stall = None;
        if let Some(code) = &w.book_code
            && let Some(b) = self.bookings.get_mut(code)
            && b.is_live()
        {
            b.state = BookingState::Arrived;
            let (deadline, s) = (b.deadline, b.stall);
            self.expiries.remove(&(deadline, code.clone()));
            // The hold becomes occupancy; the stall number stays taken
            // until the vehicle leaves.
            self.holds = self.holds.saturating_sub(1);
            self.live_by_plate.remove(&plate);
            stall = Some(s);
        }
        let rec = Record {
            id: record_id,
            car: w.car,
            enter_time: now,
            leave_time: None,
            entrance: EntranceId(ix),
            in_equipment_id: self.lanes[ix].equipment_id.clone(),
            out_equipment_id: None,
            class,
            book_code: w.book_code.clone(),
            stall,
            stall_no: stall
                .filter(|_| self.cfg.fixed_stalls)
                .map(|s| self.stall_no(s)),
            receivables: Amount::ZERO,
            discount: Amount::ZERO,
            received: Amount::ZERO,
            charge_ids: Vec::new(),
            paid_at: None,
        };
        self.entered += 1;
        if class == VehicleClass::General {
            self.general_inside += 1;
        }
        if self.cfg.reports {
            self.effects
                .push_back(Effect::Entry(rec.info(&self.cfg.park_code)));
        }
        self.log
            .push(now, Some(&plate), w.book_code.as_deref(), || {
                EventKind::Entered {
                    entrance: EntranceId(ix),
                    record_id: record_id.text(),
                    class,
                    manual,
                }
            });
        self.inside.insert(plate.clone(), Box::new(rec));
        self.counts_changed(now);
        Reply::Admitted {
            plate,
            record_id,
            class,
            manual,
        }
    }

    /// What a vehicle inside owes at `now` beyond what it was charged.
    fn due(&self, rec: &Record, now: DateTime) -> Amount {
        let stay = now.0 - rec.enter_time.0;
        Amount(self.fees.fee(stay).0 - rec.receivables.0)
    }

    pub(super) fn pay(
        &mut self,
        now: DateTime,
        plate: &str,
        pay_type: PayType,
        pay_from: Cow<'static, str>,
        order_no: Option<String>,
    ) -> Result<Reply, EngineError> {
        let Some(rec) = self.inside.get(plate) else {
            return Err(EngineError::NotInside {
                plate: plate.to_owned(),
            });
        };
        if self.controls(plate, now).free.is_some() {
            return Ok(Reply::NothingDue);
        }
        let due = self.due(rec, now);
        if due.0 <= Decimal::ZERO {
            return Ok(Reply::NothingDue);
        }
        let stay = now.0 - rec.enter_time.0;
        let pending = self.coupons.remove(plate).unwrap_or_default();
        let d = apply_coupons(self.fees.tariff(), stay, due, &pending);
        let received = Amount(due.0 - d.discount.0);
        let charge_id = self.fresh_id();
        let mut list = Vec::new();
        for (c, _) in &d.applied {
            let id = self.fresh_id().text();
            list.push(DiscountRecord {
                channel_org_code: c.channel_org_code.clone(),
                coupon_no: Some(c.coupon_no.clone()),
                coupon_type: c.coupon_type,
                coupon_value: c.coupon_value,
                discount_channel: c.discount_channel.clone(),
                id,
            });
        }
        let Some(rec) = self.inside.get_mut(plate) else {
            return Err(EngineError::NotInside {
                plate: plate.to_owned(),
            });
        };
        rec.receivables = add(rec.receivables, due);
        rec.discount = add(rec.discount, d.discount);
        rec.received = add(rec.received, received);
        if self.cfg.reports || self.cfg.history {
            rec.charge_ids.push(charge_id);
        }
        rec.paid_at = Some(now);
        if self.cfg.reports {
            let charge = ParkChargeInfo {
                car_info: rec.car.clone(),
                discount: d.discount,
                id: charge_id.text(),
                list_discounts: (!list.is_empty()).then_some(list),
                order_no,
                pay_from: pay_from.into_owned(),
                pay_time: now,
                pay_type: pay_type.code(),
                receivables: due,
                received,
                record_id: rec.id.text(),
            };
            self.effects.push_back(Effect::Charge(charge));
        }
        let book = rec.book_code.clone();
        self.log
            .push(now, Some(plate), book.as_deref(), || EventKind::Paid {
                charge_id: charge_id.text(),
                receivables: due,
                discount: d.discount,
                received,
            });
        Ok(Reply::Paid {
            charge_id,
            receivables: due,
            discount: d.discount,
            received,
        })
    }

    /// `staff`: an attendant lets the vehicle out whatever the control list
    /// says (fees still apply).
    pub(super) fn exit(
        &mut self,
        now: DateTime,
        plate: &str,
        equipment_id: Option<String>,
        staff: bool,
    ) -> Result<Reply, EngineError> {
        let Some(rec) = self.inside.get(plate) else {
            return Err(EngineError::NotInside {
                plate: plate.to_owned(),
            });
        };
        let ctl = self.controls(plate, now);
        if let Some(id) = ctl.warn {
            let car = rec.car.clone();
            self.warn(now, id, &car, Gate::Exit);
        }
        let Some(rec) = self.inside.get(plate) else {
            return Err(EngineError::NotInside {
                plate: plate.to_owned(),
            });
        };
        if let Some(list_id) = ctl.no_exit.filter(|_| !staff) {
            self.log
                .push(now, Some(plate), None, || EventKind::ExitRefused {
                    list_id: list_id.clone(),
                });
            return Ok(Reply::ExitRefused { list_id });
        }
        if ctl.free.is_none() {
            let due = self.due(rec, now);
            let grace = self.cfg.pay_grace_minutes as i64 * 60;
            let in_grace = rec.paid_at.is_some_and(|p| now.0 - p.0 <= grace);
            if due.0 > Decimal::ZERO && !in_grace {
                return Ok(Reply::PaymentDue { amount: due });
            }
        }
        let Some(mut rec) = self.inside.remove(plate) else {
            return Err(EngineError::NotInside {
                plate: plate.to_owned(),
            });
        };
        if rec.class == VehicleClass::General {
            self.general_inside = self.general_inside.saturating_sub(1);
        }
        rec.leave_time = Some(now);
        rec.out_equipment_id = equipment_id;
        if let Some(s) = rec.stall {
            self.free_labels.insert(s);
        }
        self.exited += 1;
        if self.cfg.reports {
            self.effects
                .push_back(Effect::Exit(rec.info(&self.cfg.park_code)));
        }
        self.log
            .push(now, Some(plate), rec.book_code.as_deref(), || {
                EventKind::Exited {
                    record_id: rec.id.text(),
                }
            });
        self.counts_changed(now);
        let rule_in_force = match self.cfg.flow.full_rule_when {
            FullRuleWhen::Always => true,
            FullRuleWhen::BothQueue => self.waiting_reserved > 0,
        };
        if self.level == Saturation::Full && self.priority_on && rule_in_force {
            self.flow.exit_credits = self.flow.exit_credits.saturating_add(1);
        }
        let record_id = rec.id;
        if self.cfg.history {
            self.closed.insert(record_id, rec);
        }
        Ok(Reply::Exited { record_id })
    }

    pub(super) fn correct(
        &mut self,
        now: DateTime,
        record_id: &str,
        car: Option<ParkCarInfo>,
        enter_time: Option<DateTime>,
    ) -> Result<Reply, EngineError> {
        // Every record id is a `ReportId`'s text: other text names none.
        let id = ReportId::parse(record_id);
        // Corrections are rare: the vehicle inside is found by a scan, so
        // that no entry pays for an index by record id.
        let inside_plate = self
            .inside
            .iter()
            .find(|(_, r)| Some(r.id) == id)
            .map(|(p, _)| p.clone());
        let rec = match (&inside_plate, id) {
            (Some(p), _) => self.inside.get(p),
            (None, Some(id)) => self.closed.get(&id),
            (None, None) => None,
        };
        let Some(rec) = rec else {
            return Err(EngineError::UnknownRecord {
                record_id: record_id.to_owned(),
            });
        };
        if let Some(t) = enter_time {
            if !in_range(t) {
                return Err(EngineError::TimeOutOfRange(t));
            }
            if t > now || rec.leave_time.is_some_and(|l| t > l) {
                return Err(EngineError::BadCorrection {
                    reason: "entry time after now or after the exit",
                });
            }
        }
        if let Some(c) = &car {
            if c.plate_no.trim().is_empty() {
                return Err(EngineError::EmptyPlate);
            }
            let moved = inside_plate.as_deref().is_some_and(|p| p != c.plate_no);
            if moved
                && (self.inside.contains_key(&c.plate_no) || self.waiting.contains_key(&c.plate_no))
            {
                return Err(EngineError::AlreadyPresent {
                    plate: c.plate_no.clone(),
                });
            }
        }
        let mut rec = match (&inside_plate, id) {
            (Some(p), _) => self.inside.remove(p),
            (None, Some(id)) => self.closed.remove(&id),
            (None, None) => None,
        }
        .ok_or_else(|| EngineError::UnknownRecord {
            record_id: record_id.to_owned(),
        })?;
        if let Some(c) = car {
            rec.car = c;
        }
        if let Some(t) = enter_time {
            rec.enter_time = t;
        }
        let plate = rec.car.plate_no.clone();
        if self.cfg.reports {
            self.effects
                .push_back(Effect::Correction(rec.info(&self.cfg.park_code)));
        }
        self.log
            .push(now, Some(&plate), rec.book_code.as_deref(), || {
                EventKind::Corrected {
                    record_id: record_id.to_owned(),
                }
            });
        if inside_plate.is_some() {
            self.inside.insert(plate, rec);
        } else {
            self.closed.insert(rec.id, rec);
        }
        Ok(Reply::Corrected {
            record_id: record_id.to_owned(),
        })
    }

    pub(super) fn set_lane(
        &mut self,
        now: DateTime,
        entrance: EntranceId,
        kind: LaneKind,
    ) -> Result<Reply, EngineError> {
        let ix = self.lane_ix(entrance)?;
        let from = self.lanes[ix].kind;
        if from != kind {
            self.lanes[ix].kind = kind;
            self.effects.push_back(Effect::LaneChanged {
                time: now,
                entrance,
                from,
                to: kind,
            });
            self.log.push(now, None, None, || EventKind::LaneChanged {
                entrance,
                from,
                to: kind,
            });
            if kind == LaneKind::ReservedOnly {
                let gone: Vec<Waiting> = self.lanes[ix].general.drain(..).collect();
                for w in gone {
                    self.waiting_general = self.waiting_general.saturating_sub(1);
                    self.waiting.remove(&w.car.plate_no);
                    self.turn_away(now, entrance, w.car, UTurnReason::GeneralAtReservedLane);
                }
            }
        }
        Ok(Reply::Lane { from, to: kind })
    }
}
