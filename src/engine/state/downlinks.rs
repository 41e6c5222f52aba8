//! The engine's answers to the platform's downlinks: control lists (4001),
//! coupons (4002), bookings and their confirmation (6001, 6002).

use super::*;

impl Engine {
    pub(super) fn control_list(&mut self, now: DateTime, d: ControlListDownlink) -> IdReply {
        let s = d.black_white_gray_sheet;
        let reply = |code: BizCode| IdReply {
            code: code.code(),
            id: Some(s.id.clone()),
            message: Some(code.message().to_owned()),
        };
        let plate = s.car_info.plate_no.clone();
        let code = if s.park_code != self.cfg.park_code {
            BizCode::ParkNotFound
        } else if s.id.trim().is_empty() {
            BizCode::Parameter
        } else {
            match d.status {
                2 => {
                    if let Some(old) = self.control.remove(&s.id) {
                        self.unindex_control(&old);
                        self.log.push(now, Some(&old.car_info.plate_no), None, || {
                            EventKind::ControlListDeleted {
                                list_id: s.id.clone(),
                            }
                        });
                        return reply(BizCode::Ok);
                    }
                    BizCode::NotFound
                }
                1 => {
                    if ControlStrategy::from_code(s.strategy_type).is_none() {
                        BizCode::OutOfRange
                    } else if plate.trim().is_empty() {
                        BizCode::Parameter
                    } else if s.begin_date.is_some_and(|b| b > s.end_date) {
                        BizCode::OutOfRange
                    } else {
                        if let Some(old) = self.control.remove(&s.id) {
                            self.unindex_control(&old);
                        }
                        self.control_by_plate
                            .entry(plate.clone())
                            .or_default()
                            .insert(s.id.clone());
                        self.log
                            .push(now, Some(&plate), None, || EventKind::ControlListSet {
                                list_id: s.id.clone(),
                                strategy: s.strategy_type,
                            });
                        let r = reply(BizCode::Ok);
                        self.control.insert(s.id.clone(), s);
                        return r;
                    }
                }
                _ => BizCode::OutOfRange,
            }
        };
        self.log.push(
            now,
            (!plate.is_empty()).then_some(plate.as_str()),
            None,
            || EventKind::ControlListRejected { code },
        );
        reply(code)
    }

    fn unindex_control(&mut self, old: &BlackWhiteGraySheet) {
        if let Some(ids) = self.control_by_plate.get_mut(&old.car_info.plate_no) {
            ids.remove(&old.id);
            if ids.is_empty() {
                self.control_by_plate.remove(&old.car_info.plate_no);
            }
        }
    }

    pub(super) fn coupon(&mut self, now: DateTime, c: CouponDownlink) -> CouponReply {
        let code = match CouponKind::from_code(c.coupon_type) {
            _ if c.coupon_no.trim().is_empty() || c.plate_no.trim().is_empty() => {
                BizCode::Parameter
            }
            None => BizCode::OutOfRange,
            Some(k) if !k.value_ok(c.coupon_value.0) => BizCode::OutOfRange,
            Some(_) => match self.coupon_nos.get(&c.coupon_no) {
                // A resend of the same coupon is accepted once (7.3).
                Some(old) if *old == c => BizCode::Ok,
                Some(_) => BizCode::Exists,
                None => {
                    self.coupon_nos.insert(c.coupon_no.clone(), c.clone());
                    self.log
                        .push(now, Some(&c.plate_no), None, || EventKind::CouponReceived {
                            coupon_no: c.coupon_no.clone(),
                            coupon_type: c.coupon_type,
                        });
                    let r = CouponReply {
                        code: 0,
                        coupon_no: c.coupon_no.clone(),
                        message: Some(BizCode::Ok.message().to_owned()),
                    };
                    self.coupons.entry(c.plate_no.clone()).or_default().push(c);
                    return r;
                }
            },
        };
        if code != BizCode::Ok {
            self.log.push(
                now,
                (!c.plate_no.is_empty()).then_some(c.plate_no.as_str()),
                None,
                || EventKind::CouponRejected {
                    coupon_no: c.coupon_no.clone(),
                    code,
                },
            );
        }
        CouponReply {
            code: code.code(),
            coupon_no: c.coupon_no,
            message: Some(code.message().to_owned()),
        }
    }

    /// The deadline of a booking's times, or `None` if they are bad (5004).
    fn booking_deadline(&self, now: DateTime, r: &BookRequest) -> Option<DateTime> {
        if !in_range(r.book_time) || !in_range(r.over_time) || r.obligat_time < 0 {
            return None;
        }
        if r.over_time <= r.book_time {
            return None;
        }
        let d = r.obligat_time.checked_mul(60)?.checked_add(r.over_time.0)?;
        let d = DateTime(d);
        (in_range(d) && d > now).then_some(d)
    }

    fn book_reply(
        &self,
        r: &BookRequest,
        code: BizCode,
        rest: bool,
        stall: Option<u32>,
    ) -> BookReply {
        BookReply {
            bluetooth_address: None,
            book_code: r.book_code.clone(),
            code: code.code(),
            message: code.message().to_owned(),
            rest_reserved_stalls: rest.then(|| self.rest_reservable() as i64),
            stall_no: stall
                .filter(|_| self.cfg.fixed_stalls)
                .map(|s| self.stall_no(s)),
        }
    }

    pub(super) fn book(&mut self, now: DateTime, r: BookRequest) -> BookReply {
        let plate = r.car_info.plate_no.clone();
        let code = if r.park_code != self.cfg.park_code {
            BizCode::ParkNotFound
        } else {
            match r.operate_type {
                1 => match self.book_new(now, &r) {
                    Ok(stall) => return self.book_reply(&r, BizCode::Ok, true, Some(stall)),
                    Err(c) => c,
                },
                2 => match self.book_change(now, &r) {
                    Ok(stall) => return self.book_reply(&r, BizCode::Ok, true, Some(stall)),
                    Err(c) => c,
                },
                _ => BizCode::OutOfRange,
            }
        };
        self.log.push(
            now,
            (!plate.is_empty()).then_some(plate.as_str()),
            (!r.book_code.is_empty()).then_some(r.book_code.as_str()),
            || EventKind::BookingRejected { code },
        );
        // "有效期内重复预订无此参数": no restReservedStalls on a duplicate.
        self.book_reply(&r, code, code != BizCode::BookingExists, None)
    }

    fn book_new(&mut self, now: DateTime, r: &BookRequest) -> Result<u32, BizCode> {
        if self.bookings.contains_key(&r.book_code) {
            return Err(BizCode::BookingExists);
        }
        let plate = &r.car_info.plate_no;
        if r.book_code.trim().is_empty() || plate.trim().is_empty() {
            return Err(BizCode::Parameter);
        }
        let deadline = self
            .booking_deadline(now, r)
            .ok_or(BizCode::BadBookingTime)?;
        if self.live_by_plate.contains_key(plate) {
            return Err(BizCode::Exists);
        }
        if self.rest_reservable() == 0 {
            return Err(BizCode::NoReservableStall);
        }
        let stall = self.take_label();
        self.holds += 1;
        self.bookings.insert(
            r.book_code.clone(),
            Booking {
                code: r.book_code.clone(),
                car: r.car_info.clone(),
                book_time: r.book_time,
                over_time: r.over_time,
                obligat_minutes: r.obligat_time,
                deadline,
                stall,
                state: BookingState::Locked,
                booked_at: now,
            },
        );
        self.live_by_plate
            .insert(plate.clone(), r.book_code.clone());
        self.expiries.insert((deadline, r.book_code.clone()));
        self.log
            .push(now, Some(plate), Some(&r.book_code), || EventKind::Booked {
                stall,
            });
        self.counts_changed(now);
        Ok(stall)
    }

    fn state_error(state: BookingState) -> Option<BizCode> {
        match state {
            BookingState::Cancelled => Some(BizCode::BookingCancelled),
            BookingState::Expired => Some(BizCode::BookingExpired),
            BookingState::Arrived => Some(BizCode::Invalid),
            BookingState::Locked | BookingState::Confirmed => None,
        }
    }

    fn book_change(&mut self, now: DateTime, r: &BookRequest) -> Result<u32, BizCode> {
        let Some(b) = self.bookings.get(&r.book_code) else {
            return Err(BizCode::BookingNotFound);
        };
        if let Some(c) = Self::state_error(b.state) {
            return Err(c);
        }
        let deadline = self
            .booking_deadline(now, r)
            .ok_or(BizCode::BadBookingTime)?;
        let new_plate = &r.car_info.plate_no;
        if new_plate.trim().is_empty() {
            return Err(BizCode::Parameter);
        }
        let old_plate = b.car.plate_no.clone();
        if *new_plate != old_plate && self.live_by_plate.contains_key(new_plate) {
            return Err(BizCode::Exists);
        }
        let old_deadline = b.deadline;
        let stall = b.stall;
        self.expiries.remove(&(old_deadline, r.book_code.clone()));
        self.expiries.insert((deadline, r.book_code.clone()));
        if let Some(b) = self.bookings.get_mut(&r.book_code) {
            b.car = r.car_info.clone();
            b.book_time = r.book_time;
            b.over_time = r.over_time;
            b.obligat_minutes = r.obligat_time;
            b.deadline = deadline;
        }
        if *new_plate != old_plate {
            self.live_by_plate.remove(&old_plate);
            self.live_by_plate
                .insert(new_plate.clone(), r.book_code.clone());
            self.demote_waiting(now, &old_plate);
        }
        self.log.push(now, Some(new_plate), Some(&r.book_code), || {
            EventKind::BookingChanged
        });
        Ok(stall)
    }

    pub(super) fn book_confirm(
        &mut self,
        now: DateTime,
        r: BookConfirmRequest,
    ) -> BookConfirmReply {
        let reply = |code: BizCode| BookConfirmReply {
            book_code: r.book_code.clone(),
            code: code.code(),
            message: code.message().to_owned(),
        };
        let code = self.book_confirm_inner(now, &r);
        if code != BizCode::Ok {
            let plate = self
                .bookings
                .get(&r.book_code)
                .map(|b| b.car.plate_no.clone());
            self.log.push(
                now,
                plate.as_deref(),
                (!r.book_code.is_empty()).then_some(r.book_code.as_str()),
                || EventKind::BookingRejected { code },
            );
        }
        reply(code)
    }

    fn book_confirm_inner(&mut self, now: DateTime, r: &BookConfirmRequest) -> BizCode {
        if r.park_code != self.cfg.park_code {
            return BizCode::ParkNotFound;
        }
        if !matches!(r.confirm_status, 0 | 1) {
            return BizCode::OutOfRange;
        }
        let Some(b) = self.bookings.get_mut(&r.book_code) else {
            return BizCode::BookingNotFound;
        };
        match (r.confirm_status, b.state) {
            (_, BookingState::Cancelled) => BizCode::BookingCancelled,
            (_, BookingState::Expired) => BizCode::BookingExpired,
            // Confirming a used booking changes nothing.
            (1, BookingState::Arrived) => BizCode::Ok,
            (_, BookingState::Arrived) => BizCode::Invalid,
            (1, _) => {
                b.state = BookingState::Confirmed;
                let plate = b.car.plate_no.clone();
                self.log.push(now, Some(&plate), Some(&r.book_code), || {
                    EventKind::BookingConfirmed
                });
                BizCode::Ok
            }
            (_, _) => {
                b.state = BookingState::Cancelled;
                let (plate, stall, deadline) = (b.car.plate_no.clone(), b.stall, b.deadline);
                self.expiries.remove(&(deadline, r.book_code.clone()));
                self.release_hold(&plate, stall);
                self.log.push(now, Some(&plate), Some(&r.book_code), || {
                    EventKind::BookingCancelled
                });
                self.counts_changed(now);
                self.demote_waiting(now, &plate);
                BizCode::Ok
            }
        }
    }
}
